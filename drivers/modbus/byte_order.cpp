#include "drivers/modbus/byte_order.hpp"

#include <array>
#include <cstddef>

namespace edgegate {

namespace {

constexpr std::array<std::string_view, 4> four_letters = {"ABCD", "DCBA", "BADC", "CDAB"};
constexpr std::array<std::string_view, 4> eight_letters = {"ABCDEFGH", "HGFEDCBA", "BADCFEHG",
                                                           "GHEFCDAB"};

std::size_t index(byte_order order) { return static_cast<std::size_t>(order); }

// Wire byte i carries big-endian value byte pattern[i] - 'A'. Only this table defines the
// layouts; decoding and encoding are the same permutation applied in opposite directions.
std::string_view pattern(byte_order order, std::size_t bytes) {
    return bytes == 8 ? eight_letters[index(order)] : four_letters[index(order)];
}

}  // namespace

std::string_view order_name(byte_order order, int registers) {
    return pattern(order, registers == 4 ? 8 : 4);
}

std::optional<byte_order> parse_order(std::string_view name, int registers) {
    for (std::size_t i = 0; i < four_letters.size(); ++i) {
        if (name == four_letters[i] || (registers == 4 && name == eight_letters[i])) {
            return static_cast<byte_order>(i);
        }
    }
    return std::nullopt;
}

std::uint64_t registers_to_raw(byte_order order, std::span<const std::uint16_t> regs) {
    const std::size_t bytes = regs.size() * 2;
    const std::string_view p = pattern(order, bytes);
    std::uint64_t raw = 0;
    for (std::size_t i = 0; i < bytes; ++i) {
        const std::uint16_t reg = regs[i / 2];
        const auto wire_byte = static_cast<std::uint64_t>(i % 2 == 0 ? reg >> 8 : reg & 0xFF);
        const auto significance = bytes - 1 - static_cast<std::size_t>(p[i] - 'A');
        raw |= wire_byte << (8 * significance);
    }
    return raw;
}

void raw_to_registers(byte_order order, std::uint64_t raw, std::span<std::uint16_t> regs) {
    const std::size_t bytes = regs.size() * 2;
    const std::string_view p = pattern(order, bytes);
    for (auto& r : regs) r = 0;
    for (std::size_t i = 0; i < bytes; ++i) {
        const auto significance = bytes - 1 - static_cast<std::size_t>(p[i] - 'A');
        const auto value_byte = static_cast<std::uint16_t>((raw >> (8 * significance)) & 0xFF);
        regs[i / 2] |= static_cast<std::uint16_t>(i % 2 == 0 ? value_byte << 8 : value_byte);
    }
}

bool swaps_bytes(byte_order order) { return order == byte_order::badc; }

}  // namespace edgegate
