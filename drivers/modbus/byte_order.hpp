#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace edgegate {

// How a 32- or 64-bit value is laid out over 2 or 4 consecutive 16-bit registers. The name
// lists, in wire order (first register's high byte first), which byte of the big-endian value
// travels there: ABCD is big-endian, DCBA little-endian, BADC swaps the bytes inside each
// register, CDAB swaps the registers. For 64-bit values the same four layouts are named with
// eight letters (ABCDEFGH, HGFEDCBA, BADCFEHG, GHEFCDAB). Reads and writes both go through the
// two functions below, so a layout means the same thing in either direction.
enum class byte_order { abcd, dcba, badc, cdab };

// The name for a value of `registers` registers (2: ABCD..., 4: ABCDEFGH...).
std::string_view order_name(byte_order order, int registers);

// A name as written in a configuration. A 64-bit value (`registers` == 4) accepts the
// four-letter names as well as the eight-letter ones; anything else accepts four letters only.
std::optional<byte_order> parse_order(std::string_view name, int registers);

// The registers of one value (2 or 4) as they came off the wire -> the value's bits.
std::uint64_t registers_to_raw(byte_order order, std::span<const std::uint16_t> regs);

// The inverse: the value's bits -> the registers to send (2 or 4, by the span's size).
void raw_to_registers(byte_order order, std::uint64_t raw, std::span<std::uint16_t> regs);

// A string's bytes within each register: ABCD (high byte first, the usual) or BADC.
bool swaps_bytes(byte_order order);

}  // namespace edgegate
