#include "drivers/modbus/device_config.hpp"

#include <array>
#include <limits>

#include "drivers/modbus/read_plan.hpp"
#include "gateway/core/names.hpp"

namespace edgegate {

namespace {

using namespace std::chrono_literals;

constexpr std::array serial_keys = {"serial", "baud", "parity", "data_bits", "stop_bits"};
constexpr std::array tcp_keys = {"host", "port"};

transport parse_transport(const std::string& s) {
    if (s == "rtu") return transport::rtu;
    if (s == "rtu-over-tcp") return transport::rtu_over_tcp;
    return transport::tcp;
}

modbus_table parse_table(const std::string& s) {
    if (s == "coil") return modbus_table::coil;
    if (s == "discrete") return modbus_table::discrete;
    if (s == "input") return modbus_table::input;
    return modbus_table::holding;
}

point_type parse_type(const std::string& s) {
    constexpr std::array all = {point_type::boolean, point_type::int16,   point_type::uint16,
                                point_type::int32,   point_type::uint32,  point_type::int64,
                                point_type::uint64,  point_type::float32, point_type::float64,
                                point_type::string};
    for (const point_type t : all) {
        if (type_name(t) == s) return t;
    }
    return point_type::uint16;
}

// Keys that belong to the other kind of transport are refused by name, which says more than
// "unknown key" would.
template <std::size_t n>
void refuse(yaml_section& device, const std::array<const char*, n>& keys, std::string_view why) {
    for (const char* key : keys) {
        if (device.has(key)) device.error(device.raw(key), key, std::string(why));
    }
}

void read_link(yaml_section& device, modbus_device_config& cfg) {
    link_settings& link = cfg.link;
    link.kind =
        parse_transport(device.enumeration("transport", "tcp", {"tcp", "rtu", "rtu-over-tcp"}));
    if (link.kind == transport::rtu) {
        refuse(device, tcp_keys, "applies only to transport tcp and rtu-over-tcp");
        link.serial = device.required_str("serial");
        link.baud = static_cast<int>(device.integer("baud", link.baud, 1200, 921600));
        if (!is_standard_baud(link.baud)) {
            device.error(
                device.raw("baud"), "baud",
                "unsupported baud rate " + std::to_string(link.baud) +
                    " (libmodbus would silently use 9600), expected one of: " + standard_bauds());
            link.baud = 19200;
        }
        const std::string parity = device.enumeration("parity", "even", {"none", "even", "odd"});
        link.parity = parity == "none" ? 'N' : parity == "odd" ? 'O' : 'E';
        link.data_bits = static_cast<int>(device.integer("data_bits", 8, 7, 8));
        link.stop_bits = static_cast<int>(device.integer("stop_bits", 1, 1, 2));
    } else {
        refuse(device, serial_keys, "applies only to transport rtu");
        link.host = device.required_str("host");
        link.port = static_cast<int>(device.integer("port", 502, 1, 65535));
    }
    // 0 addresses a Modbus TCP device itself; on a serial line it is the broadcast address,
    // which never answers, and 248..255 are reserved.
    const int max_unit = link.kind == transport::tcp ? 255 : 247;
    const int min_unit = link.kind == transport::tcp ? 0 : 1;
    cfg.unit_id = static_cast<int>(device.integer("unit_id", 1, min_unit, max_unit));
}

void read_order(yaml_section& p, modbus_point& point) {
    if (!p.has("order")) return;
    const int regs = register_count(point.type, 0);
    std::string name;
    if (point.type == point_type::string) {
        name = p.enumeration("order", "ABCD", {"ABCD", "BADC"});
    } else if (regs == 2) {
        name = p.enumeration("order", "ABCD", {"ABCD", "DCBA", "BADC", "CDAB"});
    } else if (regs == 4) {
        name = p.enumeration(
            "order", "ABCD",
            {"ABCDEFGH", "HGFEDCBA", "BADCFEHG", "GHEFCDAB", "ABCD", "DCBA", "BADC", "CDAB"});
    } else {
        p.error(p.raw("order"), "order", "applies only to 32- and 64-bit types and to strings");
        return;
    }
    point.order = parse_order(name, regs).value_or(byte_order::abcd);
}

void read_bit(yaml_section& p, modbus_point& point) {
    const bool wants_bit = point.type == point_type::boolean && !is_bit_table(point.table);
    if (!wants_bit) {
        if (p.has("bit")) {
            p.error(p.raw("bit"), "bit", "applies only to a bool in table input or holding");
        }
        return;
    }
    if (!p.has("bit")) {
        p.error("a bool in table '" + std::string(table_name(point.table)) +
                "' needs 'bit' (0..15)");
        return;
    }
    point.bit = static_cast<int>(p.integer("bit", 0, 0, 15));
}

void read_length(yaml_section& p, modbus_point& point) {
    if (point.type != point_type::string) {
        if (p.has("length")) p.error(p.raw("length"), "length", "applies only to type string");
        return;
    }
    if (!p.has("length")) {
        p.error("a string needs 'length' (registers, 1.." + std::to_string(max_read_registers) +
                ")");
        point.length = 1;
        return;
    }
    point.length = static_cast<int>(p.integer("length", 1, 1, max_read_registers));
}

void read_scaling(yaml_section& p, modbus_point& point) {
    constexpr double big = 1e15;
    const bool numeric = is_numeric(point.type);
    for (const char* key : {"scale", "offset"}) {
        if (!numeric && p.has(key)) {
            p.error(p.raw(key), key, "applies only to numeric types");
        }
    }
    if (!numeric) return;
    point.scale = p.number("scale", 1, -big, big);
    if (point.scale == 0) p.error(p.raw("scale"), "scale", "must not be 0");
    point.offset = p.number("offset", 0, -big, big);
}

void read_reporting(yaml_section& p, modbus_point& point, duration heartbeat) {
    point.deadband = p.opt_number("deadband", 0, 1e15);
    if (point.deadband && *point.deadband != 0 && !is_numeric(point.type)) {
        p.error(p.raw("deadband"), "deadband",
                "a " + std::string(type_name(point.type)) +
                    " point changes or does not: only 0 (report on change) applies");
    }
    point.heartbeat = p.dur("heartbeat", heartbeat, 1s, 24h);
}

// Writes are allowed only where one request sets exactly the point: a coil, or whole holding
// registers.
void read_writing(yaml_section& p, modbus_point& point) {
    point.writable = p.boolean("writable", false);
    if (point.writable) {
        std::string refusal;
        if (point.table == modbus_table::discrete || point.table == modbus_table::input) {
            refusal = "table '" + std::string(table_name(point.table)) +
                      "' is read-only in Modbus: only coil and holding points can be writable";
        } else if (point.type == point_type::boolean && point.table == modbus_table::holding) {
            refusal =
                "a bit inside a register cannot be writable: Modbus has no atomic "
                "read-modify-write, so writing the whole register could undo another writer's "
                "change to its other bits (use a coil, or a uint16 point for the whole register)";
        } else if (point.type == point_type::string) {
            refusal = "string points cannot be writable";
        }
        if (!refusal.empty()) p.error(p.raw("writable"), "writable", refusal);
    }
    constexpr double big = std::numeric_limits<double>::max();
    point.min = p.opt_number("min", -big, big);
    point.max = p.opt_number("max", -big, big);
    // After an invalid `writable` (already reported) min and max are not blamed too.
    const bool said_no = !p.has("writable") || p.raw("writable").Scalar() == "false";
    for (const char* key : {"min", "max"}) {
        if (!p.has(key)) continue;
        if (!point.writable && said_no) {
            p.error(p.raw(key), key, "applies only to a point with 'writable: true'");
        } else if (!is_numeric(point.type)) {
            p.error(p.raw(key), key, "applies only to numeric types");
        }
    }
    if (point.min && point.max && *point.min > *point.max) {
        p.error(p.raw("max"), "max",
                "max " + p.raw("max").Scalar() + " is less than min " + p.raw("min").Scalar());
    }
}

modbus_point read_point(yaml_section& p, const std::vector<modbus_point>& before,
                        duration heartbeat) {
    modbus_point point;
    point.name = p.required_str("name");
    if (!point.name.empty() && !is_valid_name(point.name)) {
        p.error(p.raw("name"), "name", "'" + point.name + "' may only contain A-Z a-z 0-9 _ . -");
    }
    for (const auto& other : before) {
        if (!point.name.empty() && other.name == point.name) {
            p.error(p.raw("name"), "name", "duplicate point name '" + point.name + "'");
        }
    }
    point.table =
        parse_table(p.enumeration("table", "holding", {"coil", "discrete", "input", "holding"}));
    if (!p.has("address")) p.error("missing required key 'address'");
    point.address = static_cast<int>(p.integer("address", 0, 0, 65535));

    const bool bits = is_bit_table(point.table);
    point.type = parse_type(p.enumeration("type", bits ? "bool" : "uint16",
                                          {"bool", "int16", "uint16", "int32", "uint32", "int64",
                                           "uint64", "float32", "float64", "string"}));
    if (bits && point.type != point_type::boolean) {
        p.error(p.raw("type"), "type",
                "table '" + std::string(table_name(point.table)) +
                    "' holds single bits: the type must be bool");
        point.type = point_type::boolean;
    }
    read_order(p, point);
    read_bit(p, point);
    read_length(p, point);
    read_scaling(p, point);
    point.unit = p.str("unit", "");
    read_reporting(p, point, heartbeat);
    read_writing(p, point);

    const int last = point.address + point.width() - 1;
    if (last > 65535) {
        p.error(p.raw("address"), "address",
                std::to_string(point.address) + " + " + std::to_string(point.width()) +
                    " registers runs past 65535");
    }
    p.finish();
    return point;
}

}  // namespace

modbus_device_config parse_modbus_device(const std::string& name, yaml_section& device) {
    modbus_device_config cfg;
    cfg.name = name;
    read_link(device, cfg);
    cfg.poll = device.dur("poll", cfg.poll, 1ms, 24h);
    cfg.timeout = device.dur("timeout", cfg.timeout, 10ms, 60s);
    cfg.max_gap =
        static_cast<int>(device.integer("max_gap", cfg.max_gap, 0, max_read_registers - 1));
    cfg.coalesce = device.boolean("coalesce", cfg.coalesce);
    cfg.write_multiple = device.boolean("write_multiple", cfg.write_multiple);
    const duration heartbeat = device.dur("heartbeat", 60s, 1s, 24h);
    read_delay_range(device.child("reconnect"), cfg.reconnect_min, cfg.reconnect_max);

    for (auto& p : device.entries("points")) {
        cfg.points.push_back(read_point(p, cfg.points, heartbeat));
    }
    device.finish();
    return cfg;
}

}  // namespace edgegate
