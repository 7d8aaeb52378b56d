#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "gateway/core/alert.hpp"
#include "gateway/core/units.hpp"
#include "gateway/core/value.hpp"

namespace edgegate {

// A rule's `message`: text with placeholders such as "{device} at {value}{unit}". Parsed once at
// load time, so an unknown placeholder is a configuration error and not a surprise at 3 a.m.;
// rendered for each alert event. "{{" and "}}" write a literal brace.
class message_template {
  public:
    // The text each placeholder stands for, already formatted.
    struct fields {
        std::string_view rule;
        std::string_view device;
        std::string_view point;
        std::string_view state;
        std::string_view severity;
        std::string value;
        std::string_view unit;
        std::string threshold;
        std::string since;
        std::string duration;
        std::string peak;
    };

    struct parse_error {
        std::size_t offset = 0;  // byte offset of the problem in the text
        std::string message;
    };

    message_template() = default;

    // The template, or what is wrong with it and where.
    static std::variant<message_template, parse_error> parse(std::string_view text);
    // "{rule}", "{device}", ...: every placeholder known, for messages and documentation.
    static const std::vector<std::string>& placeholders();

    std::string render(const fields& f) const;
    const std::string& text() const { return text_; }

  private:
    enum class field {
        rule,
        device,
        point,
        state,
        severity,
        value,
        unit,
        threshold,
        since,
        duration,
        peak
    };
    struct piece {
        std::string literal;
        std::optional<field> placeholder;
    };

    std::string text_;
    std::vector<piece> pieces_;
};

// How values read in a message: integers exactly, reals with six significant digits ("90.7383",
// "0.0125"), booleans and text as they are, nothing as "-".
std::string message_text(const std::optional<value>& v);
std::string threshold_text(const alert_threshold& t);
// "350ms", "42s", "2m30s", "1h5m", "3d4h": exact below a second, then the two largest units.
std::string message_duration(duration d);

}  // namespace edgegate
