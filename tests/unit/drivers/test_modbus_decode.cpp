// Decoding every point type from its registers: exact integers, scaled doubles, floats in every
// order, bools from coils and from register bits, strings.
#include <doctest/doctest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <vector>

#include "drivers/modbus/decode.hpp"

using namespace edgegate;

namespace {

modbus_point point(point_type t, byte_order o = byte_order::abcd) {
    modbus_point p;
    p.name = "p";
    p.type = t;
    p.order = o;
    return p;
}

value decode(const modbus_point& p, std::vector<std::uint16_t> regs) {
    REQUIRE(regs.size() == static_cast<std::size_t>(p.width()));
    return decode_point(p, regs);
}

std::vector<std::uint16_t> regs_of(byte_order o, std::uint64_t raw, std::size_t n) {
    std::vector<std::uint16_t> regs(n);
    raw_to_registers(o, raw, regs);
    return regs;
}

}  // namespace

TEST_CASE("16-bit integers are exact: int16 as int64, uint16 as uint64") {
    CHECK(decode(point(point_type::int16), {0xFFFF}) == value(std::int64_t{-1}));
    CHECK(decode(point(point_type::int16), {0x8000}) == value(std::int64_t{-32768}));
    CHECK(decode(point(point_type::uint16), {0xFFFF}) == value(std::uint64_t{65535}));
}

TEST_CASE("32- and 64-bit integers in every order, extremes included, never through a double") {
    for (const byte_order o :
         {byte_order::abcd, byte_order::dcba, byte_order::badc, byte_order::cdab}) {
        CAPTURE(order_name(o, 4));
        CHECK(decode(point(point_type::int32, o), regs_of(o, 0x80000000, 2)) ==
              value(std::int64_t{std::numeric_limits<std::int32_t>::min()}));
        CHECK(decode(point(point_type::uint32, o), regs_of(o, 0xFFFFFFFE, 2)) ==
              value(std::uint64_t{0xFFFFFFFE}));
        CHECK(decode(point(point_type::int64, o), regs_of(o, 0x8000000000000001, 4)) ==
              value(std::numeric_limits<std::int64_t>::min() + 1));
        CHECK(decode(point(point_type::uint64, o), regs_of(o, 0xFFFFFFFFFFFFFFFF, 4)) ==
              value(std::numeric_limits<std::uint64_t>::max()));
        // 2^53 + 1 is the first integer a double cannot hold.
        CHECK(decode(point(point_type::int64, o), regs_of(o, 9007199254740993, 4)) ==
              value(std::int64_t{9007199254740993}));
    }
}

TEST_CASE("floats in every order; a float32 reads as its shortest decimal") {
    for (const byte_order o :
         {byte_order::abcd, byte_order::dcba, byte_order::badc, byte_order::cdab}) {
        CAPTURE(order_name(o, 2));
        CHECK(decode(point(point_type::float32, o),
                     regs_of(o, std::bit_cast<std::uint32_t>(0.1f), 2)) == value(0.1));
        CHECK(decode(point(point_type::float32, o),
                     regs_of(o, std::bit_cast<std::uint32_t>(-21.5f), 2)) == value(-21.5));
        CHECK(decode(point(point_type::float64, o),
                     regs_of(o, std::bit_cast<std::uint64_t>(123456.789), 4)) == value(123456.789));
    }
    const value nan = decode(point(point_type::float32), regs_of(byte_order::abcd, 0x7FC00000, 2));
    CHECK(std::isnan(std::get<double>(nan)));
    CHECK(widen(3.4028235e38f) == 3.4028235e38);
}

TEST_CASE("scale and offset make a double; without them an integer stays an integer") {
    auto p = point(point_type::int16);
    p.scale = 0.01;
    CHECK(decode(p, {0xFF9C}) == value(-1.0));
    // Rounded to 15 significant digits: not 2.5100000000000002.
    CHECK(decode(p, {251}) == value(2.51));
    p.scale = 0.1;
    CHECK(decode(p, {217}) == value(21.7));
    p.scale = 1;
    p.offset = -40;
    CHECK(decode(p, {100}) == value(60.0));
    auto f = point(point_type::float32);
    f.scale = 10;
    f.offset = 1;
    CHECK(decode(f, regs_of(byte_order::abcd, std::bit_cast<std::uint32_t>(2.5f), 2)) ==
          value(26.0));
    auto u = point(point_type::uint32);
    u.scale = 1;
    u.offset = 0;
    CHECK(decode(u, {0x0001, 0x0000}) == value(std::uint64_t{65536}));
}

TEST_CASE("bools: a coil or discrete input as read, one bit of a register") {
    auto coil = point(point_type::boolean);
    coil.table = modbus_table::coil;
    CHECK(decode(coil, {1}) == value(true));
    CHECK(decode(coil, {0}) == value(false));
    auto bit = point(point_type::boolean);
    bit.table = modbus_table::holding;
    bit.bit = 3;
    CHECK(decode(bit, {0x0008}) == value(true));
    CHECK(decode(bit, {0xFFF7}) == value(false));
    bit.bit = 15;
    CHECK(decode(bit, {0x8000}) == value(true));
}

TEST_CASE("strings: two characters a register, cut at the first NUL, trailing spaces trimmed") {
    auto s = point(point_type::string);
    s.length = 4;
    CHECK(decode(s, {0x4142, 0x4344, 0x2020, 0x2020}) == value(std::string("ABCD")));
    CHECK(decode(s, {0x4142, 0x4300, 0x5858, 0x5858}) == value(std::string("ABC")));
    CHECK(decode(s, {0x2041, 0x2042, 0x0000, 0x0000}) == value(std::string(" A B")));
    s.order = byte_order::badc;
    CHECK(decode(s, {0x4241, 0x4443, 0x0045, 0x0000}) == value(std::string("ABCDE")));
}
