#pragma once

#include <string_view>

namespace edgegate {

// How far a reading can be trusted. `bad` readings never satisfy or clear a value
// condition in the rules; they only feed staleness.
enum class quality { good, uncertain, bad };

std::string_view to_string(quality q);

}  // namespace edgegate
