#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "tests/bench/bench.hpp"

namespace edgegate::bench {

namespace {
constexpr std::size_t name_width = 58;
constexpr std::size_t value_width = 14;
}  // namespace

void table::print(const std::string& line) {
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
    transcript_ += line;
    transcript_ += '\n';
}

void table::text(std::string_view line) { print(std::string(line)); }

void table::section(std::string_view title) {
    print("");
    print(std::string(title));
    char buf[256];
    std::snprintf(buf, sizeof buf, "  %-*s %*s  %s", static_cast<int>(name_width), "figure",
                  static_cast<int>(value_width), "value", "unit");
    print(buf);
}

void table::row(std::string_view name, std::string_view value, std::string_view unit) {
    std::string line = "  " + std::string(name);
    // Padded by bytes, like printf: a name with a non-ASCII character is a column off.
    if (line.size() < 2 + name_width) line.resize(2 + name_width, ' ');
    line += ' ';
    if (value.size() < value_width) line.append(value_width - value.size(), ' ');
    line += value;
    line += "  ";
    line += unit;
    print(line);
}

void table::note(std::string_view text) { print("  (" + std::string(text) + ")"); }

void table::add_headline(headline h) { headlines_.push_back(std::move(h)); }

std::optional<double> table::recall(const std::string& key) const {
    const auto it = remembered_.find(key);
    if (it == remembered_.end()) return std::nullopt;
    return it->second;
}

std::string rerun_command(const options& opts, std::string_view figure) {
    std::string cmd = "bash tests/bench/run.sh build/release --only " + std::string(figure);
    if (opts.quick) cmd += " --quick";
    return cmd;
}

std::string ratio_text(double a, double b) {
    if (!std::isfinite(a) || !std::isfinite(b) || b == 0) return "n/a";
    return fixed(a / b, 2);
}

std::string thousands(double v) {
    if (!std::isfinite(v)) return "n/a";
    const bool negative = v < 0;
    std::string digits = std::to_string(static_cast<long long>(std::llround(std::fabs(v))));
    std::string out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return negative ? "-" + out : out;
}

std::string fixed(double v, int decimals) {
    if (!std::isfinite(v)) return "n/a";
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

spread summarize(std::vector<double> values) {
    if (values.empty()) return {NAN, NAN, NAN};
    std::sort(values.begin(), values.end());
    const std::size_t mid = values.size() / 2;
    const double median =
        values.size() % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
    return {median, values.front(), values.back()};
}

std::string unit_with_range(std::string_view unit, const spread& s, std::size_t rounds) {
    std::string out(unit);
    if (rounds > 1) {
        out += ", median of " + std::to_string(rounds) + " (" + thousands(s.min) + ".." +
               thousands(s.max) + ")";
    }
    return out;
}

double seconds_between(std::chrono::steady_clock::time_point a,
                       std::chrono::steady_clock::time_point b) {
    return std::chrono::duration<double>(b - a).count();
}

}  // namespace edgegate::bench
