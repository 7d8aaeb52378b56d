#include "drivers/modbus/decode.hpp"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <string>
#include <type_traits>

namespace edgegate {

namespace {

std::string decode_string(std::span<const std::uint16_t> regs, bool swap) {
    std::string s;
    s.reserve(regs.size() * 2);
    for (const std::uint16_t r : regs) {
        const char hi = static_cast<char>(r >> 8);
        const char lo = static_cast<char>(r & 0xFF);
        s.push_back(swap ? lo : hi);
        s.push_back(swap ? hi : lo);
    }
    // Devices keep strings in fixed-size buffers: what follows a NUL is left-over, not text.
    s.resize(std::min(s.find('\0'), s.size()));
    s.resize(s.find_last_not_of(' ') + 1);
    return s;
}

// raw * scale + offset, rounded to 15 significant digits: as many as a double holds exactly in
// decimal, so that 251 * 0.01 reads 2.51 and not the 2.5100000000000002 of binary arithmetic.
value scaled(const modbus_point& p, double raw) {
    const double v = raw * p.scale + p.offset;
    if (!std::isfinite(v)) return v;
    char buf[32];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general, 15);
    double rounded = v;
    if (ec == std::errc{}) std::from_chars(buf, end, rounded);
    return rounded;
}

template <class T>
value integer(const modbus_point& p, T raw) {
    if (p.scaled()) return scaled(p, static_cast<double>(raw));
    if constexpr (std::is_signed_v<T>) {
        return static_cast<std::int64_t>(raw);
    } else {
        return static_cast<std::uint64_t>(raw);
    }
}

}  // namespace

double widen(float f) {
    if (!std::isfinite(f)) return static_cast<double>(f);
    char buf[32];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, f);
    double d = 0;
    if (ec != std::errc{} || std::from_chars(buf, end, d).ec != std::errc{}) {
        return static_cast<double>(f);
    }
    return d;
}

value decode_point(const modbus_point& p, std::span<const std::uint16_t> data) {
    switch (p.type) {
        case point_type::boolean:
            if (is_bit_table(p.table)) return data[0] != 0;
            return ((data[0] >> p.bit) & 1) != 0;
        case point_type::int16:
            return integer(p, static_cast<std::int16_t>(data[0]));
        case point_type::uint16:
            return integer(p, data[0]);
        case point_type::int32:
            return integer(p, static_cast<std::int32_t>(registers_to_raw(p.order, data)));
        case point_type::uint32:
            return integer(p, static_cast<std::uint32_t>(registers_to_raw(p.order, data)));
        case point_type::int64:
            return integer(p, static_cast<std::int64_t>(registers_to_raw(p.order, data)));
        case point_type::uint64:
            return integer(p, registers_to_raw(p.order, data));
        case point_type::float32: {
            const auto bits = static_cast<std::uint32_t>(registers_to_raw(p.order, data));
            const double v = widen(std::bit_cast<float>(bits));
            return p.scaled() ? scaled(p, v) : value(v);
        }
        case point_type::float64: {
            const double v = std::bit_cast<double>(registers_to_raw(p.order, data));
            return p.scaled() ? scaled(p, v) : value(v);
        }
        case point_type::string:
            return decode_string(data, swaps_bytes(p.order));
    }
    return false;
}

}  // namespace edgegate
