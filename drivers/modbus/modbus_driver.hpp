#pragma once

#include <memory>
#include <string>

#include "drivers/driver.hpp"
#include "drivers/modbus/device_poller.hpp"
#include "drivers/modbus/modbus_line.hpp"
#include "gateway/core/yaml_section.hpp"

namespace edgegate {

// A Modbus device (drivers/modbus/README.md). Its polling runs on the thread of its line, which
// it shares with the other devices on the same TCP endpoint or serial line; start() and stop()
// add it to and remove it from that thread's rounds.
class modbus_driver final : public driver {
  public:
    modbus_driver(std::shared_ptr<modbus_line> line, std::shared_ptr<device_poller> device);
    ~modbus_driver() override;

    void start(reading_sink sink) override;
    void stop() override;
    const std::string& name() const override { return device_->config().name; }

  private:
    std::shared_ptr<modbus_line> line_;
    std::shared_ptr<device_poller> device_;
};

// Validates a `driver: modbus` device entry and builds its driver; nullptr when the entry had
// errors (all reported to `device.diag()`). Main thread, start-up only; no I/O.
std::unique_ptr<driver> make_modbus_driver(const std::string& name, yaml_section& device);

}  // namespace edgegate
