// Coalescing: which requests a layout of points becomes, within the protocol's limits and
// max_gap, and how a block refused with exception 02 is split.
#include <doctest/doctest.h>

#include <vector>

#include "drivers/modbus/read_plan.hpp"

using namespace edgegate;

namespace {

modbus_point pt(modbus_table table, int address, point_type type = point_type::uint16,
                int length = 0) {
    modbus_point p;
    p.name = "p" + std::to_string(address);
    p.table = table;
    p.address = address;
    p.type = is_bit_table(table) ? point_type::boolean : type;
    p.length = length;
    return p;
}

constexpr auto H = modbus_table::holding;
constexpr auto I = modbus_table::input;
constexpr auto C = modbus_table::coil;
constexpr auto D = modbus_table::discrete;

// (table, address, count) of each block.
struct span_of {
    modbus_table table;
    int address;
    int count;
    bool operator==(const span_of&) const = default;
};

std::vector<span_of> spans(const std::vector<read_block>& plan) {
    std::vector<span_of> out;
    for (const auto& b : plan) out.push_back({b.table, b.address, b.count});
    return out;
}

}  // namespace

namespace doctest {
template <>
struct StringMaker<std::vector<span_of>> {
    static String convert(const std::vector<span_of>& v) {
        std::string s = "{";
        for (const auto& b : v) {
            s += " " + std::string(table_name(b.table)) + ":" + std::to_string(b.address) + "+" +
                 std::to_string(b.count);
        }
        return (s + " }").c_str();
    }
};
}  // namespace doctest

TEST_CASE("the issue's example: one request per table") {
    const std::vector<modbus_point> points{
        pt(H, 100, point_type::float32), pt(I, 3, point_type::int16), pt(C, 0),
        pt(H, 7, point_type::boolean), pt(H, 200, point_type::string, 8)};
    // holding 7 and 100 are 92 apart: more than max_gap 8, so they are two requests; 200 too.
    CHECK(spans(plan_reads(points, 8)) ==
          std::vector<span_of>{{C, 0, 1}, {I, 3, 1}, {H, 7, 1}, {H, 100, 2}, {H, 200, 8}});
    CHECK(spans(plan_reads(points, 100)) ==
          std::vector<span_of>{{C, 0, 1}, {I, 3, 1}, {H, 7, 95}, {H, 200, 8}});
    CHECK(spans(plan_reads(points, 124)) ==
          std::vector<span_of>{{C, 0, 1}, {I, 3, 1}, {H, 7, 95}, {H, 200, 8}});
}

TEST_CASE("max_gap: a hole of exactly max_gap registers joins, one more does not") {
    const std::vector<modbus_point> points{pt(H, 0, point_type::uint32), pt(H, 6), pt(H, 11)};
    // 0..1, then 4 unread (2..5), then 6, then 4 unread (7..10), then 11.
    CHECK(spans(plan_reads(points, 4)) == std::vector<span_of>{{H, 0, 12}});
    CHECK(spans(plan_reads(points, 3)) == std::vector<span_of>{{H, 0, 2}, {H, 6, 1}, {H, 11, 1}});
    CHECK(spans(plan_reads(points, 0)) == std::vector<span_of>{{H, 0, 2}, {H, 6, 1}, {H, 11, 1}});
}

TEST_CASE("adjacent and overlapping points always join; coalesce: false reads each alone") {
    const std::vector<modbus_point> points{pt(H, 10, point_type::float64), pt(H, 12),
                                           pt(H, 14, point_type::boolean),
                                           pt(H, 14, point_type::int16)};
    const auto plan = plan_reads(points, 0);
    CHECK(spans(plan) == std::vector<span_of>{{H, 10, 5}});
    CHECK(plan[0].points == std::vector<std::size_t>{0, 1, 2, 3});
    CHECK(spans(plan_reads(points, 8, false)) ==
          std::vector<span_of>{{H, 10, 4}, {H, 12, 1}, {H, 14, 1}, {H, 14, 1}});
}

TEST_CASE("a block never exceeds 125 registers or 2000 bits") {
    std::vector<modbus_point> regs;
    for (int a = 0; a < 300; ++a) regs.push_back(pt(H, a));
    CHECK(spans(plan_reads(regs, 8)) ==
          std::vector<span_of>{{H, 0, 125}, {H, 125, 125}, {H, 250, 50}});

    // A 4-register value that would cross the limit starts the next block instead.
    const std::vector<modbus_point> wide{pt(H, 0), pt(H, 122, point_type::uint64)};
    CHECK(spans(plan_reads(wide, 124)) == std::vector<span_of>{{H, 0, 1}, {H, 122, 4}});

    std::vector<modbus_point> bits;
    for (int a = 0; a < 4500; a += 3) bits.push_back(pt(D, a));
    // In a bit table max_gap counts 16 bits: 0 joins only adjacent bits, 1 skips up to 16.
    CHECK(plan_reads(bits, 0).size() == 1500);
    const auto joined = plan_reads(bits, 1);
    CHECK(spans(joined) == std::vector<span_of>{{D, 0, 1999}, {D, 2001, 1999}, {D, 4002, 496}});
}

TEST_CASE("blocks come by table, then address, whatever the order of the points") {
    const std::vector<modbus_point> points{pt(H, 50), pt(C, 5), pt(I, 0), pt(H, 1), pt(D, 9)};
    const auto plan = plan_reads(points, 0);
    CHECK(spans(plan) ==
          std::vector<span_of>{{C, 5, 1}, {D, 9, 1}, {I, 0, 1}, {H, 1, 1}, {H, 50, 1}});
    CHECK(plan[3].points == std::vector<std::size_t>{3});
}

TEST_CASE("split_block cuts at the widest gap, keeps shared registers together") {
    const std::vector<modbus_point> points{pt(H, 0), pt(H, 1), pt(H, 5), pt(H, 6), pt(H, 8)};
    const auto plan = plan_reads(points, 8);
    REQUIRE(plan.size() == 1);
    auto halves = split_block(plan[0], points);
    REQUIRE(halves);
    CHECK(halves->first == read_block{H, 0, 2, {0, 1}});
    CHECK(halves->second == read_block{H, 5, 4, {2, 3, 4}});

    // No gap: the cut nearest the middle.
    const std::vector<modbus_point> row{pt(H, 0), pt(H, 1), pt(H, 2), pt(H, 3)};
    halves = split_block(plan_reads(row, 0)[0], row);
    REQUIRE(halves);
    CHECK(halves->first.count == 2);
    CHECK(halves->second == read_block{H, 2, 2, {2, 3}});

    // Points sharing a register cannot be separated.
    const std::vector<modbus_point> bits{
        pt(H, 4, point_type::boolean), pt(H, 4, point_type::boolean), pt(H, 3, point_type::uint32)};
    CHECK_FALSE(split_block(plan_reads(bits, 0)[0], bits));
    const std::vector<modbus_point> one{pt(H, 9, point_type::float64)};
    CHECK_FALSE(split_block(plan_reads(one, 0)[0], one));
}
