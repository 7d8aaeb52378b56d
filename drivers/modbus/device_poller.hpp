#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "drivers/modbus/connection.hpp"
#include "drivers/modbus/device_config.hpp"
#include "drivers/modbus/read_plan.hpp"
#include "drivers/modbus/report_filter.hpp"
#include "gateway/core/backoff.hpp"
#include "gateway/core/command.hpp"
#include "gateway/core/device_counters.hpp"
#include "gateway/core/device_status.hpp"

namespace edgegate {

// Hands one reading or status change on; false when this device must stop delivering (its
// driver was stopped, or the ingest channel closed).
using deliver_fn = std::function<bool(ingest_item&&)>;

// What one poll of a device came to, for its line's scheduling.
enum class poll_outcome {
    // The device answered at least one request (possibly with exceptions).
    answered,
    // It did not answer, or answered only garbage: it is offline and backs off.
    no_answer,
    // The link failed under it; nothing was concluded about the device.
    link_down,
};

struct poll_report {
    poll_outcome outcome = poll_outcome::answered;
    std::string error;
};

// How a write went, for the command (`result`) and for the line (`status`: how the last
// request ended, so that a failed link is closed).
struct write_report {
    write_result result;
    read_status status = read_status::ok;
};

// One Modbus device (a unit id behind a connection): its read plan, the state of each point,
// online/offline, and when it is due. Owned by its line's thread, which alone calls everything
// except the constructor.
class device_poller {
  public:
    using clock = std::chrono::steady_clock;

    explicit device_poller(modbus_device_config cfg);

    const modbus_device_config& config() const { return cfg_; }
    // The current read plan: coalesced blocks, refined by every exception-02 split.
    const std::vector<read_block>& plan() const { return plan_; }

    // Reads every block of the plan once over `conn` and delivers what changed: readings (bad
    // ones once per transition), and the device's online/offline status on each transition.
    // `keep_going` is asked before each request, so a stop does not wait for a whole poll.
    // Then schedules the next poll: one period after this one was due, or after a backoff
    // delay when the device did not answer. Each poll is timed into the device's
    // poll_duration; one with no answer, a garbled frame or a Modbus exception counts as a
    // poll error.
    poll_report poll(modbus_connection& conn, const deliver_fn& deliver,
                     const std::function<bool()>& keep_going);

    // Writes `data` (encode_point's, for point `index`) over `conn`, then reads the point back:
    // the write is good only when the device holds what was written, and the result's value is
    // what it holds (decoded). `keep_going` is asked between the two requests. Delivers nothing
    // and leaves the poll schedule and the online state alone: the next poll sees the new value.
    write_report write(modbus_connection& conn, std::size_t index,
                       std::span<const std::uint16_t> data,
                       const std::function<bool()>& keep_going);

    // The link could not be opened: the device is offline (published once), and the poll that
    // was due counts as a poll error.
    void link_failed(const std::string& error, const deliver_fn& deliver);

    bool offline() const { return state_ == state::offline; }
    clock::time_point next_due() const { return next_due_; }
    void set_next_due(clock::time_point t) { next_due_ = t; }

  private:
    enum class state { unknown, online, offline };

    bool go_online(const deliver_fn& deliver);
    bool go_offline(const std::string& error, const deliver_fn& deliver);
    // Publishes a bad reading for each of `points` not already bad; false when delivery stopped.
    bool mark_bad(const std::vector<std::size_t>& points, const std::string& error,
                  const deliver_fn& deliver);
    bool deliver_block(const read_block& block, const deliver_fn& deliver);
    // poll() without the figures; sets `failed` when a request of the poll failed.
    poll_report poll_blocks(modbus_connection& conn, const deliver_fn& deliver,
                            const std::function<bool()>& keep_going, bool& failed);

    modbus_device_config cfg_;
    std::vector<read_block> plan_;
    std::vector<report_filter> filters_;
    backoff backoff_;
    state state_ = state::unknown;
    // While offline: since when, and how many polls failed (for the log line when it returns).
    clock::time_point offline_since_;
    std::uint64_t failed_polls_ = 0;
    clock::time_point next_due_;
    std::vector<std::uint16_t> data_;
    device_counters& counters_;
};

}  // namespace edgegate
