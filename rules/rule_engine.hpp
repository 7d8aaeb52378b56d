#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "gateway/core/alert.hpp"
#include "gateway/core/reading.hpp"
#include "rules/alert_lifecycle.hpp"
#include "rules/rate_window.hpp"
#include "rules/rule.hpp"

namespace edgegate {

// An alert state for the journal to save (`active`) or remove, in the same transaction as the
// alert events made with it.
struct alert_change {
    active_alert state;  // rule, device and point are always set
    bool active = false;
};

// The rules engine (rules/README.md). Pure and single-threaded: no I/O, no clock; time comes in
// with the readings (their source time) and the ticks. The pipeline thread owns it: it calls
// on_reading for every reading, on_tick on a timer (for `for`, `clear_for`, `stale` and
// `repeat`), and writes take_changes() to the journal with the events. Nothing here blocks.
//
// Rules are indexed by (device, point): exact names in a hash map, globs resolved once for each
// new (device, point) and the result kept, so a reading costs the rules that match it, not all.
class rule_engine {
  public:
    explicit rule_engine(std::vector<rule> rules);

    // Once, before the first reading: the alerts that were active when the gateway stopped
    // (journal), so they stay active without a second raise. Returns a clear for each one whose
    // rule is gone from the configuration or no longer matches its point.
    std::vector<alert> restore(const std::vector<active_alert>& saved, timestamp now);

    std::vector<alert> on_reading(const reading& r);
    std::vector<alert> on_tick(timestamp now);

    // The alert states changed since the last call (raised, repeated, cleared, a new peak), each
    // key once, in its latest state.
    std::vector<alert_change> take_changes();

    const std::vector<rule>& rules() const { return rules_; }

  private:
    struct tracker {
        std::uint32_t rule = 0;
        std::string device;
        std::string point;
        std::string unit;
        alert_lifecycle life;
        // The latest measure: the value, the rate, or for `stale` the age in seconds.
        std::optional<value> measured;
        std::optional<double> measure;
        std::optional<value> peak;
        std::optional<double> peak_measure;
        std::optional<rate_window> rate;
        // stale: the newest good reading, or when watching began; and the last silence, in
        // seconds, which is the value of its clear.
        std::optional<timestamp> fresh_at;
        double last_silence = 0;
        bool dirty = false;
    };

    struct string_hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept {
            return std::hash<std::string_view>{}(s);
        }
    };
    template <typename t>
    using string_map = std::unordered_map<std::string, t, string_hash, std::equal_to<>>;

    // The trackers of (device, point), made on first sight.
    const std::vector<std::uint32_t>& trackers_for(std::string_view device, std::string_view point);
    void evaluate(std::uint32_t index, const reading& r, std::vector<alert>& out);
    void evaluate_stale(std::uint32_t index, const reading& r, std::vector<alert>& out);
    void tick(std::uint32_t index, timestamp now, std::vector<alert>& out);
    void note_peak(tracker& t, std::uint32_t index);
    void announce(std::uint32_t index, alert_lifecycle::step step, timestamp now,
                  std::vector<alert>& out);
    alert make_alert(const tracker& t, alert_state state, timestamp now) const;
    void mark_dirty(std::uint32_t index);

    std::vector<rule> rules_;
    string_map<std::uint32_t> by_name_;
    // "device/point" of exact rules -> their indexes; names cannot contain '/'.
    string_map<std::vector<std::uint32_t>> exact_;
    std::vector<std::uint32_t> globs_;
    // device -> point -> indexes into trackers_.
    string_map<string_map<std::vector<std::uint32_t>>> points_;
    std::vector<tracker> trackers_;
    std::vector<std::uint32_t> timed_;
    std::vector<std::uint32_t> dirty_;
    std::vector<alert_change> removed_;
};

}  // namespace edgegate
