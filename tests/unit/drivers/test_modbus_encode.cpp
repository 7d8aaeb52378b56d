// Encoding a command's value for a point (the inverse of decoding): every numeric type in every
// byte order against registers written out by hand, the inverse scale and its rounding, and
// every refusal with the message the command's caller sees.
#include <doctest/doctest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "drivers/modbus/decode.hpp"
#include "drivers/modbus/encode.hpp"
#include "tests/helpers/config_messages.hpp"

using namespace edgegate;
using regs = std::vector<std::uint16_t>;

namespace {

modbus_point point(point_type t, byte_order o = byte_order::abcd) {
    modbus_point p;
    p.name = "p";
    p.type = t;
    p.order = o;
    p.writable = true;
    return p;
}

modbus_point scaled(point_type t, double scale, double offset = 0) {
    modbus_point p = point(t);
    p.scale = scale;
    p.offset = offset;
    return p;
}

regs encode(const modbus_point& p, const value& v) {
    const encode_result r = encode_point(p, v);
    INFO(r.error);
    REQUIRE(r.ok());
    CHECK(r.data.size() == static_cast<std::size_t>(p.width()));
    return r.data;
}

std::string refusal(const modbus_point& p, const value& v) {
    const encode_result r = encode_point(p, v);
    CHECK(r.data.empty());
    return r.error;
}

std::uint16_t swap16(std::uint16_t w) { return static_cast<std::uint16_t>(w << 8 | w >> 8); }

// The registers a device with `o` expects, written out independently of byte_order.cpp.
regs wire32(byte_order o, std::uint32_t v) {
    const auto hi = static_cast<std::uint16_t>(v >> 16);
    const auto lo = static_cast<std::uint16_t>(v & 0xFFFF);
    switch (o) {
        case byte_order::abcd:
            return {hi, lo};
        case byte_order::dcba:
            return {swap16(lo), swap16(hi)};
        case byte_order::badc:
            return {swap16(hi), swap16(lo)};
        case byte_order::cdab:
            return {lo, hi};
    }
    return {};
}

regs wire64(byte_order o, std::uint64_t v) {
    std::uint16_t w[4];
    for (int i = 0; i < 4; ++i) w[i] = static_cast<std::uint16_t>(v >> (48 - 16 * i));
    switch (o) {
        case byte_order::abcd:
            return {w[0], w[1], w[2], w[3]};
        case byte_order::dcba:
            return {swap16(w[3]), swap16(w[2]), swap16(w[1]), swap16(w[0])};
        case byte_order::badc:
            return {swap16(w[0]), swap16(w[1]), swap16(w[2]), swap16(w[3])};
        case byte_order::cdab:
            return {w[3], w[2], w[1], w[0]};
    }
    return {};
}

constexpr byte_order all_orders[] = {byte_order::abcd, byte_order::dcba, byte_order::badc,
                                     byte_order::cdab};

}  // namespace

TEST_CASE("16-bit integers: exact, two's complement for int16") {
    CHECK(encode(point(point_type::int16), std::int64_t{-1}) == regs{0xFFFF});
    CHECK(encode(point(point_type::int16), std::int64_t{-32768}) == regs{0x8000});
    CHECK(encode(point(point_type::int16), std::uint64_t{32767}) == regs{0x7FFF});
    CHECK(encode(point(point_type::uint16), std::int64_t{65535}) == regs{0xFFFF});
    CHECK(encode(point(point_type::uint16), std::int64_t{0x1234}) == regs{0x1234});
}

TEST_CASE("32- and 64-bit types in every byte order land as hand-written registers") {
    for (const byte_order o : all_orders) {
        CAPTURE(order_name(o, 4));
        CHECK(encode(point(point_type::int32, o), std::int64_t{-123456789}) ==
              wire32(o, static_cast<std::uint32_t>(-123456789)));
        CHECK(encode(point(point_type::uint32, o), std::int64_t{4000000000}) ==
              wire32(o, 4000000000u));
        CHECK(encode(point(point_type::float32, o), -273.15) ==
              wire32(o, std::bit_cast<std::uint32_t>(-273.15f)));
        CHECK(encode(point(point_type::int64, o), std::int64_t{-9007199254740993}) ==
              wire64(o, static_cast<std::uint64_t>(-9007199254740993)));
        CHECK(encode(point(point_type::uint64, o), std::uint64_t{18446744073709551557u}) ==
              wire64(o, 18446744073709551557u));
        CHECK(encode(point(point_type::float64, o), 6.02214076e23) ==
              wire64(o, std::bit_cast<std::uint64_t>(6.02214076e23)));
    }
}

TEST_CASE("unscaled 64-bit integers stay exact: no round trip through a double") {
    // 2^53 + 1 is the first integer a double cannot hold.
    CHECK(encode(point(point_type::int64), std::int64_t{9007199254740993}) ==
          regs{0x0020, 0x0000, 0x0000, 0x0001});
    CHECK(encode(point(point_type::uint64), std::numeric_limits<std::uint64_t>::max()) ==
          regs{0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF});
    CHECK(encode(point(point_type::int64), std::numeric_limits<std::int64_t>::min()) ==
          regs{0x8000, 0x0000, 0x0000, 0x0000});
}

TEST_CASE("encoding then decoding gives the value back") {
    for (const byte_order o : all_orders) {
        for (const point_type t : {point_type::int32, point_type::uint32, point_type::float32,
                                   point_type::int64, point_type::uint64, point_type::float64}) {
            const modbus_point p = point(t, o);
            const value v = t == point_type::float32 || t == point_type::float64
                                ? value(0.1)
                                : (t == point_type::uint32 || t == point_type::uint64
                                       ? value(std::uint64_t{305419896})
                                       : value(std::int64_t{-305419896}));
            CAPTURE(type_name(t));
            CAPTURE(order_name(o, 4));
            CHECK(decode_point(p, encode(p, v)) == v);
        }
    }
}

TEST_CASE("the inverse scale: raw = (value - offset) / scale, rounded to the nearest integer") {
    CHECK(encode(scaled(point_type::int16, 0.1), 12.34) == regs{123});
    CHECK(encode(scaled(point_type::int16, 0.1), -12.36) == regs{static_cast<std::uint16_t>(-124)});
    // Halves go away from zero.
    CHECK(encode(scaled(point_type::int16, 0.5), 1.25) == regs{3});
    CHECK(encode(scaled(point_type::int16, 0.5), -1.25) == regs{static_cast<std::uint16_t>(-3)});
    CHECK(encode(scaled(point_type::uint16, 0.01, -40), 25.0) == regs{6500});
    // A JSON integer on a scaled point goes through the same arithmetic.
    CHECK(encode(scaled(point_type::uint32, 10), std::int64_t{1234}) == regs{0, 123});
    // An unscaled integer point rounds a fractional number too.
    CHECK(encode(point(point_type::int16), 2.5) == regs{3});
    CHECK(encode(point(point_type::int16), 2.49) == regs{2});
    CHECK(encode(point(point_type::uint64), 1e19) == regs{0x8AC7, 0x2304, 0x89E8, 0x0000});
    CHECK(encode(scaled(point_type::float32, 2, 1), 5.0) ==
          wire32(byte_order::abcd, std::bit_cast<std::uint32_t>(2.0f)));
}

TEST_CASE("values the type cannot hold are refused") {
    CHECK(refusal(point(point_type::uint16), std::int64_t{70000}) ==
          "70000 is out of range for uint16 (0..65535)");
    CHECK(refusal(point(point_type::uint16), std::int64_t{-1}) ==
          "-1 is out of range for uint16 (0..65535)");
    CHECK(refusal(point(point_type::int16), std::int64_t{32768}) ==
          "32768 is out of range for int16 (-32768..32767)");
    CHECK(refusal(point(point_type::int16), 32767.5) ==
          "32767.5 is out of range for int16 (-32768..32767)");
    CHECK(refusal(point(point_type::int64), std::uint64_t{9223372036854775808u}) ==
          "9223372036854775808 is out of range for int64 (-9223372036854775808.."
          "9223372036854775807)");
    CHECK(refusal(point(point_type::uint64), 1.8446744073709552e19) ==
          "18446744073709551616 is out of range for uint64 (0..18446744073709551615)");
    CHECK(refusal(scaled(point_type::uint16, 0.01), 700.0) ==
          "700 is 70000 after the inverse of scale 0.01 and offset 0, which is out of "
          "range for uint16 (0..65535)");
    CHECK(refusal(point(point_type::float32), 1e39) ==
          "1e+39 is out of range for float32 (+-3.40282e+38)");
    CHECK(refusal(scaled(point_type::float64, 1e-300), 1e300) ==
          "1e+300 is inf after the inverse of scale 1e-300 and offset 0, which is out of "
          "range for float64");
    CHECK(refusal(point(point_type::float64), std::numeric_limits<double>::infinity()) ==
          "not a finite number");
    CHECK(refusal(point(point_type::int16), std::nan("")) == "not a finite number");
}

TEST_CASE("min and max bound the value in engineering units, before the scale") {
    modbus_point p = scaled(point_type::int16, 0.1);
    p.min = 5;
    p.max = 80.5;
    CHECK(encode(p, 5.0) == regs{50});
    CHECK(encode(p, 80.5) == regs{805});
    CHECK(refusal(p, 4.99) == "4.99 is below min (5)");
    CHECK(refusal(p, std::int64_t{81}) == "81 is above max (80.5)");
}

TEST_CASE("coils take only booleans; numeric points only numbers; strings and bits never") {
    modbus_point coil = point(point_type::boolean);
    coil.table = modbus_table::coil;
    CHECK(encode(coil, true) == regs{1});
    CHECK(encode(coil, false) == regs{0});
    CHECK(refusal(coil, std::int64_t{1}) == "wrong type: a coil takes true or false, got a number");
    CHECK(refusal(coil, std::string("on")) ==
          "wrong type: a coil takes true or false, got a string");

    CHECK(refusal(point(point_type::float32), true) ==
          "wrong type: a float32 point takes a number, got a boolean");
    CHECK(refusal(point(point_type::uint16), std::string("12")) ==
          "wrong type: a uint16 point takes a number, got a string");

    modbus_point text = point(point_type::string);
    text.length = 4;
    CHECK(refusal(text, std::string("abc")) == "string points cannot be written");
    modbus_point bit = point(point_type::boolean);
    bit.bit = 3;
    CHECK(refusal(bit, true) ==
          "a bit inside a register cannot be written (no atomic read-modify-write)");
}

TEST_CASE("check_write: unknown points, read-only and non-writable points, refused values") {
    test::device_entry e(
        "name: dev\ndriver: modbus\nhost: 127.0.0.1\nport: 1\npoints:\n"
        "  - { name: setpoint, address: 0, type: int16, scale: 0.1, writable: true, max: 100 }\n"
        "  - { name: relay, table: coil, address: 0, writable: true }\n"
        "  - { name: level, table: input, address: 1 }\n"
        "  - { name: mode, address: 2 }\n");
    const auto d = make_driver("modbus", e.name, e.section);
    REQUIRE(d != nullptr);
    CHECK(d->check_write("setpoint", 21.5) == std::nullopt);
    CHECK(d->check_write("relay", true) == std::nullopt);
    CHECK(d->check_write("setpiont", 21.5) ==
          "unknown point 'setpiont' of device 'dev', did you mean 'setpoint'?");
    CHECK(d->check_write("xyz", 1.0) == "unknown point 'xyz' of device 'dev'");
    CHECK(d->check_write("level", std::int64_t{1}) ==
          "point 'level' of device 'dev' is not writable (Modbus input tables are read-only)");
    CHECK(d->check_write("mode", std::int64_t{1}) ==
          "point 'mode' of device 'dev' is not writable (its configuration does not say "
          "'writable: true')");
    CHECK(d->check_write("setpoint", 100.5) == "100.5 is above max (100)");
    CHECK(d->check_write("relay", std::int64_t{1}) ==
          "wrong type: a coil takes true or false, got a number");

    // A refused write is never queued: `done` tells why, at once.
    std::optional<write_result> result;
    d->write("relay", std::string("on"), [&](write_result r) { result = std::move(r); });
    REQUIRE(result);
    CHECK_FALSE(result->ok);
    CHECK(result->error == "not written: wrong type: a coil takes true or false, got a string");
}
