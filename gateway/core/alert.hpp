#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "gateway/core/clock.hpp"
#include "gateway/core/units.hpp"
#include "gateway/core/value.hpp"

namespace edgegate {

enum class severity { info, warning, critical };

constexpr std::string_view to_string(severity s) {
    switch (s) {
        case severity::info:
            return "info";
        case severity::warning:
            return "warning";
        case severity::critical:
            return "critical";
    }
    return "warning";
}

// The two ends of an `outside` or `inside` band, kept as written (integers stay integers).
struct value_band {
    value lo;
    value hi;
    bool operator==(const value_band&) const = default;
};

// What an alert is measured against, as published in "threshold": nothing (an alert whose rule
// is gone), one value (a limit, the value of `equals`, a stale time in seconds) or a band.
using alert_threshold = std::variant<std::monostate, value, value_band>;

enum class alert_state { raised, cleared };

// One announcement of an alert: the rules engine makes it, payload.hpp encodes it, the journal
// stores it in the high lane. The alert's key is (rule, device, point). A repeat of an active
// alert is a second `raised` with the same `since`.
struct alert {
    std::string rule;
    std::string device;
    std::string point;
    alert_state state = alert_state::raised;
    edgegate::severity severity = severity::warning;
    std::optional<value> measured;  // what was measured when this was announced; null when unknown
    alert_threshold threshold;
    std::string message;
    timestamp ts;     // when this announcement was made (source time)
    timestamp since;  // when the alert was raised
    // Cleared only: the most extreme value while it was active, and for how long it was.
    std::optional<value> peak;
    duration active_for{0};
};

// An active alert as the journal keeps it between runs (JOURNAL.md, table alert_state).
struct active_alert {
    std::string rule;
    std::string device;
    std::string point;
    edgegate::severity severity = severity::warning;
    timestamp since;      // raised at
    timestamp announced;  // the last raise or repeat, for `repeat`
    std::optional<double> peak;
};

}  // namespace edgegate
