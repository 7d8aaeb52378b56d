#include "gateway/core/units.hpp"

#include <array>
#include <charconv>
#include <limits>
#include <utility>

namespace edgegate {

namespace {

struct unit {
    std::string_view suffix;
    std::uint64_t factor;
};

// Largest first, so that formatting picks the largest unit that divides exactly.
constexpr std::array<unit, 5> duration_units{{
    {"d", 86'400'000},
    {"h", 3'600'000},
    {"m", 60'000},
    {"s", 1'000},
    {"ms", 1},
}};

constexpr std::array<unit, 5> size_units{{
    {"TiB", 1ull << 40},
    {"GiB", 1ull << 30},
    {"MiB", 1ull << 20},
    {"KiB", 1ull << 10},
    {"B", 1},
}};

// A whole number of `factor`, at most `limit`. No sign, no spaces, no fraction: "1.5s" is
// better written "1500ms" than rounded silently.
std::optional<std::uint64_t> scaled(std::string_view digits, std::uint64_t factor,
                                    std::uint64_t limit) {
    if (digits.empty()) return std::nullopt;
    std::uint64_t n = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (ec != std::errc{} || end != digits.data() + digits.size()) return std::nullopt;
    if (n > limit / factor) return std::nullopt;
    return n * factor;
}

std::pair<std::string_view, std::string_view> split_number(std::string_view text) {
    std::size_t i = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
    return {text.substr(0, i), text.substr(i)};
}

template <std::size_t n>
std::string format_scaled(std::uint64_t amount, const std::array<unit, n>& units) {
    for (const auto& u : units) {
        if (amount % u.factor == 0)
            return std::to_string(amount / u.factor) + std::string(u.suffix);
    }
    return std::to_string(amount) + std::string(units.back().suffix);
}

}  // namespace

std::optional<duration> parse_duration(std::string_view text) {
    const auto [digits, suffix] = split_number(text);
    constexpr auto limit = static_cast<std::uint64_t>(std::numeric_limits<duration::rep>::max());
    for (const auto& u : duration_units) {
        if (suffix != u.suffix) continue;
        const auto ms = scaled(digits, u.factor, limit);
        if (!ms) return std::nullopt;
        return duration(static_cast<duration::rep>(*ms));
    }
    return std::nullopt;
}

std::optional<std::uint64_t> parse_size(std::string_view text) {
    const auto [digits, suffix] = split_number(text);
    if (suffix.empty()) return scaled(digits, 1, std::numeric_limits<std::uint64_t>::max());
    for (const auto& u : size_units) {
        if (suffix == u.suffix) {
            return scaled(digits, u.factor, std::numeric_limits<std::uint64_t>::max());
        }
    }
    return std::nullopt;
}

std::string format_duration(duration d) {
    const auto count = d.count();
    if (count == 0) return "0s";
    // Through unsigned arithmetic so that the most negative value has a magnitude too.
    const auto magnitude =
        count < 0 ? 0 - static_cast<std::uint64_t>(count) : static_cast<std::uint64_t>(count);
    return (count < 0 ? "-" : "") + format_scaled(magnitude, duration_units);
}

std::string format_size(std::uint64_t bytes) {
    if (bytes == 0) return "0B";
    return format_scaled(bytes, size_units);
}

}  // namespace edgegate
