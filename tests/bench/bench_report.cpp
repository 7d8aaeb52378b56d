#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "tests/bench/bench.hpp"

namespace edgegate::bench {

namespace {
constexpr int name_width = 58;
constexpr int value_width = 14;
}  // namespace

void table::section(std::string_view title) {
    std::printf("\n%.*s\n", static_cast<int>(title.size()), title.data());
    std::printf("  %-*s %*s  %s\n", name_width, "figure", value_width, "value", "unit");
    std::fflush(stdout);
}

void table::row(std::string_view name, std::string_view value, std::string_view unit) {
    std::printf("  %-*.*s %*.*s  %.*s\n", name_width, static_cast<int>(name.size()), name.data(),
                value_width, static_cast<int>(value.size()), value.data(),
                static_cast<int>(unit.size()), unit.data());
    std::fflush(stdout);
}

void table::note(std::string_view text) {
    std::printf("  (%.*s)\n", static_cast<int>(text.size()), text.data());
    std::fflush(stdout);
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
