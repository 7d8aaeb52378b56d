#pragma once

#include <functional>
#include <optional>
#include <string>

#include "gateway/core/device_status.hpp"

namespace edgegate {

// Where a driver delivers its readings and device status changes: the pipeline's ingest
// channel. Called on the driver's own thread(s). Blocks while the channel is full
// (back-pressure: the poll loop simply polls later); returns false once the channel is closed,
// after which the driver stops delivering.
using reading_sink = std::function<bool(ingest_item&&)>;

// Told how a queued write ended; called exactly once, on the device's own thread.
using write_done = std::function<void(write_result)>;

// The Driver contract (DESIGN.md):
// * Constructed on the main thread from a validated configuration; the constructor does no I/O.
// * `start(sink)` is called once on the main thread; it launches the driver's own thread(s),
//   one per connection, and returns without blocking.
// * `stop()` is called once on the main thread; it joins those threads. No reading is delivered
//   after it returns. It may block for at most one poll/timeout of the driver.
// * Writes (MQTT commands, gateway/command/README.md) reach a driver on the command thread (the
//   MQTT client's callback thread), between start() and stop(): `check_write` first, then, when
//   it accepted, `write`. Writes are carried out on the device's own thread and connection.
// * A driver never throws out of its threads: a failed read becomes a reading with
//   quality=bad (or nothing), a rate-limited log line, and a reconnect with capped, jittered
//   backoff.
class driver {
  public:
    virtual ~driver() = default;

    virtual void start(reading_sink sink) = 0;
    virtual void stop() = 0;
    // The device name from the configuration.
    virtual const std::string& name() const = 0;

    // Command thread. Checks a write of `v` (as the command carried it, in engineering units) to
    // `point` against the point's configuration: known, `writable: true`, a value of the point's
    // type, within `min`/`max`, representable after the inverse scale. Returns the refusal to
    // show the caller, or nullopt. No I/O, never blocks. By default every point is refused.
    virtual std::optional<std::string> check_write(const std::string& point, const value& v) const;
    // Command thread, only for a request that check_write accepted. Queues the write for the
    // device's own thread and returns at once. `done` is called once, on that thread, after the
    // device confirmed the write (read back) or failed; a write still queued at stop() fails
    // with an error saying so. Never blocks.
    virtual void write(const std::string& point, const value& v, write_done done);
};

}  // namespace edgegate
