#include "gateway/metrics/exposition.hpp"

#include <array>
#include <charconv>
#include <cmath>

namespace edgegate {

std::string escape_label_value(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    for (const char c : value) {
        switch (c) {
            case '\\':
                out += "\\\\";
                break;
            case '"':
                out += "\\\"";
                break;
            case '\n':
                out += "\\n";
                break;
            default:
                out += c;
        }
    }
    return out;
}

std::string escape_help(std::string_view help) {
    std::string out;
    out.reserve(help.size());
    for (const char c : help) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out;
}

std::string format_sample_value(double value) {
    if (std::isnan(value)) return "NaN";
    if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
    std::array<char, 32> buf{};
    const auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), value);
    return std::string(buf.data(), ec == std::errc() ? end : buf.data());
}

void exposition::family(std::string_view name, metric_type type, std::string_view help) {
    text_ += "# HELP ";
    text_ += name;
    text_ += ' ';
    text_ += escape_help(help);
    text_ += "\n# TYPE ";
    text_ += name;
    switch (type) {
        case metric_type::counter:
            text_ += " counter\n";
            break;
        case metric_type::gauge:
            text_ += " gauge\n";
            break;
        case metric_type::histogram:
            text_ += " histogram\n";
            break;
    }
}

void exposition::write_labels(std::initializer_list<metric_label> labels, std::string_view le) {
    if (labels.size() == 0 && le.empty()) return;
    text_ += '{';
    bool first = true;
    const auto add = [&](std::string_view name, std::string_view value) {
        if (!first) text_ += ',';
        first = false;
        text_ += name;
        text_ += "=\"";
        text_ += escape_label_value(value);
        text_ += '"';
    };
    for (const auto& [name, value] : labels) add(name, value);
    if (!le.empty()) add("le", le);
    text_ += '}';
}

void exposition::sample(std::string_view name, std::initializer_list<metric_label> labels,
                        double value) {
    text_ += name;
    write_labels(labels, {});
    text_ += ' ';
    text_ += format_sample_value(value);
    text_ += '\n';
}

void exposition::histogram(std::string_view name, std::initializer_list<metric_label> labels,
                           std::span<const double> bounds, std::span<const std::uint64_t> buckets,
                           double sum) {
    const std::string bucket_name = std::string(name) + "_bucket";
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < buckets.size(); ++i) {
        cumulative += buckets[i];
        const std::string le = i < bounds.size() ? format_sample_value(bounds[i]) : "+Inf";
        text_ += bucket_name;
        write_labels(labels, le);
        text_ += ' ';
        text_ += std::to_string(cumulative);
        text_ += '\n';
    }
    sample(std::string(name) + "_sum", labels, sum);
    text_ += name;
    text_ += "_count";
    write_labels(labels, {});
    text_ += ' ';
    text_ += std::to_string(cumulative);
    text_ += '\n';
}

}  // namespace edgegate
