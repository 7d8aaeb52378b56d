// The Modbus driver against a libmodbus TCP server on loopback: every type in every byte order
// decodes to the value written, and coalescing sends exactly the planned requests.
#include <doctest/doctest.h>

#include <bit>
#include <map>
#include <string>
#include <vector>

#include "tests/helpers/modbus_server.hpp"
#include "tests/integration/modbus_fixture.hpp"

using namespace edgegate;
using namespace edgegate::test;
using namespace std::chrono_literals;

namespace {

constexpr auto H = modbus_table::holding;

std::string device_yaml(const modbus_server& server, const std::string& name,
                        const std::string& points, const std::string& extra = "") {
    return "name: " + name +
           "\ndriver: modbus\nhost: 127.0.0.1\nport: " + std::to_string(server.port()) +
           "\npoll: 100ms\ntimeout: 500ms\nreconnect: { min: 50ms, max: 200ms }\n" + extra +
           "points:\n" + points;
}

}  // namespace

TEST_CASE("every type in every byte order decodes to the value written") {
    modbus_server server;
    std::string points;
    std::map<std::string, value> expected;
    int address = 0;
    const auto add = [&](const std::string& name, const std::string& spec,
                         const std::vector<std::uint16_t>& regs, value v) {
        server.set_registers(H, address, regs);
        points +=
            "  - { name: " + name + ", address: " + std::to_string(address) + ", " + spec + " }\n";
        expected.emplace(name, std::move(v));
        address += static_cast<int>(regs.size());
    };

    const char* orders32[] = {"ABCD", "DCBA", "BADC", "CDAB"};
    const char* orders64[] = {"ABCDEFGH", "HGFEDCBA", "BADCFEHG", "GHEFCDAB"};
    for (int i = 0; i < 4; ++i) {
        const std::string o = orders32[i];
        add("i32_" + o, "type: int32, order: " + o,
            wire32(o, static_cast<std::uint32_t>(-123456789)), std::int64_t{-123456789});
        add("u32_" + o, "type: uint32, order: " + o, wire32(o, 4000000000u),
            std::uint64_t{4000000000u});
        // Not libmodbus's modbus_set_float_*: in 3.1.6 they lay floats out in other orders than
        // their names say (and the getters do not read them back).
        add("f32_" + o, "type: float32, order: " + o,
            wire32(o, std::bit_cast<std::uint32_t>(-273.15f)), -273.15);

        const std::string o8 = orders64[i];
        add("i64_" + o8, "type: int64, order: " + o8,
            wire64(o8, static_cast<std::uint64_t>(-9007199254740993)),
            std::int64_t{-9007199254740993});
        add("u64_" + o8, "type: uint64, order: " + o8, wire64(o8, 18446744073709551557u),
            std::uint64_t{18446744073709551557u});
        add("f64_" + o8, "type: float64, order: " + o8,
            wire64(o8, std::bit_cast<std::uint64_t>(6.02214076e23)), 6.02214076e23);
        // The four-letter names mean the same for 64-bit values.
        add("f64_" + o, "type: float64, order: " + o,
            wire64(o8, std::bit_cast<std::uint64_t>(-1.5e-300)), -1.5e-300);
    }
    add("i16", "type: int16", {0x8001}, std::int64_t{-32767});
    add("u16", "type: uint16", {0xFFFE}, std::uint64_t{65534});
    add("scaled", "type: int16, scale: 0.1, offset: 1", {0xFFEC}, -1.0);
    add("bit3", "type: bool, bit: 3", {0x0008}, true);
    add("bit4", "type: bool, bit: 4", {0x0008}, false);
    add("text", "type: string, length: 5", {0x4547, 0x2D53, 0x494D, 0x0000, 0x0000},
        std::string("EG-SIM"));
    add("text_swapped", "type: string, length: 2, order: BADC", {0x4241, 0x2043},
        std::string("ABC"));
    server.set_registers(modbus_table::input, 9, std::vector<std::uint16_t>{0x1234});
    points += "  - { name: input9, table: input, address: 9, type: uint16 }\n";
    expected.emplace("input9", std::uint64_t{0x1234});
    server.set_bit(modbus_table::coil, 5, true);
    points += "  - { name: coil5, table: coil, address: 5 }\n";
    expected.emplace("coil5", true);
    server.set_bit(modbus_table::discrete, 6, true);
    points += "  - { name: discrete6, table: discrete, address: 6 }\n";
    expected.emplace("discrete6", true);
    points += "  - { name: discrete7, table: discrete, address: 7 }\n";
    expected.emplace("discrete7", false);

    modbus_harness h;
    h.add(device_yaml(server, "all", points));
    h.start();
    REQUIRE(wait_until([&] { return h.readings("all").size() >= expected.size(); }, 10s));
    h.stop();
    std::map<std::string, int> seen;
    for (const auto& r : h.readings("all")) {
        CAPTURE(r.point);
        REQUIRE(expected.contains(r.point));
        CHECK(r.quality == quality::good);
        CHECK(r.value == expected.at(r.point));
        ++seen[r.point];
    }
    CHECK(seen.size() == expected.size());
    const auto status = h.statuses("all");
    REQUIRE(status.size() == 1);
    CHECK(status[0].online);
}

TEST_CASE("coalescing: each poll sends exactly the planned blocks") {
    modbus_server server;
    // holding 0..1 and 4 join (gap 2 <= max_gap 3); 20 is too far; input 0 and 100 are two
    // requests; coils 0 and 40 join (40 bits apart: within 3 x 16).
    const std::string points = R"(  - { name: a, address: 0, type: float32 }
  - { name: b, address: 4 }
  - { name: c, address: 20, type: uint64 }
  - { name: d, table: input, address: 0 }
  - { name: e, table: input, address: 100 }
  - { name: f, table: coil, address: 0 }
  - { name: g, table: coil, address: 40 }
)";
    modbus_harness h;
    h.add(device_yaml(server, "co", points, "max_gap: 3\n"));
    h.start();
    REQUIRE(wait_until([&] { return h.readings("co", "a").size() >= 4; }, 10s));
    h.stop();

    const std::vector<modbus_server::request> poll{
        {1, 1, 0, 41}, {1, 4, 0, 1}, {1, 4, 100, 1}, {1, 3, 0, 5}, {1, 3, 20, 4}};
    const auto seen = server.requests();
    REQUIRE(seen.size() >= 4 * poll.size());
    for (std::size_t i = 0; i < seen.size(); ++i) {
        CAPTURE(i);
        CHECK(seen[i] == poll[i % poll.size()]);
    }
    CHECK(server.connections() == 1);
}

TEST_CASE("coalesce: false sends one request per point") {
    modbus_server server;
    modbus_harness h;
    h.add(device_yaml(server, "single",
                      "  - { name: a, address: 0 }\n  - { name: b, address: 1 }\n"
                      "  - { name: c, address: 2, type: int32 }\n",
                      "coalesce: false\n"));
    h.start();
    REQUIRE(wait_until([&] { return h.readings("single", "c").size() >= 3; }, 10s));
    h.stop();
    const std::vector<modbus_server::request> poll{{1, 3, 0, 1}, {1, 3, 1, 1}, {1, 3, 2, 2}};
    const auto seen = server.requests();
    for (std::size_t i = 0; i < seen.size(); ++i) CHECK(seen[i] == poll[i % poll.size()]);
}

TEST_CASE(
    "exception 02 inside a block splits it, every other point is still read, the split "
    "is kept") {
    modbus_server server;
    for (int a = 0; a < 40; ++a) server.set_register(H, a, static_cast<std::uint16_t>(100 + a));
    // The device does not implement 10..14 (between points) nor 30 (point `e` itself).
    server.add_hole(H, 10, 5);
    server.add_hole(H, 30);
    const std::string points = R"(  - { name: a, address: 0 }
  - { name: b, address: 8, type: uint32 }
  - { name: c, address: 16 }
  - { name: d, address: 29 }
  - { name: e, address: 30 }
  - { name: f, address: 31 }
)";
    modbus_harness h;
    h.add(device_yaml(server, "holes", points, "max_gap: 20\n"));
    h.start();
    REQUIRE(wait_until([&] { return h.readings("holes", "a").size() >= 3; }, 10s));
    h.stop();

    const std::map<std::string, std::uint64_t> good{
        {"a", 100}, {"b", (108ull << 16) | 109}, {"c", 116}, {"d", 129}, {"f", 131}};
    for (const auto& point : good) {
        CAPTURE(point.first);
        const auto r = h.readings("holes", point.first);
        REQUIRE(!r.empty());
        CHECK(r.front().quality == quality::good);  // read in the very first poll
        CHECK(r.back().value == value(point.second));
    }
    const auto e = h.readings("holes", "e");
    REQUIRE(e.size() == 1);  // bad once, not at every poll
    CHECK(e[0].quality == quality::bad);

    // First poll, each refused block split at its widest gap and its halves read at once:
    // 0..31 refused -> 0..16 refused -> 0 read, 8..16 refused -> 8..9 read, 16 read;
    // 29..31 refused -> 29 read, 30..31 refused -> 30 refused and cannot be split, 31 read.
    // Then that plan at every poll.
    const std::vector<modbus_server::request> first{
        {1, 3, 0, 32}, {1, 3, 0, 17}, {1, 3, 0, 1},  {1, 3, 8, 9},  {1, 3, 8, 2}, {1, 3, 16, 1},
        {1, 3, 29, 3}, {1, 3, 29, 1}, {1, 3, 30, 2}, {1, 3, 30, 1}, {1, 3, 31, 1}};
    const std::vector<modbus_server::request> then{{1, 3, 0, 1},  {1, 3, 8, 2},  {1, 3, 16, 1},
                                                   {1, 3, 29, 1}, {1, 3, 30, 1}, {1, 3, 31, 1}};
    const auto seen = server.requests();
    REQUIRE(seen.size() >= first.size() + 2 * then.size());
    for (std::size_t i = 0; i < seen.size(); ++i) {
        CAPTURE(i);
        CHECK(seen[i] == (i < first.size() ? first[i] : then[(i - first.size()) % then.size()]));
    }
    CHECK(h.is("holes", true));
}
