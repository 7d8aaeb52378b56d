// Modbus value decoding and write encoding over every point type, table, byte order, bit, string
// length, scale and offset a configuration accepts (drivers/modbus/README.md), with the registers
// from the input: decode_point must take any registers a device sends, and encode_point must be
// its inverse: an unscaled value read from registers writes back the very same registers, and a
// scaled one writes back registers that read within half a step of the value.

#include <fuzzer/FuzzedDataProvider.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "drivers/modbus/decode.hpp"
#include "drivers/modbus/encode.hpp"
#include "drivers/modbus/read_plan.hpp"

namespace {

using namespace edgegate;

[[noreturn]] void fail(const modbus_point& p, std::string_view what, const value& v) {
    std::fprintf(stderr, "%s %s order %d scale %.17g offset %.17g: %.*s (value %s)\n",
                 std::string(table_name(p.table)).c_str(), std::string(type_name(p.type)).c_str(),
                 static_cast<int>(p.order), p.scale, p.offset, static_cast<int>(what.size()),
                 what.data(), value_text(v).c_str());
    std::abort();
}

// What device_config.cpp accepts for a scale or an offset: finite, |x| <= 1e15, a scale not 0.
double config_number(FuzzedDataProvider& in, bool nonzero) {
    constexpr double big = 1e15;
    double x = in.ConsumeFloatingPointInRange<double>(-big, big);
    if (in.ConsumeBool()) x = std::round(x * 1000) / 1000;  // the usual 0.1, 10, -40
    if (nonzero && x == 0) x = 1;
    return x;
}

modbus_point any_point(FuzzedDataProvider& in) {
    modbus_point p;
    p.table = static_cast<modbus_table>(in.ConsumeIntegralInRange(0, 3));
    p.type = is_bit_table(p.table) ? point_type::boolean
                                   : static_cast<point_type>(in.ConsumeIntegralInRange(0, 9));
    p.order = static_cast<byte_order>(in.ConsumeIntegralInRange(0, 3));
    p.bit = in.ConsumeIntegralInRange(0, 15);
    p.length = in.ConsumeIntegralInRange(1, max_read_registers);
    if (is_numeric(p.type) && in.ConsumeBool()) {
        p.scale = config_number(in, true);
        p.offset = in.ConsumeBool() ? config_number(in, false) : 0;
    }
    return p;
}

double as_double(const value& v) {
    if (const auto* i = std::get_if<std::int64_t>(&v)) return static_cast<double>(*i);
    if (const auto* u = std::get_if<std::uint64_t>(&v)) return static_cast<double>(*u);
    return std::get<double>(v);
}

bool integral(const value& v) {
    return std::holds_alternative<std::int64_t>(v) || std::holds_alternative<std::uint64_t>(v);
}

// Registers -> value -> registers, for an unscaled point: exactly the same registers.
void check_exact(const modbus_point& p, const std::vector<std::uint16_t>& regs, const value& v) {
    const encode_result e = encode_point(p, v);
    if (!e.ok()) fail(p, "a value read could not be written back: " + e.error, v);
    if (e.data != regs) fail(p, "written back as other registers", v);
}

// Registers -> value -> registers -> value, for a scaled point: the raw value is rounded to the
// type (an integer, a float) on the way, so the second reading may differ by half a step of the
// scale, plus the decimal rounding of both readings.
void check_scaled(const modbus_point& p, const value& v) {
    const double d = as_double(v);
    const encode_result e = encode_point(p, v);
    if (!e.ok()) {
        // Out of range after the inverse scale: possible only when the rounding of the reading
        // (15 digits) pushed it past the type's end.
        const double raw = (d - p.offset) / p.scale;
        if (!std::isfinite(raw) || e.error.find("out of range") != std::string::npos) return;
        fail(p, "a scaled value read could not be written back: " + e.error, v);
    }
    const double back = as_double(decode_point(p, e.data));
    const double magnitude = std::fabs(d) + std::fabs(p.offset);
    double step = 0;
    if (is_integer(p.type)) step = std::fabs(p.scale) / 2;
    if (p.type == point_type::float32) {
        // float32 keeps 24 bits; below its normal range the absolute step is fixed.
        step = std::fabs(p.scale) * (std::fabs(d - p.offset) / std::fabs(p.scale) * 6e-8 + 1e-44);
    }
    const double tolerance = step + magnitude * 1e-12 + 1e-300;
    if (!(std::fabs(back - d) <= tolerance)) {
        fail(p, "read back as " + value_text(back) + " after writing", v);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider in(data, size);
    const modbus_point p = any_point(in);
    std::vector<std::uint16_t> regs(static_cast<std::size_t>(p.width()));
    for (auto& r : regs) r = in.ConsumeIntegral<std::uint16_t>();
    // A coil or discrete input comes from libmodbus as 0 or 1.
    if (is_bit_table(p.table)) regs[0] &= 1;

    const value v = decode_point(p, regs);

    if (p.type == point_type::string) {
        const auto& s = std::get<std::string>(v);
        if (s.size() > regs.size() * 2 || s.find('\0') != std::string::npos ||
            (!s.empty() && s.back() == ' ')) {
            fail(p, "string not cut at NUL or not trimmed", v);
        }
        if (encode_point(p, v).ok()) fail(p, "a string point was written", v);
        return 0;
    }
    if (p.type == point_type::boolean) {
        if (!std::holds_alternative<bool>(v)) fail(p, "a bool point read as another type", v);
        const encode_result e = encode_point(p, v);
        if (is_bit_table(p.table)) {
            if (!e.ok() || e.data != regs) fail(p, "a coil did not write back as read", v);
        } else if (e.ok()) {
            fail(p, "a bit inside a register was written", v);
        }
        return 0;
    }
    if (p.scaled()) {
        if (!std::holds_alternative<double>(v)) fail(p, "a scaled point read as an integer", v);
        if (std::isfinite(std::get<double>(v))) check_scaled(p, v);
        return 0;
    }
    if (is_integer(p.type) != integral(v)) fail(p, "an unscaled point read as the wrong kind", v);
    const double d = as_double(v);
    if (!std::isfinite(d)) {
        if (encode_point(p, v).ok()) fail(p, "a non-finite value was written", v);
        return 0;
    }
    check_exact(p, regs, v);

    // A command's value, in engineering units, against the point's bounds: refused or in them.
    modbus_point bounded = p;
    bounded.min = in.ConsumeFloatingPoint<double>();
    bounded.max = in.ConsumeFloatingPoint<double>();
    const encode_result e = encode_point(bounded, v);
    if (e.ok() && (d < *bounded.min || d > *bounded.max)) fail(bounded, "written out of bounds", v);
    return 0;
}
