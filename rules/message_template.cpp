#include "rules/message_template.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <type_traits>

#include "gateway/core/yaml_section.hpp"

namespace edgegate {

namespace {

constexpr std::array<std::string_view, 11> names{"rule",     "device",   "point", "state",
                                                 "severity", "value",    "unit",  "threshold",
                                                 "since",    "duration", "peak"};

std::string number_text(double x) {
    if (!std::isfinite(x)) return "-";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", x);
    return buf;
}

std::string value_text(const value& v) {
    return std::visit(
        [](const auto& x) -> std::string {
            using t = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<t, bool>) {
                return x ? "true" : "false";
            } else if constexpr (std::is_same_v<t, std::int64_t> ||
                                 std::is_same_v<t, std::uint64_t>) {
                return std::to_string(x);
            } else if constexpr (std::is_same_v<t, double>) {
                return number_text(x);
            } else {
                return x;
            }
        },
        v);
}

}  // namespace

const std::vector<std::string>& message_template::placeholders() {
    static const std::vector<std::string> all = [] {
        std::vector<std::string> out;
        for (const auto n : names) out.push_back("{" + std::string(n) + "}");
        return out;
    }();
    return all;
}

std::variant<message_template, message_template::parse_error> message_template::parse(
    std::string_view text) {
    message_template t;
    t.text_ = std::string(text);
    std::string literal;
    std::size_t i = 0;
    while (i < text.size()) {
        const char c = text[i];
        if ((c == '{' || c == '}') && i + 1 < text.size() && text[i + 1] == c) {
            literal += c;
            i += 2;
            continue;
        }
        if (c != '{') {
            literal += c;
            ++i;
            continue;
        }
        const std::size_t close = text.find('}', i);
        if (close == std::string_view::npos || text.find('{', i + 1) < close) {
            return parse_error{i, "unclosed '{' (write '{{' for a literal brace)"};
        }
        const std::string_view name = text.substr(i + 1, close - i - 1);
        std::optional<field> which;
        for (std::size_t n = 0; n < names.size(); ++n) {
            if (names[n] == name) which = static_cast<field>(n);
        }
        if (!which) {
            const std::string written(text.substr(i, close - i + 1));
            const auto suggestion = nearest(written, placeholders());
            std::string message = "unknown placeholder " + quote(written);
            if (suggestion) {
                message += ", did you mean '" + *suggestion + "'?";
            } else {
                message += ", expected one of:";
                for (const auto& p : placeholders()) message += " " + p;
            }
            return parse_error{i, std::move(message)};
        }
        if (!literal.empty()) t.pieces_.push_back({std::move(literal), std::nullopt});
        literal.clear();
        t.pieces_.push_back({{}, which});
        i = close + 1;
    }
    if (!literal.empty()) t.pieces_.push_back({std::move(literal), std::nullopt});
    return t;
}

std::string message_template::render(const fields& f) const {
    std::string out;
    for (const auto& p : pieces_) {
        if (!p.placeholder) {
            out += p.literal;
            continue;
        }
        switch (*p.placeholder) {
            case field::rule:
                out += f.rule;
                break;
            case field::device:
                out += f.device;
                break;
            case field::point:
                out += f.point;
                break;
            case field::state:
                out += f.state;
                break;
            case field::severity:
                out += f.severity;
                break;
            case field::value:
                out += f.value;
                break;
            case field::unit:
                out += f.unit;
                break;
            case field::threshold:
                out += f.threshold;
                break;
            case field::since:
                out += f.since;
                break;
            case field::duration:
                out += f.duration;
                break;
            case field::peak:
                out += f.peak;
                break;
        }
    }
    return out;
}

std::string message_text(const std::optional<value>& v) { return v ? value_text(*v) : "-"; }

std::string threshold_text(const alert_threshold& t) {
    if (const auto* single = std::get_if<value>(&t)) return value_text(*single);
    if (const auto* band = std::get_if<value_band>(&t)) {
        return value_text(band->lo) + ".." + value_text(band->hi);
    }
    return "-";
}

std::string message_duration(duration d) {
    const std::int64_t ms = std::max<std::int64_t>(d.count(), 0);
    if (ms < 1000) return std::to_string(ms) + "ms";
    constexpr std::array<std::pair<std::int64_t, const char*>, 4> units{
        {{86'400, "d"}, {3'600, "h"}, {60, "m"}, {1, "s"}}};
    const std::int64_t secs = ms / 1000;
    std::string out;
    int shown = 0;
    std::int64_t rest = secs;
    for (const auto& [size, suffix] : units) {
        if (shown == 2) break;
        const std::int64_t n = rest / size;
        rest %= size;
        if (n > 0) {
            out += std::to_string(n) + suffix;
            ++shown;
        } else if (shown > 0) {
            break;
        }
    }
    return out;
}

}  // namespace edgegate
