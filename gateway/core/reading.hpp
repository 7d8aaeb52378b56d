#pragma once

#include <string>

#include "clock.hpp"
#include "quality.hpp"
#include "value.hpp"

namespace edgegate {

// What a driver saw: one value of one point of one device, stamped when it was read.
struct reading {
    std::string device;
    std::string point;
    edgegate::value value;
    edgegate::quality quality = quality::good;
    timestamp ts;
    std::string unit;
};

}  // namespace edgegate
