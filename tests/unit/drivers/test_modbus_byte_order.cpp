// The byte orders of 32- and 64-bit values: the wire layout of each name, and decode/encode as
// inverses (the same definitions serve reads now and writes later).
#include <doctest/doctest.h>

#include <array>
#include <random>
#include <vector>

#include "drivers/modbus/byte_order.hpp"

using namespace edgegate;

namespace {

constexpr std::array all_orders = {byte_order::abcd, byte_order::dcba, byte_order::badc,
                                   byte_order::cdab};

std::vector<std::uint16_t> encode(byte_order o, std::uint64_t raw, std::size_t n) {
    std::vector<std::uint16_t> regs(n);
    raw_to_registers(o, raw, regs);
    return regs;
}

}  // namespace

TEST_CASE("0x01020304 travels as the name says in each 32-bit order") {
    using regs = std::vector<std::uint16_t>;
    CHECK(encode(byte_order::abcd, 0x01020304, 2) == regs{0x0102, 0x0304});
    CHECK(encode(byte_order::dcba, 0x01020304, 2) == regs{0x0403, 0x0201});
    CHECK(encode(byte_order::badc, 0x01020304, 2) == regs{0x0201, 0x0403});
    CHECK(encode(byte_order::cdab, 0x01020304, 2) == regs{0x0304, 0x0102});
    CHECK(registers_to_raw(byte_order::abcd, regs{0x0102, 0x0304}) == 0x01020304);
    CHECK(registers_to_raw(byte_order::dcba, regs{0x0403, 0x0201}) == 0x01020304);
    CHECK(registers_to_raw(byte_order::badc, regs{0x0201, 0x0403}) == 0x01020304);
    CHECK(registers_to_raw(byte_order::cdab, regs{0x0304, 0x0102}) == 0x01020304);
}

TEST_CASE("0x0102030405060708 travels as the eight-letter name says in each 64-bit order") {
    using regs = std::vector<std::uint16_t>;
    constexpr std::uint64_t v = 0x0102030405060708;
    CHECK(encode(byte_order::abcd, v, 4) == regs{0x0102, 0x0304, 0x0506, 0x0708});
    CHECK(encode(byte_order::dcba, v, 4) == regs{0x0807, 0x0605, 0x0403, 0x0201});
    CHECK(encode(byte_order::badc, v, 4) == regs{0x0201, 0x0403, 0x0605, 0x0807});
    CHECK(encode(byte_order::cdab, v, 4) == regs{0x0708, 0x0506, 0x0304, 0x0102});
    CHECK(registers_to_raw(byte_order::cdab, regs{0x0708, 0x0506, 0x0304, 0x0102}) == v);
    CHECK(registers_to_raw(byte_order::dcba, regs{0x0807, 0x0605, 0x0403, 0x0201}) == v);
}

TEST_CASE("decode and encode are inverses for every order and width") {
    std::mt19937_64 rng(7);
    for (const byte_order o : all_orders) {
        for (int i = 0; i < 1000; ++i) {
            const std::uint64_t raw64 = rng();
            CHECK(registers_to_raw(o, encode(o, raw64, 4)) == raw64);
            const std::uint64_t raw32 = raw64 & 0xFFFFFFFF;
            CHECK(registers_to_raw(o, encode(o, raw32, 2)) == raw32);
            const std::vector<std::uint16_t> regs{static_cast<std::uint16_t>(rng()),
                                                  static_cast<std::uint16_t>(rng())};
            CHECK(encode(o, registers_to_raw(o, regs), 2) == regs);
        }
    }
}

TEST_CASE("order names: four letters for 32 bits, four or eight for 64 bits") {
    CHECK(order_name(byte_order::cdab, 2) == "CDAB");
    CHECK(order_name(byte_order::cdab, 4) == "GHEFCDAB");
    CHECK(order_name(byte_order::badc, 4) == "BADCFEHG");
    CHECK(parse_order("DCBA", 2) == byte_order::dcba);
    CHECK(parse_order("DCBA", 4) == byte_order::dcba);
    CHECK(parse_order("HGFEDCBA", 4) == byte_order::dcba);
    CHECK(parse_order("HGFEDCBA", 2) == std::nullopt);
    CHECK(parse_order("abcd", 2) == std::nullopt);
    for (const byte_order o : all_orders) {
        CHECK(parse_order(order_name(o, 2), 2) == o);
        CHECK(parse_order(order_name(o, 4), 4) == o);
    }
}
