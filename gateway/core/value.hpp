#pragma once

#include <cstdint>
#include <string>
#include <variant>

namespace edgegate {

// What a point holds. Integers stay integers end to end (int64/uint64 are never rounded
// through a double); double is used only for scaled or inherently real values.
using value = std::variant<bool, std::int64_t, std::uint64_t, double, std::string>;

}  // namespace edgegate
