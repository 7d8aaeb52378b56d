#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "gateway/config/config.hpp"
#include "gateway/journal/journal.hpp"

namespace edgegate {

// Figures the forwarder reports (for logs, `status`, benchmarks). Any thread.
struct forwarder_stats {
    bool connected = false;
    std::int64_t published = 0;  // events acknowledged by the broker (a batch counts its readings)
    std::int64_t resent = 0;     // events re-sent after a reconnect
    std::int64_t reconnects = 0;
    std::optional<timestamp> connected_since;  // the current connection's, while connected
};

// The headline figures the online status carries besides the forwarder's own (README
// "Metrics"). Gathered by whoever wires the gateway (gateway/metrics).
struct status_figures {
    std::int64_t backlog = 0;                  // events the journal holds undelivered
    std::optional<double> oldest_age_seconds;  // of the oldest of them; none when nothing waits
    std::uint64_t readings_total = 0;          // readings the pipeline took since the start
    std::int64_t dropped_total = 0;            // undelivered events retention removed, all time
    std::uint64_t active_alerts = 0;
};
// Called on the forwarder thread at each connect and every `mqtt.status_interval`; must not
// throw, may block briefly (a journal read).
using status_source = std::function<status_figures()>;

// Relays the journal to the MQTT broker (DESIGN.md, "Forwarder"): a journal consumer with its own
// reader connection and its own thread. Publishes the high lane before the normal lane, keeps
// at most `mqtt.window` publishes unacknowledged, and posts the contiguous acknowledged seq per
// lane to `acks` (the writer thread persists it), and what it has on its way (post_sent, under
// the mailbox's transit() from the read on, so retention drops those rows last). On every
// (re)connect it resumes from the acknowledged position, so whatever was in flight is sent
// again (at-least-once).
// A message is one event, or, with `mqtt.batch` > 1 while the forwarder is behind, up to that
// many readings of one device as a JSON array on `<prefix>/<gw>/batch/<device>`; its PUBACK
// acknowledges every seq it carries. `mqtt.rate_limit` caps messages per second (the high lane
// takes the tokens first). Publishes that wait 1.5 x `mqtt.keepalive` for any acknowledgement
// mean a dead link: it is dropped and reconnected, as if the broker had closed it.
// Over ssl:// it verifies the broker's certificate chain and host name unless `tls.verify` is
// false, and may present a client certificate; user name and password go in the CONNECT. A
// refused connect (TLS, credentials) is an outage like an unreachable broker: logged once, in
// words naming the cause, and retried with backoff while the journal keeps everything.
// The cause of a failed TLS handshake does not come from Paho's OpenSSL error callback
// (ssl_options::set_error_handler is not used): Paho C++ 1.2.0 hands Paho C a pointer to the
// by-value copy of the connect options as the callback's context, and Paho calls it during the
// handshake after that copy is gone (eclipse-paho/paho.mqtt.cpp#325, #439); no options we keep
// can stand in for it. Paho's trace names a host-name mismatch and a broker's alert, but not
// OpenSSL's reason for a failed verification. So when a handshake that began fails for no cause
// the trace names, with `tls.verify` on, the first failure of an outage (the one logged) is
// explained by a handshake of our own with the same settings (tls_probe.hpp, 3 s at most);
// retries are never probed, so a broken broker is not probed in a loop.
// Status on `<prefix>/<gw>/status` (retained): {"state":"online","gateway":..,"version":..,"ts":..,
// "forwarded_total":.., the status_figures when a source is set, "connected_since":..} after
// every connect and again every `mqtt.status_interval` while connected;
// {"state":"offline","gateway":..,"ts":..} published at stop() and set as the last will (its ts
// is then the time of the connect that set it).
// The highest seq the forwarder may publish: the journal writer's durable_seq().
using durable_source = std::function<std::int64_t()>;

// Receives a command from `<prefix>/<gw>/cmd/<device>/<point>` (gateway/command/README.md).
// Called on Paho's callback thread; may block briefly.
using command_handler = std::function<void(std::string_view device, std::string_view point,
                                           std::string_view payload, bool retained)>;

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

    // Main thread, before start(): subscribe to `<prefix>/<gw>/cmd/+/+` (QoS 1) on every
    // connection and hand each command to `handler`. Without it nothing is subscribed.
    void on_commands(command_handler handler);
    // Main thread, before start(): where the online status gets its headline figures. Without
    // it the status carries the forwarder's own figures only.
    void on_status(status_source source);
    // Main thread, before start(): publish only events with seq <= what `source` returns, the
    // journal's durable_seq(), so that a power loss cannot take back (and number again) an event
    // already published; wake the forwarder with notify() when it grows. Without it every
    // committed event is published.
    void publish_durable(durable_source source);

    // Logs `mqtt.warnings` (verification off, credentials readable by others: at every start,
    // so they stay in sight) and starts the forwarder thread (main thread). Does not wait for a
    // connection.
    void start();
    // Wakes the forwarder because new events were committed (made durable, with
    // publish_durable()). Any thread, never blocks.
    void notify();
    // Waits up to `grace` until every committed (durable) event is acknowledged (call it after
    // the last commit or sync), then publishes the offline status, disconnects and joins the
    // thread. Main thread.
    void stop(std::chrono::milliseconds grace);

    forwarder_stats stats() const;

    // Any thread, never blocks: when the forwarder thread last began a loop iteration, the
    // watchdog's sign of life. Every wait of that thread (for work, for acknowledgements, for
    // a connect, between reconnect attempts) lasts at most about a second, so a slow or absent
    // broker keeps it current and only a thread stuck inside one call falls behind. The one
    // exception, the TLS probe at the start of an outage, lasts 3 s at most (plus a name lookup
    // that has just succeeded for Paho), well within any watchdog period.
    std::chrono::steady_clock::time_point last_progress() const;

  private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace edgegate
