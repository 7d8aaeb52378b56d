#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "drivers/driver.hpp"
#include "drivers/simulated/signal.hpp"
#include "gateway/core/yaml_section.hpp"

namespace edgegate {

struct simulated_device_config {
    std::string name;
    duration poll = std::chrono::seconds(1);
    std::vector<signal_spec> points;
};

// Validates a `driver: simulated` device entry (see drivers/simulated/README.md). Reports
// problems to the section's diagnostics. Main thread, start-up only.
simulated_device_config parse_simulated_device(const std::string& name, yaml_section& device);

// A stand-in for hardware: one thread per device that, every `poll`, delivers one reading per
// point. Follows the Driver contract exactly like a real driver.
class simulated_driver final : public driver {
  public:
    explicit simulated_driver(simulated_device_config cfg);
    ~simulated_driver() override;

    void start(reading_sink sink) override;
    void stop() override;
    const std::string& name() const override { return cfg_.name; }

  private:
    void run(reading_sink sink);

    simulated_device_config cfg_;
    std::thread thread_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
};

}  // namespace edgegate
