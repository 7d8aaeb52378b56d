#pragma once

#include <memory>
#include <string>
#include <vector>

#include "drivers/driver.hpp"
#include "gateway/core/yaml_section.hpp"

namespace edgegate {

// The names accepted for `devices[].driver`, in one explicit list.
std::vector<std::string> driver_names();

// Validates one device entry (`name` and `driver` are already checked by the caller) with the
// driver's own rules and builds the (not yet started) driver. Problems go to `device.diag()`;
// returns nullptr when there were any. Main thread, start-up only; no I/O.
std::unique_ptr<driver> make_driver(const std::string& driver_name, const std::string& device_name,
                                    yaml_section& device);

}  // namespace edgegate
