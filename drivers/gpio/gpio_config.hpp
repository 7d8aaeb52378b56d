#pragma once

#include <string>
#include <vector>

#include "drivers/gpio/line_source.hpp"
#include "gateway/core/units.hpp"
#include "gateway/core/yaml_section.hpp"

namespace edgegate {

struct gpio_point {
    std::string name;
    gpio_line_spec spec;
    duration debounce{0};
    bool active_low = false;
    bool count = false;
    duration report = std::chrono::seconds(60);
    bool initial = false;  // outputs: the logical value set at start
    bool writable = false;
};

struct gpio_device_config {
    std::string name;
    std::string chip;
    std::vector<gpio_point> points;
    duration reconnect_min = std::chrono::seconds(1);
    duration reconnect_max = std::chrono::seconds(30);
};

// Validates a `driver: gpio` device entry (see drivers/gpio/README.md). Reports problems to the
// section's diagnostics. Main thread, start-up only; no I/O (`edgegate check` runs it on
// machines without GPIO chips).
gpio_device_config parse_gpio_device(const std::string& name, yaml_section& device);

// The name of the reading that carries a counting point's rate.
std::string gpio_rate_point(const std::string& point);

}  // namespace edgegate
