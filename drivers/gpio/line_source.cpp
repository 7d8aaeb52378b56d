#include "drivers/gpio/line_source.hpp"

namespace edgegate {

std::string gpio_busy_message(const std::string& chip, unsigned line, const std::string& holder) {
    return "line " + std::to_string(line) + " of " + chip + " is busy: held by " +
           (holder.empty() ? std::string("a kernel driver or a process without a consumer name")
                           : "consumer '" + holder + "'") +
           " (see gpioinfo)";
}

}  // namespace edgegate
