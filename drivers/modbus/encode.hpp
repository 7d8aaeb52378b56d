#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "drivers/modbus/point.hpp"
#include "gateway/core/value.hpp"

namespace edgegate {

// What to write for a point, or why the value cannot be written.
struct encode_result {
    // A coil: one element, 0 or 1. Otherwise `p.width()` registers in wire order.
    std::vector<std::uint16_t> data;
    // The refusal, for the command's caller; empty when `data` is good.
    std::string error;

    bool ok() const { return error.empty(); }
};

// The inverse of decode_point: `v`, as a command carried it in engineering units, converted
// with the point's type, inverse scale (raw = (v - offset) / scale) and byte order. Refused: a
// value of the wrong kind (a coil takes only true or false, a numeric point only a number), a
// non-finite number, one outside the point's `min`/`max`, and one the type cannot hold after the
// inverse scale (integer types round to the nearest integer, halves away from zero, then check
// the range; float32 must stay within float range). An unscaled integer type takes a JSON
// integer exactly, never through a double. Strings and bits inside registers are refused (see
// the `writable` key). Does not check `writable`. Pure.
encode_result encode_point(const modbus_point& p, const value& v);

// A value as a message shows it: true, -3, 2.5 (shortest form), "text".
std::string value_text(const value& v);

}  // namespace edgegate
