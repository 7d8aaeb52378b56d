#pragma once

#include <functional>
#include <string>

#include "gateway/core/device_status.hpp"

namespace edgegate {

// Where a driver delivers its readings and device status changes: the pipeline's ingest
// channel. Called on the driver's own thread(s). Blocks while the channel is full
// (back-pressure: the poll loop simply polls later); returns false once the channel is closed,
// after which the driver stops delivering.
using reading_sink = std::function<bool(ingest_item&&)>;

// The Driver contract (DESIGN.md):
// * Constructed on the main thread from a validated configuration; the constructor does no I/O.
// * `start(sink)` is called once on the main thread; it launches the driver's own thread(s),
//   one per connection, and returns without blocking.
// * `stop()` is called once on the main thread; it joins those threads. No reading is delivered
//   after it returns. It may block for at most one poll/timeout of the driver.
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
};

}  // namespace edgegate
