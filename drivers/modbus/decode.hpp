#pragma once

#include <cstdint>
#include <span>

#include "drivers/modbus/point.hpp"
#include "gateway/core/value.hpp"

namespace edgegate {

// The value of `p` from what was read for it: its registers in wire order, or for a coil or
// discrete input one element holding 0 or 1. `data.size()` is `p.width()`.
// Integers stay exact (int64 for the signed types, uint64 for the unsigned ones) unless the
// point is scaled; floats and scaled values are doubles (scaled ones rounded to 15 significant
// digits); strings are cut at the first NUL and trimmed of trailing spaces.
value decode_point(const modbus_point& p, std::span<const std::uint16_t> data);

// A float32 as the double with the same shortest decimal form, so that 0.1f reads 0.1 and not
// 0.10000000149011612: what the device meant, not the binary expansion of its rounding.
double widen(float f);

}  // namespace edgegate
