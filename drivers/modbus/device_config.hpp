#pragma once

#include <string>
#include <vector>

#include "drivers/modbus/link_settings.hpp"
#include "drivers/modbus/point.hpp"
#include "gateway/core/units.hpp"
#include "gateway/core/yaml_section.hpp"

namespace edgegate {

// A `driver: modbus` device entry, validated (drivers/modbus/README.md documents every key).
struct modbus_device_config {
    std::string name;
    link_settings link;
    int unit_id = 1;
    duration poll = std::chrono::seconds(1);
    duration timeout = std::chrono::milliseconds(500);
    int max_gap = 8;
    bool coalesce = true;
    // Writes with FC15/FC16 even for one coil or register, for devices without FC05/FC06.
    bool write_multiple = false;
    duration reconnect_min = std::chrono::seconds(1);
    duration reconnect_max = std::chrono::seconds(30);
    std::vector<modbus_point> points;
};

// Reads and checks one device entry (`name` and `driver` already read by the caller), reporting
// every problem to the section's diagnostics, and calls `device.finish()`. Main thread,
// start-up only; no I/O.
modbus_device_config parse_modbus_device(const std::string& name, yaml_section& device);

}  // namespace edgegate
