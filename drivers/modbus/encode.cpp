#include "drivers/modbus/encode.hpp"

#include <bit>
#include <charconv>
#include <cmath>
#include <limits>
#include <optional>
#include <span>
#include <type_traits>
#include <utility>
#include <variant>

namespace edgegate {

namespace {

std::string number_text(double d) {
    char buf[32];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
    return ec == std::errc{} ? std::string(buf, end) : std::to_string(d);
}

std::string kind_of(const value& v) {
    if (std::holds_alternative<bool>(v)) return "a boolean";
    if (std::holds_alternative<std::string>(v)) return "a string";
    return "a number";
}

double as_double(const value& v) {
    if (const auto* i = std::get_if<std::int64_t>(&v)) return static_cast<double>(*i);
    if (const auto* u = std::get_if<std::uint64_t>(&v)) return static_cast<double>(*u);
    return std::get<double>(v);
}

// A JSON integer that T holds as it is.
template <class T>
std::optional<T> exact(const value& v) {
    if (const auto* i = std::get_if<std::int64_t>(&v)) {
        if (std::in_range<T>(*i)) return static_cast<T>(*i);
    } else if (const auto* u = std::get_if<std::uint64_t>(&v)) {
        if (std::in_range<T>(*u)) return static_cast<T>(*u);
    }
    return std::nullopt;
}

// `raw` rounded to the nearest integer, if T holds it. T's minimum (0 or a negative power of
// two) and maximum + 1 (2 to the number of value bits) are exact doubles, so the bounds check
// is exact too.
template <class T>
std::optional<T> rounded(double raw) {
    const double r = std::round(raw);
    const double lowest = static_cast<double>(std::numeric_limits<T>::min());
    const double beyond = std::ldexp(1.0, std::numeric_limits<T>::digits);
    if (!(r >= lowest && r < beyond)) return std::nullopt;
    return static_cast<T>(r);
}

// 2^128 - 2^103: FLT_MAX plus half its step, the least double that rounds to infinity.
constexpr double float32_rounding_limit = 0x1.ffffffp127;

template <class T>
std::string range_text() {
    return "(" + std::to_string(std::numeric_limits<T>::min()) + ".." +
           std::to_string(std::numeric_limits<T>::max()) + ")";
}

class encoder {
  public:
    encoder(const modbus_point& p, const value& v) : p_(p), v_(v) {
        result_.data.assign(static_cast<std::size_t>(p.width()), 0);
    }

    encode_result run() {
        switch (p_.type) {
            case point_type::boolean:
                return boolean();
            case point_type::string:
                return refuse("string points cannot be written");
            default:
                return number();
        }
    }

  private:
    encode_result refuse(std::string why) {
        result_.data.clear();
        result_.error = std::move(why);
        return std::move(result_);
    }

    encode_result boolean() {
        if (!is_bit_table(p_.table)) {
            return refuse(
                "a bit inside a register cannot be written (no atomic read-modify-write)");
        }
        const auto* b = std::get_if<bool>(&v_);
        if (b == nullptr)
            return refuse("wrong type: a coil takes true or false, got " + kind_of(v_));
        result_.data[0] = *b ? 1 : 0;
        return std::move(result_);
    }

    encode_result number() {
        if (std::holds_alternative<bool>(v_) || std::holds_alternative<std::string>(v_)) {
            return refuse("wrong type: a " + std::string(type_name(p_.type)) +
                          " point takes a number, got " + kind_of(v_));
        }
        const double d = as_double(v_);
        if (!std::isfinite(d)) return refuse("not a finite number");
        if (p_.min && d < *p_.min) {
            return refuse(value_text(v_) + " is below min (" + number_text(*p_.min) + ")");
        }
        if (p_.max && d > *p_.max) {
            return refuse(value_text(v_) + " is above max (" + number_text(*p_.max) + ")");
        }
        raw_ = p_.scaled() ? (d - p_.offset) / p_.scale : d;
        switch (p_.type) {
            case point_type::int16:
                return integer<std::int16_t>();
            case point_type::uint16:
                return integer<std::uint16_t>();
            case point_type::int32:
                return integer<std::int32_t>();
            case point_type::uint32:
                return integer<std::uint32_t>();
            case point_type::int64:
                return integer<std::int64_t>();
            case point_type::uint64:
                return integer<std::uint64_t>();
            case point_type::float32:
                // Up to half a float step beyond FLT_MAX still rounds to FLT_MAX: a float32
                // read of -FLT_MAX comes back as -3.4028235e+38, which is that far out.
                if (!(std::fabs(raw_) < float32_rounding_limit)) {
                    return out_of_range("float32 (+-3.40282e+38)");
                }
                return bits(std::bit_cast<std::uint32_t>(static_cast<float>(raw_)));
            default:
                if (!std::isfinite(raw_)) return out_of_range("float64");
                return bits(std::bit_cast<std::uint64_t>(raw_));
        }
    }

    template <class T>
    encode_result integer() {
        // A JSON integer written unscaled goes in exactly; everything else through the double.
        const bool integral = !std::holds_alternative<double>(v_);
        const std::optional<T> t = !p_.scaled() && integral ? exact<T>(v_) : rounded<T>(raw_);
        if (!t) return out_of_range(std::string(type_name(p_.type)) + " " + range_text<T>());
        if constexpr (sizeof(T) == 2) {
            result_.data[0] = static_cast<std::uint16_t>(*t);
            return std::move(result_);
        } else {
            // Sign-extending a negative value is harmless: raw_to_registers takes only the
            // point's own bytes.
            return bits(static_cast<std::uint64_t>(*t));
        }
    }

    encode_result bits(std::uint64_t raw) {
        raw_to_registers(p_.order, raw, result_.data);
        return std::move(result_);
    }

    encode_result out_of_range(const std::string& type) {
        std::string why = value_text(v_) + " is ";
        if (p_.scaled()) {
            why += number_text(raw_) + " after the inverse of scale " + number_text(p_.scale) +
                   " and offset " + number_text(p_.offset) + ", which is ";
        }
        return refuse(why + "out of range for " + type);
    }

    const modbus_point& p_;
    const value& v_;
    double raw_ = 0;
    encode_result result_;
};

}  // namespace

encode_result encode_point(const modbus_point& p, const value& v) { return encoder(p, v).run(); }

std::string value_text(const value& v) {
    return std::visit(
        [](const auto& x) -> std::string {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, bool>) {
                return x ? "true" : "false";
            } else if constexpr (std::is_same_v<T, double>) {
                return number_text(x);
            } else if constexpr (std::is_same_v<T, std::string>) {
                return "\"" + x + "\"";
            } else {
                return std::to_string(x);
            }
        },
        v);
}

}  // namespace edgegate
