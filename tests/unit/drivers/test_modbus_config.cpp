// Validation of `driver: modbus` device entries: the values read, and every mistake with its
// exact message and position, through the registry entry point the loader uses.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "drivers/modbus/device_config.hpp"
#include "drivers/registry.hpp"
#include "gateway/core/diagnostics.hpp"
#include "gateway/core/yaml_section.hpp"
#include "tests/helpers/config_messages.hpp"

using namespace edgegate;
using edgegate::test::messages;
using namespace std::chrono_literals;

namespace {

messages errors_of(const std::string& yaml) { return test::driver_errors("modbus", yaml); }

// A TCP device around `points` (each line indented for the points list).
std::string tcp_device(const std::string& points, const std::string& extra = "") {
    return "name: dev\ndriver: modbus\nhost: 127.0.0.1\n" + extra + "points:\n" + points;
}

}  // namespace

TEST_CASE("a full TCP device: every key read, defaults where absent") {
    test::device_entry e(R"(name: boiler
driver: modbus
transport: tcp
host: 192.168.1.50
port: 1502
unit_id: 0
poll: 250ms
timeout: 300ms
max_gap: 4
heartbeat: 5m
reconnect: { min: 200ms, max: 5s }
points:
  - { name: temperature, table: holding, address: 100, type: float32, order: CDAB, scale: 2, offset: -1, unit: "°C", deadband: 0.2 }
  - { name: pressure, table: input, address: 3, type: int16, scale: 0.01, unit: bar }
  - { name: running, table: coil, address: 0 }
  - { name: alarm_bit, address: 7, type: bool, bit: 3, heartbeat: 10s }
  - { name: serial_no, address: 200, type: string, length: 8, order: BADC }
  - { name: total, address: 300, type: uint64, order: GHEFCDAB }
  - { name: raw, address: 400 }
)");
    const modbus_device_config cfg = parse_modbus_device(e.name, e.section);
    REQUIRE(e.errors() == messages{});
    CHECK(cfg.link.kind == transport::tcp);
    CHECK(cfg.link.host == "192.168.1.50");
    CHECK(cfg.link.port == 1502);
    CHECK(cfg.link.describe() == "tcp://192.168.1.50:1502");
    CHECK(cfg.unit_id == 0);
    CHECK(cfg.poll == 250ms);
    CHECK(cfg.timeout == 300ms);
    CHECK(cfg.max_gap == 4);
    CHECK(cfg.coalesce);
    CHECK(cfg.reconnect_min == 200ms);
    CHECK(cfg.reconnect_max == 5s);
    REQUIRE(cfg.points.size() == 7);
    const auto& t = cfg.points[0];
    CHECK(t.type == point_type::float32);
    CHECK(t.order == byte_order::cdab);
    CHECK(t.scale == 2);
    CHECK(t.offset == -1);
    CHECK(t.unit == "°C");
    CHECK(t.deadband == 0.2);
    CHECK(t.heartbeat == 5min);
    CHECK(cfg.points[1].table == modbus_table::input);
    CHECK(cfg.points[2].type == point_type::boolean);
    CHECK(cfg.points[2].table == modbus_table::coil);
    CHECK(cfg.points[3].bit == 3);
    CHECK(cfg.points[3].heartbeat == 10s);
    CHECK(cfg.points[3].table == modbus_table::holding);
    CHECK(cfg.points[4].length == 8);
    CHECK(cfg.points[4].order == byte_order::badc);
    CHECK(cfg.points[5].order == byte_order::cdab);
    CHECK(cfg.points[6].type == point_type::uint16);
    CHECK_FALSE(cfg.points[6].deadband);
    CHECK_FALSE(cfg.points[6].scaled());
}

TEST_CASE("an RTU device: serial settings and their defaults") {
    test::device_entry e(
        "name: meter\ndriver: modbus\ntransport: rtu\nserial: /dev/ttyUSB7\nbaud: 9600\n"
        "parity: none\nstop_bits: 2\nunit_id: 247\npoints: [ { name: v, address: 0 } ]\n");
    const modbus_device_config cfg = parse_modbus_device(e.name, e.section);
    REQUIRE(e.errors() == messages{});
    CHECK(cfg.link.kind == transport::rtu);
    CHECK(cfg.link.serial == "/dev/ttyUSB7");
    CHECK(cfg.link.baud == 9600);
    CHECK(cfg.link.parity == 'N');
    CHECK(cfg.link.data_bits == 8);
    CHECK(cfg.link.stop_bits == 2);
    CHECK(cfg.link.describe() == "rtu:/dev/ttyUSB7 (9600 8N2)");
    CHECK(cfg.unit_id == 247);
    CHECK(cfg.poll == 1s);
    CHECK(cfg.timeout == 500ms);
    CHECK(cfg.max_gap == 8);

    test::device_entry d(
        "name: m\ndriver: modbus\ntransport: rtu\nserial: /dev/ttyUSB8\n"
        "points: [ { name: v, address: 0 } ]\n");
    const modbus_device_config defaults = parse_modbus_device(d.name, d.section);
    CHECK(defaults.link.baud == 19200);
    CHECK(defaults.link.parity == 'E');
    CHECK(defaults.link.stop_bits == 1);
    CHECK(defaults.unit_id == 1);
}

TEST_CASE("link mistakes: transport, baud, parity, keys of the other transport, unit ids") {
    CHECK(errors_of("name: d\ndriver: modbus\ntransport: rtuu\nserial: /dev/x\n"
                    "points: [ { name: v, address: 0 } ]\n") ==
          messages{"t.yaml:3:12: devices[0].transport: unknown value 'rtuu', did you mean "
                   "'rtu'?",
                   "t.yaml:4:9: devices[0].serial: applies only to transport rtu",
                   "t.yaml:1:1: devices[0]: missing required key 'host'"});
    CHECK(errors_of("name: d\ndriver: modbus\ntransport: rtu\nserial: /dev/x\nbaud: 14400\n"
                    "parity: evn\ndata_bits: 6\nunit_id: 0\nport: 502\n"
                    "points: [ { name: v, address: 0 } ]\n") ==
          messages{"t.yaml:9:7: devices[0].port: applies only to transport tcp and rtu-over-tcp",
                   "t.yaml:5:7: devices[0].baud: unsupported baud rate 14400 (libmodbus would "
                   "silently use 9600), expected one of: 1200, 2400, 4800, 9600, 19200, 38400, "
                   "57600, 115200, 230400, 460800, 921600",
                   "t.yaml:6:9: devices[0].parity: unknown value 'evn', did you mean 'even'?",
                   "t.yaml:7:12: devices[0].data_bits: 6 is out of range (7..8)",
                   "t.yaml:8:10: devices[0].unit_id: 0 is out of range (1..247)"});
    CHECK(errors_of("name: d\ndriver: modbus\ntransport: rtu\nserial: /dev/x\nbaud: 300\n"
                    "points: [ { name: v, address: 0 } ]\n") ==
          messages{"t.yaml:5:7: devices[0].baud: 300 is out of range (1200..921600)"});
    CHECK(errors_of("name: d\ndriver: modbus\ntransport: rtu\n"
                    "points: [ { name: v, address: 0 } ]\n") ==
          messages{"t.yaml:1:1: devices[0]: missing required key 'serial'"});
    CHECK(errors_of(
              tcp_device("  - { name: v, address: 0 }\n", "port: 0\nunit_id: 256\nbaud: 9600\n")) ==
          messages{"t.yaml:6:7: devices[0].baud: applies only to transport rtu",
                   "t.yaml:4:7: devices[0].port: 0 is out of range (1..65535)",
                   "t.yaml:5:10: devices[0].unit_id: 256 is out of range (0..255)"});
}

TEST_CASE("device mistakes: durations, max_gap, reconnect, unknown keys, no points") {
    CHECK(errors_of(tcp_device("  - { name: v, address: 0 }\n",
                               "pol: 1s\ntimeout: 5ms\nmax_gap: 125\ncoalesce: yes\n"
                               "reconnect: { min: 10s, max: 1s }\n")) ==
          messages{"t.yaml:5:10: devices[0].timeout: 5ms is out of range (10ms..1m)",
                   "t.yaml:6:10: devices[0].max_gap: 125 is out of range (0..124)",
                   "t.yaml:7:11: devices[0].coalesce: expected true or false, got 'yes'",
                   "t.yaml:8:12: devices[0].reconnect: min (10s) is greater than max (1s)",
                   "t.yaml:4:1: devices[0].pol: unknown key 'pol', did you mean 'poll'?"});
    CHECK(errors_of("name: d\ndriver: modbus\nhost: h\npoints: []\n") ==
          messages{"t.yaml:4:9: devices[0].points: expected a non-empty list of points"});
}

TEST_CASE("point mistakes: each with its message at its key") {
    CHECK(errors_of(tcp_device("  - { name: a, address: 1, type: flaot32 }\n"
                               "  - { name: b, address: 2, type: float32, order: ABDC }\n"
                               "  - { name: c, address: 3, type: float32, order: ABCDEFGH }\n"
                               "  - { name: d, address: 4, type: int16, order: BADC }\n")) ==
          messages{"t.yaml:5:34: devices[0].points[0].type: unknown value 'flaot32', did you "
                   "mean 'float32'?",
                   "t.yaml:6:50: devices[0].points[1].order: unknown value 'ABDC', did you "
                   "mean 'ABCD'?",
                   "t.yaml:7:50: devices[0].points[2].order: unknown value 'ABCDEFGH', "
                   "expected one of: ABCD, DCBA, BADC, CDAB",
                   "t.yaml:8:48: devices[0].points[3].order: applies only to 32- and 64-bit "
                   "types and to strings"});
    CHECK(errors_of(tcp_device("  - { name: a, address: 1, type: bool }\n"
                               "  - { name: b, address: 2, type: bool, bit: 16 }\n"
                               "  - { name: c, table: coil, address: 3, bit: 1 }\n"
                               "  - { name: d, table: discrete, address: 4, type: int16 }\n")) ==
          messages{"t.yaml:5:5: devices[0].points[0]: a bool in table 'holding' needs 'bit' "
                   "(0..15)",
                   "t.yaml:6:45: devices[0].points[1].bit: 16 is out of range (0..15)",
                   "t.yaml:7:46: devices[0].points[2].bit: applies only to a bool in table "
                   "input or holding",
                   "t.yaml:8:51: devices[0].points[3].type: table 'discrete' holds single bits: "
                   "the type must be bool"});
    CHECK(errors_of(tcp_device("  - { name: a, address: 1, type: string }\n"
                               "  - { name: b, address: 2, type: string, length: 126 }\n"
                               "  - { name: c, address: 3, length: 2 }\n"
                               "  - { name: d, address: 65535, type: uint32 }\n")) ==
          messages{"t.yaml:5:5: devices[0].points[0]: a string needs 'length' (registers, "
                   "1..125)",
                   "t.yaml:6:50: devices[0].points[1].length: 126 is out of range (1..125)",
                   "t.yaml:7:36: devices[0].points[2].length: applies only to type string",
                   "t.yaml:8:25: devices[0].points[3].address: 65535 + 2 registers runs past "
                   "65535"});
    CHECK(errors_of(tcp_device("  - { name: a, table: coil, address: 1, scale: 2 }\n"
                               "  - { name: b, address: 2, scale: 0 }\n"
                               "  - { name: c, address: 3, type: string, length: 1, deadband: 1 }\n"
                               "  - { name: d, address: 4, deadband: -1 }\n")) ==
          messages{"t.yaml:5:48: devices[0].points[0].scale: applies only to numeric types",
                   "t.yaml:6:35: devices[0].points[1].scale: must not be 0",
                   "t.yaml:7:63: devices[0].points[2].deadband: a string point changes or does "
                   "not: only 0 (report on change) applies",
                   "t.yaml:8:38: devices[0].points[3].deadband: -1 is out of range (0..1e+15)"});
    CHECK(errors_of(tcp_device("  - { name: a }\n"
                               "  - { name: a, address: 70000 }\n"
                               "  - { name: b/c, address: 1, scael: 2 }\n")) ==
          messages{"t.yaml:5:5: devices[0].points[0]: missing required key 'address'",
                   "t.yaml:6:13: devices[0].points[1].name: duplicate point name 'a'",
                   "t.yaml:6:25: devices[0].points[1].address: 70000 is out of range (0..65535)",
                   "t.yaml:7:13: devices[0].points[2].name: 'b/c' may only contain A-Z a-z 0-9 "
                   "_ . -",
                   "t.yaml:7:30: devices[0].points[2].scael: unknown key 'scael', did you mean "
                   "'scale'?"});
}

TEST_CASE("devices on one serial line must agree on its settings; one endpoint, one transport") {
    test::device_entry first(
        "name: a\ndriver: modbus\ntransport: rtu\nserial: /dev/ttyT1\nbaud: 9600\n"
        "points: [ { name: v, address: 0 } ]\n");
    const auto a = make_driver("modbus", first.name, first.section);
    REQUIRE(a != nullptr);

    test::device_entry same(
        "name: b\ndriver: modbus\ntransport: rtu\nserial: /dev/ttyT1\nbaud: 9600\n"
        "unit_id: 2\npoints: [ { name: v, address: 0 } ]\n");
    CHECK(make_driver("modbus", same.name, same.section) != nullptr);

    test::device_entry other(
        "name: c\ndriver: modbus\ntransport: rtu\nserial: /dev/ttyT1\nbaud: 19200\n"
        "parity: odd\npoints: [ { name: v, address: 0 } ]\n");
    CHECK(make_driver("modbus", other.name, other.section) == nullptr);
    CHECK(other.errors() ==
          messages{"t.yaml:5:7: devices[0].baud: serial line /dev/ttyT1 is already used by "
                   "device 'a' with baud 9600: devices sharing it must use the same baud",
                   "t.yaml:6:9: devices[0].parity: serial line /dev/ttyT1 is already used by "
                   "device 'a' with parity even: devices sharing it must use the same parity"});

    test::device_entry tcp(
        "name: t\ndriver: modbus\nhost: 127.0.0.9\nport: 1502\n"
        "points: [ { name: v, address: 0 } ]\n");
    const auto t = make_driver("modbus", tcp.name, tcp.section);
    REQUIRE(t != nullptr);
    test::device_entry rot(
        "name: r\ndriver: modbus\ntransport: rtu-over-tcp\nhost: 127.0.0.9\nport: 1502\n"
        "points: [ { name: v, address: 0 } ]\n");
    CHECK(make_driver("modbus", rot.name, rot.section) == nullptr);
    CHECK(rot.errors() ==
          messages{"t.yaml:3:12: devices[0].transport: endpoint 127.0.0.9:1502 is already used "
                   "by device 't' with transport tcp: devices sharing it must use the same "
                   "transport"});
}

TEST_CASE("a line is released with its last driver: then other settings are fine") {
    {
        test::device_entry first(
            "name: a\ndriver: modbus\ntransport: rtu\nserial: /dev/ttyT2\nbaud: 9600\n"
            "points: [ { name: v, address: 0 } ]\n");
        REQUIRE(make_driver("modbus", first.name, first.section) != nullptr);
    }
    test::device_entry second(
        "name: b\ndriver: modbus\ntransport: rtu\nserial: /dev/ttyT2\nbaud: 38400\n"
        "points: [ { name: v, address: 0 } ]\n");
    CHECK(make_driver("modbus", second.name, second.section) != nullptr);
}

TEST_CASE("writable points: writable, min, max and write_multiple are read") {
    test::device_entry e(tcp_device(
        "  - { name: sp, address: 10, type: float32, writable: true, min: -5.5, max: 80 }\n"
        "  - { name: relay, table: coil, address: 2, writable: true }\n"
        "  - { name: level, address: 11 }\n",
        "write_multiple: true\n"));
    const modbus_device_config cfg = parse_modbus_device(e.name, e.section);
    REQUIRE(e.errors() == messages{});
    CHECK(cfg.write_multiple);
    REQUIRE(cfg.points.size() == 3);
    CHECK(cfg.points[0].writable);
    CHECK(cfg.points[0].min == -5.5);
    CHECK(cfg.points[0].max == 80);
    CHECK(cfg.points[1].writable);
    CHECK_FALSE(cfg.points[1].min);
    CHECK_FALSE(cfg.points[2].writable);

    test::device_entry d(tcp_device("  - { name: v, address: 0 }\n"));
    CHECK_FALSE(parse_modbus_device(d.name, d.section).write_multiple);
}

TEST_CASE("writable mistakes: read-only tables, bits in registers, strings, min and max") {
    CHECK(errors_of(tcp_device(
              "  - { name: a, table: input, address: 1, writable: true }\n"
              "  - { name: b, table: discrete, address: 2, writable: true }\n"
              "  - { name: c, address: 3, type: bool, bit: 2, writable: true }\n"
              "  - { name: d, address: 4, type: string, length: 2, writable: true }\n")) ==
          messages{"t.yaml:5:52: devices[0].points[0].writable: table 'input' is read-only in "
                   "Modbus: only coil and holding points can be writable",
                   "t.yaml:6:55: devices[0].points[1].writable: table 'discrete' is read-only "
                   "in Modbus: only coil and holding points can be writable",
                   "t.yaml:7:58: devices[0].points[2].writable: a bit inside a register cannot "
                   "be writable: Modbus has no atomic read-modify-write, so writing the whole "
                   "register could undo another writer's change to its other bits (use a coil, "
                   "or a uint16 point for the whole register)",
                   "t.yaml:8:63: devices[0].points[3].writable: string points cannot be "
                   "writable"});
    CHECK(errors_of(tcp_device("  - { name: a, address: 1, min: 0 }\n"
                               "  - { name: b, table: coil, address: 2, writable: true, max: 1 }\n"
                               "  - { name: c, address: 3, writable: true, min: 10, max: 5 }\n"
                               "  - { name: d, address: 4, writable: yes, min: low }\n")) ==
          messages{"t.yaml:5:33: devices[0].points[0].min: applies only to a point with "
                   "'writable: true'",
                   "t.yaml:6:62: devices[0].points[1].max: applies only to numeric types",
                   "t.yaml:7:58: devices[0].points[2].max: max 5 is less than min 10",
                   "t.yaml:8:38: devices[0].points[3].writable: expected true or false, got "
                   "'yes'",
                   "t.yaml:8:48: devices[0].points[3].min: expected a number, got 'low'"});
    CHECK(errors_of(tcp_device("  - { name: v, address: 0 }\n", "write_multiple: 1\n")) ==
          messages{"t.yaml:4:17: devices[0].write_multiple: expected true or false, got '1'"});
}
