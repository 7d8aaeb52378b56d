#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "drivers/modbus/point.hpp"

namespace edgegate {

// Modbus limits on one read request.
inline constexpr int max_read_registers = 125;
inline constexpr int max_read_bits = 2000;

// One read request: `count` registers (or bits) of `table` from `address`, and the points it
// serves (indices into the device's points, by address).
struct read_block {
    modbus_table table = modbus_table::holding;
    int address = 0;
    int count = 0;
    std::vector<std::size_t> points;

    bool operator==(const read_block&) const = default;
};

// Coalescing: the points of one device in as few requests as the limits allow. Points of one
// table, sorted by address, join a block while the block stays within 125 registers (2000
// bits) and the hole between them is at most `max_gap` registers (`max_gap` x 16 bits in a bit
// table: the same bytes on the wire). With `coalesce` false every point is its own request.
// Blocks come in table order (coil, discrete, input, holding), then by address.
std::vector<read_block> plan_reads(std::span<const modbus_point> points, int max_gap,
                                   bool coalesce = true);

// A block the device refused with exception 02 (illegal data address) probably spans a hole in
// its register map. Splits it in two at the widest gap between its points (the likeliest place
// of the hole; the middle one on a tie); points that share registers stay together. nullopt
// when nothing can be split off: the refused address is one of the points' own.
std::optional<std::pair<read_block, read_block>> split_block(const read_block& block,
                                                             std::span<const modbus_point> points);

}  // namespace edgegate
