#include "rules/condition.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <type_traits>

namespace edgegate {

std::string_view to_string(condition_kind k) {
    switch (k) {
        case condition_kind::above:
            return "above";
        case condition_kind::below:
            return "below";
        case condition_kind::outside:
            return "outside";
        case condition_kind::inside:
            return "inside";
        case condition_kind::equals:
            return "equals";
        case condition_kind::rate_above:
            return "rate_above";
        case condition_kind::rate_below:
            return "rate_below";
        case condition_kind::stale:
            return "stale";
    }
    return "above";
}

std::optional<double> as_number(const value& v) {
    return std::visit(
        [](const auto& x) -> std::optional<double> {
            using t = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<t, std::int64_t> || std::is_same_v<t, std::uint64_t>) {
                return static_cast<double>(x);
            } else if constexpr (std::is_same_v<t, double>) {
                if (std::isfinite(x)) return x;
                return std::nullopt;
            } else {
                return std::nullopt;
            }
        },
        v);
}

bool condition::raises(double m) const {
    switch (kind) {
        case condition_kind::above:
        case condition_kind::rate_above:
            return m > limit;
        case condition_kind::below:
        case condition_kind::rate_below:
            return m < limit;
        case condition_kind::outside:
            return m < lo || m > hi;
        case condition_kind::inside:
            return m >= lo && m <= hi;
        case condition_kind::equals:
        case condition_kind::stale:
            return false;
    }
    return false;
}

bool condition::clears(double m) const {
    switch (kind) {
        case condition_kind::above:
        case condition_kind::rate_above:
            return clear_inclusive ? m <= clear_level : m < clear_level;
        case condition_kind::below:
        case condition_kind::rate_below:
            return clear_inclusive ? m >= clear_level : m > clear_level;
        case condition_kind::outside:
            return m >= lo + deadband && m <= hi - deadband;
        case condition_kind::inside:
            return m < lo - deadband || m > hi + deadband;
        case condition_kind::equals:
        case condition_kind::stale:
            return false;
    }
    return false;
}

bool condition::matches(const value& v) const {
    if (const auto* b = std::get_if<bool>(&target)) {
        const auto* other = std::get_if<bool>(&v);
        return other != nullptr && *other == *b;
    }
    if (const auto* s = std::get_if<std::string>(&target)) {
        const auto* other = std::get_if<std::string>(&v);
        return other != nullptr && *other == *s;
    }
    if (const auto* i = std::get_if<std::int64_t>(&target)) {
        // Exact for integer readings: a 64-bit counter is not rounded through a double.
        if (const auto* other = std::get_if<std::int64_t>(&v)) return *other == *i;
        if (const auto* other = std::get_if<std::uint64_t>(&v)) {
            return *i >= 0 && *other == static_cast<std::uint64_t>(*i);
        }
    }
    const auto want = as_number(target);
    const auto got = as_number(v);
    return want && got && *want == *got;
}

bool condition::beyond(double m, double peak) const {
    switch (kind) {
        case condition_kind::above:
        case condition_kind::rate_above:
        case condition_kind::stale:
            return m > peak;
        case condition_kind::below:
        case condition_kind::rate_below:
            return m < peak;
        case condition_kind::outside: {
            const auto distance = [this](double x) { return std::max(lo - x, x - hi); };
            return distance(m) > distance(peak);
        }
        case condition_kind::inside: {
            const auto depth = [this](double x) { return std::min(x - lo, hi - x); };
            return depth(m) > depth(peak);
        }
        case condition_kind::equals:
            return false;
    }
    return false;
}

}  // namespace edgegate
