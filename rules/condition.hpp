#pragma once

#include <optional>
#include <string_view>

#include "gateway/core/alert.hpp"
#include "gateway/core/units.hpp"
#include "gateway/core/value.hpp"

namespace edgegate {

// The rule's condition kinds, one per rule; each is named after its YAML key.
enum class condition_kind { above, below, outside, inside, equals, rate_above, rate_below, stale };

std::string_view to_string(condition_kind k);

// A number to compare with limits: integers and finite reals. Booleans, text and NaN are not
// numbers, so a numeric condition neither raises nor clears on them.
std::optional<double> as_number(const value& v);

// What a rule watches and where its alert clears, resolved once from the YAML. The measure `m`
// is the reading's value, or for the rate kinds its rate in units per second.
struct condition {
    condition_kind kind = condition_kind::above;
    // above, below, rate_above, rate_below.
    double limit = 0;
    // outside, inside.
    double lo = 0;
    double hi = 0;
    // Hysteresis of above/below and the rate kinds: the alert clears once m is past clear_level
    // (strictly for clear_below/clear_above, inclusively for a deadband: `above: 90, deadband:
    // 2` clears at 88). Without either, clear_level is the limit and the clear is inclusive, so
    // every m either raises or clears.
    double clear_level = 0;
    bool clear_inclusive = true;
    // outside, inside: how far back inside (outside) the band m must come to clear.
    double deadband = 0;
    value target;               // equals
    duration window{0};         // rate_above, rate_below
    duration stale{0};          // stale
    alert_threshold threshold;  // as published in "threshold" and {threshold}
    bool raises(double m) const;
    bool clears(double m) const;
    // equals: like compares with like (a bool with true/false, text with text, numbers with
    // numbers, integers exactly); a value of another type is not equal.
    bool matches(const value& v) const;
    // Whether `m` is further into the alarm than `peak`: higher for above, lower for below,
    // further from the band for outside, deeper into it for inside.
    bool beyond(double m, double peak) const;

    bool is_rate() const {
        return kind == condition_kind::rate_above || kind == condition_kind::rate_below;
    }
};

}  // namespace edgegate
