#include "drivers/modbus/probe_report.hpp"

#include <array>
#include <bit>
#include <charconv>
#include <cstdio>

#include "drivers/modbus/byte_order.hpp"
#include "drivers/modbus/decode.hpp"

namespace edgegate {

namespace {

constexpr std::array orders = {byte_order::abcd, byte_order::dcba, byte_order::badc,
                               byte_order::cdab};

std::string number(double d) {
    char buf[64];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
    return ec == std::errc{} ? std::string(buf, end) : "?";
}

// Left-aligned in `width` columns, with at least one space after.
std::string cell(const std::string& s, std::size_t width) {
    return s.size() >= width ? s + " " : s + std::string(width - s.size(), ' ');
}

std::string hex(std::uint64_t v, int digits) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "0x%0*llX", digits, static_cast<unsigned long long>(v));
    return buf;
}

std::string text(std::span<const std::uint16_t> regs, bool swap) {
    std::string s;
    for (const std::uint16_t r : regs) {
        for (const int b : swap ? std::array{r & 0xFF, r >> 8} : std::array{r >> 8, r & 0xFF}) {
            s.push_back(b >= 0x20 && b < 0x7F ? static_cast<char>(b) : '.');
        }
    }
    return s;
}

void registers(std::string& out, int address, std::span<const std::uint16_t> regs) {
    out += "registers\n  " + cell("address", 9) + cell("hex", 8) + cell("uint16", 8) + "int16\n";
    for (std::size_t i = 0; i < regs.size(); ++i) {
        out += "  " + cell(std::to_string(address + static_cast<int>(i)), 9) +
               cell(hex(regs[i], 4), 8) + cell(std::to_string(regs[i]), 8) +
               std::to_string(static_cast<std::int16_t>(regs[i])) + "\n";
    }
}

void wide(std::string& out, int address, std::span<const std::uint16_t> regs, std::size_t n) {
    if (regs.size() < n) return;
    const bool is64 = n == 4;
    out += "\n" + std::string(is64 ? "64" : "32") + "-bit values (" + std::to_string(n) +
           " registers from each address)\n  " + cell("address", 9) + cell("order", 10) +
           cell("hex", is64 ? 20 : 12) + cell(is64 ? "int64" : "int32", 22) +
           cell(is64 ? "uint64" : "uint32", 22) + (is64 ? "float64" : "float32") + "\n";
    for (std::size_t i = 0; i + n <= regs.size(); ++i) {
        for (const byte_order o : orders) {
            const std::uint64_t raw = registers_to_raw(o, regs.subspan(i, n));
            const std::string sig =
                is64 ? std::to_string(static_cast<std::int64_t>(raw))
                     : std::to_string(static_cast<std::int32_t>(static_cast<std::uint32_t>(raw)));
            const double real = is64 ? std::bit_cast<double>(raw)
                                     : widen(std::bit_cast<float>(static_cast<std::uint32_t>(raw)));
            out += "  " + cell(std::to_string(address + static_cast<int>(i)), 9) +
                   cell(std::string(order_name(o, static_cast<int>(n))), 10) +
                   cell(hex(raw, is64 ? 16 : 8), is64 ? 20 : 12) + cell(sig, 22) +
                   cell(std::to_string(raw), 22) + number(real) + "\n";
        }
    }
}

}  // namespace

std::string format_probe_report(modbus_table table, int address,
                                std::span<const std::uint16_t> data) {
    std::string out;
    if (is_bit_table(table)) {
        out += std::string(table_name(table)) + "s\n  " + cell("address", 9) + "value\n";
        for (std::size_t i = 0; i < data.size(); ++i) {
            out += "  " + cell(std::to_string(address + static_cast<int>(i)), 9) +
                   (data[i] != 0 ? "1" : "0") + "\n";
        }
        return out;
    }
    registers(out, address, data);
    wide(out, address, data, 2);
    wide(out, address, data, 4);
    out += "\ntext, high byte first: \"" + text(data, false) + "\"\n";
    out += "text, low byte first:  \"" + text(data, true) + "\"\n";
    return out;
}

}  // namespace edgegate
