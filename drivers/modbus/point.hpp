#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "drivers/modbus/byte_order.hpp"
#include "gateway/core/units.hpp"

namespace edgegate {

// The four Modbus data tables; coils and discrete inputs hold bits, the others 16-bit registers.
enum class modbus_table { coil, discrete, input, holding };

enum class point_type {
    boolean,
    int16,
    uint16,
    int32,
    uint32,
    int64,
    uint64,
    float32,
    float64,
    string
};

std::string_view table_name(modbus_table t);
std::string_view type_name(point_type t);
bool is_bit_table(modbus_table t);
bool is_integer(point_type t);
bool is_numeric(point_type t);

// Registers a value of `type` spans (1 for a bool, in whichever table; `length` for a string).
int register_count(point_type type, int length);

// One configured point of a Modbus device (drivers/modbus/README.md documents each field).
struct modbus_point {
    std::string name;
    modbus_table table = modbus_table::holding;
    // 0-based protocol address of the first register or bit.
    int address = 0;
    point_type type = point_type::uint16;
    byte_order order = byte_order::abcd;
    // For a bool in a register table: which bit, 0 = least significant.
    int bit = 0;
    // For a string: registers (two characters each).
    int length = 0;
    double scale = 1;
    double offset = 0;
    std::string unit;
    // Absent: every poll is published. Present: report by exception (see report_filter).
    std::optional<double> deadband;
    duration heartbeat = std::chrono::seconds(60);
    // Whether MQTT commands may write the point (only coils and whole holding registers).
    bool writable = false;
    // Bounds of a written value, in engineering units (before the inverse scale).
    std::optional<double> min;
    std::optional<double> max;

    // Registers (or bits) the point occupies from `address`.
    int width() const { return is_bit_table(table) ? 1 : register_count(type, length); }
    // An integer read is published as an exact integer only when nothing scales it.
    bool scaled() const { return scale != 1 || offset != 0; }
};

}  // namespace edgegate
