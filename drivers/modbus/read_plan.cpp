#include "drivers/modbus/read_plan.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>

namespace edgegate {

namespace {

int end_of(const modbus_point& p) { return p.address + p.width(); }

// A block covering exactly `indices` (sorted by address, non-empty).
read_block block_of(modbus_table table, std::span<const std::size_t> indices,
                    std::span<const modbus_point> points) {
    read_block b;
    b.table = table;
    b.address = points[indices.front()].address;
    int end = b.address;
    for (const std::size_t i : indices) end = std::max(end, end_of(points[i]));
    b.count = end - b.address;
    b.points.assign(indices.begin(), indices.end());
    return b;
}

}  // namespace

std::vector<read_block> plan_reads(std::span<const modbus_point> points, int max_gap,
                                   bool coalesce) {
    std::vector<read_block> plan;
    constexpr std::array tables = {modbus_table::coil, modbus_table::discrete, modbus_table::input,
                                   modbus_table::holding};
    for (const modbus_table table : tables) {
        std::vector<std::size_t> order;
        for (std::size_t i = 0; i < points.size(); ++i) {
            if (points[i].table == table) order.push_back(i);
        }
        std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
            return points[a].address < points[b].address;
        });
        const bool bits = is_bit_table(table);
        const int limit = bits ? max_read_bits : max_read_registers;
        const int gap_allowed = bits ? max_gap * 16 : max_gap;

        std::vector<std::size_t> current;
        int start = 0;
        int end = 0;
        for (const std::size_t i : order) {
            const modbus_point& p = points[i];
            const bool joins = coalesce && !current.empty() && p.address - end <= gap_allowed &&
                               std::max(end, end_of(p)) - start <= limit;
            if (!joins && !current.empty()) {
                plan.push_back(block_of(table, current, points));
                current.clear();
            }
            if (current.empty()) {
                start = p.address;
                end = p.address;
            }
            current.push_back(i);
            end = std::max(end, end_of(p));
        }
        if (!current.empty()) plan.push_back(block_of(table, current, points));
    }
    return plan;
}

std::optional<std::pair<read_block, read_block>> split_block(const read_block& block,
                                                             std::span<const modbus_point> points) {
    // Candidate cuts: before a point that starts at or after everything before it has ended.
    std::size_t best = 0;
    int best_gap = -1;
    int best_distance = 0;
    const int middle = block.address + block.count / 2;
    int end = block.address;
    for (std::size_t k = 0; k < block.points.size(); ++k) {
        const modbus_point& p = points[block.points[k]];
        if (k > 0 && p.address >= end) {
            const int gap = p.address - end;
            const int distance = std::abs(p.address - middle);
            if (gap > best_gap || (gap == best_gap && distance < best_distance)) {
                best = k;
                best_gap = gap;
                best_distance = distance;
            }
        }
        end = std::max(end, end_of(p));
    }
    if (best_gap < 0) return std::nullopt;
    const std::span<const std::size_t> all(block.points);
    return std::pair{block_of(block.table, all.first(best), points),
                     block_of(block.table, all.subspan(best), points)};
}

}  // namespace edgegate
