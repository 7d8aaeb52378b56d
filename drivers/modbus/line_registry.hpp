#pragma once

#include <memory>

#include "drivers/modbus/device_config.hpp"
#include "drivers/modbus/modbus_line.hpp"
#include "gateway/core/yaml_section.hpp"

namespace edgegate {

// The line (connection and thread) for a device's link, shared by every device of the process
// with the same endpoint or serial device, since one serial port can be opened only once and a
// TCP endpoint is best served by one connection. A line lives as long as a driver holds it.
// Returns nullptr after reporting at the device's keys any setting that conflicts with the
// devices already on the line (another transport, another baud rate, ...).
// Main thread, start-up only; no I/O.
std::shared_ptr<modbus_line> attach_line(const modbus_device_config& cfg, yaml_section& device);

}  // namespace edgegate
