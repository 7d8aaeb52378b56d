#pragma once

#include <memory>
#include <optional>
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

    // Command thread, no I/O: refuses an unknown point (naming the nearest one), a point without
    // `writable: true`, and whatever encode_point refuses.
    std::optional<std::string> check_write(const std::string& point, const value& v) const override;
    // Command thread: queues the write on the device's line (modbus_line::queue_write); `done`
    // comes from the line's thread after the write and its read-back. Does not block.
    void write(const std::string& point, const value& v, write_done done) override;

  private:
    // The index of `point` in the configuration, if there is one.
    std::optional<std::size_t> find(const std::string& point) const;

    std::shared_ptr<modbus_line> line_;
    std::shared_ptr<device_poller> device_;
};

// Validates a `driver: modbus` device entry and builds its driver; nullptr when the entry had
// errors (all reported to `device.diag()`). Main thread, start-up only; no I/O.
std::unique_ptr<driver> make_modbus_driver(const std::string& name, yaml_section& device);

}  // namespace edgegate
