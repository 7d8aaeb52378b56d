#include "drivers/driver.hpp"

namespace edgegate {

std::optional<std::string> driver::check_write(const std::string& point, const value&) const {
    return "point '" + point + "' of device '" + name() +
           "' is not writable (the device's driver takes no writes)";
}

void driver::write(const std::string&, const value&, write_done done) {
    done({false, "device '" + name() + "' takes no writes", std::nullopt});
}

}  // namespace edgegate
