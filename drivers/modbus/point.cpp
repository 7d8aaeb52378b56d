#include "drivers/modbus/point.hpp"

namespace edgegate {

std::string_view table_name(modbus_table t) {
    switch (t) {
        case modbus_table::coil:
            return "coil";
        case modbus_table::discrete:
            return "discrete";
        case modbus_table::input:
            return "input";
        case modbus_table::holding:
            return "holding";
    }
    return "holding";
}

std::string_view type_name(point_type t) {
    switch (t) {
        case point_type::boolean:
            return "bool";
        case point_type::int16:
            return "int16";
        case point_type::uint16:
            return "uint16";
        case point_type::int32:
            return "int32";
        case point_type::uint32:
            return "uint32";
        case point_type::int64:
            return "int64";
        case point_type::uint64:
            return "uint64";
        case point_type::float32:
            return "float32";
        case point_type::float64:
            return "float64";
        case point_type::string:
            return "string";
    }
    return "uint16";
}

bool is_bit_table(modbus_table t) { return t == modbus_table::coil || t == modbus_table::discrete; }

bool is_integer(point_type t) {
    switch (t) {
        case point_type::int16:
        case point_type::uint16:
        case point_type::int32:
        case point_type::uint32:
        case point_type::int64:
        case point_type::uint64:
            return true;
        default:
            return false;
    }
}

bool is_numeric(point_type t) {
    return is_integer(t) || t == point_type::float32 || t == point_type::float64;
}

int register_count(point_type type, int length) {
    switch (type) {
        case point_type::int32:
        case point_type::uint32:
        case point_type::float32:
            return 2;
        case point_type::int64:
        case point_type::uint64:
        case point_type::float64:
            return 4;
        case point_type::string:
            return length;
        default:
            return 1;
    }
}

}  // namespace edgegate
