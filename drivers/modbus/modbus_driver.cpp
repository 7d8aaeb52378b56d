#include "drivers/modbus/modbus_driver.hpp"

#include "drivers/modbus/line_registry.hpp"

namespace edgegate {

modbus_driver::modbus_driver(std::shared_ptr<modbus_line> line,
                             std::shared_ptr<device_poller> device)
    : line_(std::move(line)), device_(std::move(device)) {}

modbus_driver::~modbus_driver() { stop(); }

void modbus_driver::start(reading_sink sink) { line_->start_device(device_, std::move(sink)); }

void modbus_driver::stop() { line_->stop_device(device_); }

std::unique_ptr<driver> make_modbus_driver(const std::string& name, yaml_section& device) {
    const std::size_t errors_before = device.diag().errors().size();
    modbus_device_config cfg = parse_modbus_device(name, device);
    if (device.diag().errors().size() != errors_before) return nullptr;
    auto line = attach_line(cfg, device);
    if (!line) return nullptr;
    return std::make_unique<modbus_driver>(std::move(line),
                                           std::make_shared<device_poller>(std::move(cfg)));
}

}  // namespace edgegate
