#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "drivers/modbus/point.hpp"

namespace edgegate {

// What `edgegate probe modbus` prints for what it read from `address` of `table`. For registers:
// each register in hex, as uint16 and int16; from each address, the int32, uint32 and float32
// the next two registers make in every byte order, and the int64, uint64 and float64 of the
// next four; and the registers as text both ways round. For bits: one line per bit. It answers
// "which byte order is my meter": the row that shows the value on the meter's display.
std::string format_probe_report(modbus_table table, int address,
                                std::span<const std::uint16_t> data);

}  // namespace edgegate
