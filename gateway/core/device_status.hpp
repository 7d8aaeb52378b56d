#pragma once

#include <string>
#include <variant>

#include "gateway/core/clock.hpp"
#include "gateway/core/command.hpp"
#include "gateway/core/reading.hpp"

namespace edgegate {

// A driver's word that a device went offline (with the error) or came back online. Sent once per
// transition, never per poll; published as {"event":"device","device":..,"state":..,"error":..}.
struct device_status {
    std::string device;
    bool online = false;
    std::string error;  // empty when online
    timestamp ts;
};

// What drivers (and the command router) hand to the pipeline.
using ingest_item = std::variant<reading, device_status, command_outcome>;

}  // namespace edgegate
