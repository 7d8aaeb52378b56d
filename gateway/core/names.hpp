#pragma once

#include <string_view>

namespace edgegate {

// Device and point names become MQTT topic levels, so they are restricted to [A-Za-z0-9_.-]
// and must not be empty.
bool is_valid_name(std::string_view name);

}  // namespace edgegate
