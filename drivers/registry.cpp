#include "drivers/registry.hpp"

#include "drivers/gpio/gpio_driver.hpp"
#include "drivers/modbus/modbus_driver.hpp"
#include "drivers/simulated/simulated_driver.hpp"

namespace edgegate {

std::vector<std::string> driver_names() { return {"gpio", "modbus", "simulated"}; }

std::unique_ptr<driver> make_driver(const std::string& driver_name, const std::string& device_name,
                                    yaml_section& device) {
    const std::size_t errors_before = device.diag().errors().size();
    std::unique_ptr<driver> d;
    if (driver_name == "simulated") {
        d = std::make_unique<simulated_driver>(parse_simulated_device(device_name, device));
    } else if (driver_name == "gpio") {
        d = make_gpio_driver(device_name, device);
    } else if (driver_name == "modbus") {
        d = make_modbus_driver(device_name, device);
    }
    if (device.diag().errors().size() != errors_before) return nullptr;
    return d;
}

}  // namespace edgegate
