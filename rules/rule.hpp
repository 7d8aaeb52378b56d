#pragma once

#include <string>

#include "gateway/core/alert.hpp"
#include "gateway/core/units.hpp"
#include "rules/condition.hpp"
#include "rules/glob.hpp"
#include "rules/message_template.hpp"

namespace edgegate {

// One validated rule of the `rules:` section (rules/README.md). It is evaluated separately for
// every (device, point) it matches: the alert key is (name, device, point).
struct rule {
    std::string name;
    // The two halves of `match`, each a name or a glob with '*'.
    std::string device_pattern;
    std::string point_pattern;
    condition when;
    duration hold{0};        // `for`: how long the condition must hold before the raise
    duration clear_hold{0};  // `clear_for`: how long the clear condition must hold
    duration repeat{0};      // re-announce an active alert this often; 0: never
    edgegate::severity severity = severity::warning;
    message_template message;

    bool matches(std::string_view device, std::string_view point) const {
        return glob_match(device_pattern, device) && glob_match(point_pattern, point);
    }
    bool is_exact() const { return !is_glob(device_pattern) && !is_glob(point_pattern); }
    // Whether on_tick has anything to do for this rule's alerts.
    bool is_timed() const {
        return when.kind == condition_kind::stale || hold.count() > 0 || clear_hold.count() > 0 ||
               repeat.count() > 0;
    }
};

}  // namespace edgegate
