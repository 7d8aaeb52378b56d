#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "drivers/driver.hpp"
#include "gateway/config/config.hpp"
#include "gateway/core/token_bucket.hpp"

namespace edgegate {

// Takes the commands the forwarder receives on `<prefix>/<gw>/cmd/<device>/<point>` and carries
// them to the devices (gateway/command/README.md): reads the payload, refuses what must not be
// written (stale, unknown device or point, not writable, wrong type, out of range, too fast), and
// queues the rest to the device's driver. Every outcome, accepted or refused, goes to `sink` as a
// command_outcome, which the pipeline journals as the caller's answer and an audit record.
class command_router {
  public:
    using clock_fn = std::function<timestamp()>;

    // Main thread, before the forwarder starts. `devices` outlive the router (or close()).
    // `sink` is the ingest channel's push: it may block while the channel is full.
    command_router(const commands_section& cfg, const std::vector<std::unique_ptr<driver>>& devices,
                   reading_sink sink, clock_fn now = wall_clock::now);

    // The MQTT client's callback thread. `device` and `point` are the two topic levels after
    // `cmd/`; `retained` says the broker delivered a retained message. May block on the sink.
    void on_command(std::string_view device, std::string_view point, std::string_view payload,
                    bool retained);

    // Main thread, at a configuration reload: runs `swap` (which stops the old drivers and
    // starts `devices`) while no command is being dispatched, then routes to `devices` with the
    // new settings. Commands arriving meanwhile wait.
    void replace_devices(const commands_section& cfg,
                         const std::vector<std::unique_ptr<driver>>& devices,
                         const std::function<void()>& swap);

    // Main thread, before the drivers stop: later commands are dropped unanswered (logged), and
    // none is being dispatched when this returns. Answers to writes already queued still arrive.
    void close();

  private:
    void answer(command_outcome&& outcome);
    bool take_token(const std::string& key);

    void set_devices(const std::vector<std::unique_ptr<driver>>& devices);

    commands_section cfg_;
    std::map<std::string, driver*, std::less<>> devices_;
    const reading_sink sink_;
    const clock_fn now_;

    std::mutex mutex_;  // held while a command is dispatched; close() takes it
    bool closed_ = false;
    // A bucket per point ("device/point"): `rate` tokens, refilled at `rate` per second.
    std::map<std::string, token_bucket> buckets_;
};

}  // namespace edgegate
