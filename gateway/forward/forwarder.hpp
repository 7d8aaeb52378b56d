#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "gateway/config/config.hpp"
#include "gateway/journal/journal.hpp"

namespace edgegate {

// Figures the forwarder reports (for logs, `status`, benchmarks). Any thread.
struct forwarder_stats {
    bool connected = false;
    std::int64_t published = 0;  // delivery tokens that succeeded
    std::int64_t resent = 0;     // events re-sent after a reconnect
    std::int64_t reconnects = 0;
};

// Relays the journal to the MQTT broker (DESIGN.md, "Forwarder"): a journal consumer with its own
// reader connection and its own thread. Publishes the high lane before the normal lane, keeps
// at most `mqtt.window` publishes unacknowledged, and posts the contiguous acknowledged seq per
// lane to `acks` (the writer thread persists it). On every (re)connect it resumes from the
// acknowledged position, so whatever was in flight is sent again (at-least-once).
// Status on `<prefix>/<gw>/status` (retained): {"state":"online","gateway":..,"version":..,"ts":..}
// after every connect; {"state":"offline","gateway":..,"ts":..} published at stop() and set as
// the last will (its ts is then the time of the connect that set it).
class forwarder {
  public:
    // Main thread, before start(). No I/O: connecting and opening the journal reader happen on
    // the forwarder's thread. `version` goes into the online status. Throws mqtt::exception
    // when `mqtt.uri` is malformed.
    forwarder(const mqtt_section& mqtt, std::string gateway_id, std::string journal_path,
              ack_mailbox& acks, std::string version = "unknown");
    ~forwarder();
    forwarder(const forwarder&) = delete;
    forwarder& operator=(const forwarder&) = delete;

    // Starts the forwarder thread (main thread). Does not wait for a connection.
    void start();
    // Wakes the forwarder because new events were committed. Any thread, never blocks.
    void notify();
    // Waits up to `grace` until every committed event is acknowledged (call it after the last
    // commit), then publishes the offline status, disconnects and joins the thread. Main thread.
    void stop(std::chrono::milliseconds grace);

    forwarder_stats stats() const;

  private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace edgegate
