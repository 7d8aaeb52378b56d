#pragma once

#include <condition_variable>
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

// Makes the line source of a device; called once on the device's thread when it starts.
using gpio_source_factory = std::function<std::unique_ptr<gpio_line_source>()>;

// One GPIO chip of one device: a thread that requests the lines, waits for edge events (with a
// timeout, so that stop() is prompt and reports are on time) and hands them to gpio_logic.
// A chip that cannot be opened or a line that cannot be requested makes the device offline
// (one device status with the error), and the request is retried with capped, jittered backoff
// until it works.
class gpio_driver final : public driver {
  public:
    // The longest a wait for events or a backoff delay lasts before the thread checks for stop().
    static constexpr std::chrono::milliseconds max_wait{100};

    // The defaults are libgpiod and the system clocks; tests pass fakes.
    explicit gpio_driver(gpio_device_config cfg, gpio_source_factory make_source = {},
                         std::shared_ptr<const gpio_time_source> time = {});
    ~gpio_driver() override;

    void start(reading_sink sink) override;
    void stop() override;
    const std::string& name() const override { return cfg_.name; }

  private:
    void run(const reading_sink& sink);
    // Serves the requested lines until stop() or a failure. Returns the failure, or nullopt when
    // the thread should end (stop() or a closed sink).
    std::optional<std::string> serve(gpio_line_source& source, const reading_sink& sink);
    bool deliver(const reading_sink& sink, std::vector<reading> readings);
    bool stopping();
    // Waits for `d` or stop(); returns false on stop().
    bool pause(std::chrono::milliseconds d);

    gpio_device_config cfg_;
    gpio_source_factory make_source_;
    std::shared_ptr<const gpio_time_source> time_;
    std::vector<gpio_line_spec> specs_;
    std::thread thread_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
};

// Validates a `driver: gpio` device entry and builds its driver (no I/O).
std::unique_ptr<driver> make_gpio_driver(const std::string& name, yaml_section& device);

}  // namespace edgegate
