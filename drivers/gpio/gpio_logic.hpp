#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "drivers/gpio/gpio_config.hpp"
#include "drivers/gpio/line_source.hpp"
#include "gateway/core/reading.hpp"

namespace edgegate {

// What the driver makes of one device's lines once they are requested: debounce, edge
// selection, active-low, pulse counting and the periodic report. No threads and no waiting of
// its own, so the tests drive it with a fake line source and a fake clock. Used on the device's
// thread only.
//
// * `edge` selects physical edges (as `gpiomon` shows them); `active_low` inverts the value that
//   is reported. A line with `edge: both` reports changes of its value; a line with one edge
//   reports every such edge (a button press, a pulse).
// * Edges closer together than `debounce` are one change: each edge restarts the window and the
//   level of the last edge counts once the line has been quiet for `debounce`. The reading
//   carries the kernel's timestamp of the first edge of the burst (when the contact moved), not
//   the time the window closed.
// * `count: true` counts the (debounced) edges and reports, every `report`, the total since start
//   (uint64) and the rate over the interval as `<name>.rate` (per second).
// * Every other point reports its value every `report` as well, so that stale rules stay quiet
//   on lines that rarely change.
// * An output set by a command is reported at once, with the value read back from the line.
class gpio_logic {
  public:
    gpio_logic(const gpio_device_config& cfg, gpio_line_source& source,
               const gpio_time_source& time);

    // Called right after the lines were requested (again): reads every line and returns one
    // reading per non-counting point; counters start from zero.
    std::vector<reading> start();
    // An edge from the line source.
    std::vector<reading> on_event(const gpio_line_event& e);
    // Settles the debounce windows and makes the reports that are due.
    std::vector<reading> on_tick();
    // Drives the output `point` to the logical `value` (active_low applied) and reads the line
    // back. Returns the reading of the value read back, stamped with the wall-clock time of the
    // write. Throws gpio_error when `point` is not an output or the line fails.
    reading set_output(const std::string& point, bool value);
    // When on_tick() next has something to do (on the monotonic clock).
    std::chrono::nanoseconds next_deadline() const;

  private:
    struct point_state {
        const gpio_point* cfg = nullptr;
        bool level = false;  // the physical level after the last settled edge, or as last read
        bool pending = false;
        bool pending_level = false;
        std::chrono::nanoseconds burst_start{0};
        std::chrono::nanoseconds settle_at{0};
        std::uint64_t total = 0;
        std::uint64_t total_reported = 0;
        std::chrono::nanoseconds last_report{0};
        std::chrono::nanoseconds next_report{0};
    };

    void settle(point_state& s, bool level, std::chrono::nanoseconds edge_ts,
                std::vector<reading>& out);
    void report(point_state& s, std::chrono::nanoseconds now, std::vector<reading>& out);
    reading make(const point_state& s, value v, timestamp ts) const;
    // The wall-clock time of a monotonic instant in the past.
    timestamp wall_of(std::chrono::nanoseconds mono) const;

    const gpio_device_config& cfg_;
    gpio_line_source& source_;
    const gpio_time_source& time_;
    std::vector<point_state> points_;
    std::map<unsigned, std::size_t> by_line_;
};

}  // namespace edgegate
