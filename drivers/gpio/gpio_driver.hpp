#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "drivers/driver.hpp"
#include "drivers/gpio/gpio_config.hpp"
#include "drivers/gpio/line_source.hpp"
#include "gateway/core/yaml_section.hpp"

namespace edgegate {

class gpio_logic;

// Makes the line source of a device; called once on the device's thread when it starts.
using gpio_source_factory = std::function<std::unique_ptr<gpio_line_source>()>;

// One GPIO chip of one device: a thread that requests the lines, waits for edge events (with a
// timeout, so that reports are on time) and hands them to gpio_logic. A chip that cannot be
// opened or a line that cannot be requested makes the device offline (one device status with
// the error), and the request is retried with capped, jittered backoff until it works.
//
// Writes (MQTT commands) to outputs with `writable: true` are queued and carried out by the same
// thread between two waits; queueing one interrupts the wait, so a write does not wait for the
// next event or deadline. While the device is offline, queued writes fail with the chip's error
// at once rather than wait for a reconnect that may take minutes.
class gpio_driver final : public driver {
  public:
    // The longest a wait for events lasts before the thread looks at its deadlines again.
    static constexpr std::chrono::milliseconds max_wait{100};

    // The defaults are libgpiod and the system clocks; tests pass fakes.
    explicit gpio_driver(gpio_device_config cfg, gpio_source_factory make_source = {},
                         std::shared_ptr<const gpio_time_source> time = {});
    ~gpio_driver() override;

    void start(reading_sink sink) override;
    void stop() override;
    const std::string& name() const override { return cfg_.name; }
    // Accepts a JSON boolean for an output with `writable: true`; refuses everything else.
    std::optional<std::string> check_write(const std::string& point, const value& v) const override;
    // As driver::write; once the device's thread has ended (stop(), or the pipeline closed),
    // `done` is called at once on the calling thread, as no other thread is left to call it.
    void write(const std::string& point, const value& v, write_done done) override;

  private:
    struct pending_write {
        std::string point;
        value v;
        write_done done;
    };

    void run(const reading_sink& sink);
    // Requests the lines and serves them, retrying with backoff, until stop() or a closed sink.
    void connect_and_serve(gpio_line_source& source, const reading_sink& sink);
    // Serves the requested lines until stop() or a failure. Returns the failure, or nullopt when
    // the thread should end (stop() or a closed sink).
    std::optional<std::string> serve(gpio_line_source& source, const reading_sink& sink);
    // Carries out the queued writes; returns the readings of the new values. Throws gpio_error
    // when a line fails (the writes not yet carried out have failed with it).
    std::vector<reading> carry_out_writes(gpio_logic& logic);
    bool deliver(const reading_sink& sink, std::vector<reading> readings);
    bool stopping();
    // Waits for `d` or stop(), failing the writes queued meanwhile with `offline_error` (the chip
    // is not requested). Returns false on stop().
    bool pause(std::chrono::milliseconds d, const std::string& offline_error);
    // Fails every queued write with `error`, calling `done` outside the lock.
    static void fail_all(const std::deque<pending_write>& writes, const std::string& error);
    // No thread will carry out writes any more: fails those still queued, and later ones at once.
    void close_writes();

    gpio_device_config cfg_;
    gpio_source_factory make_source_;
    std::shared_ptr<const gpio_time_source> time_;
    std::vector<gpio_line_spec> specs_;
    std::thread thread_;
    std::mutex mutex_;
    std::condition_variable wake_;
    // Guarded by mutex_.
    bool stopping_ = false;
    bool closed_ = false;  // see close_writes()
    std::deque<pending_write> writes_;
    gpio_line_source* source_ = nullptr;  // the thread's source while it has one, to interrupt it
};

// Validates a `driver: gpio` device entry and builds its driver (no I/O).
std::unique_ptr<driver> make_gpio_driver(const std::string& name, yaml_section& device);

}  // namespace edgegate
