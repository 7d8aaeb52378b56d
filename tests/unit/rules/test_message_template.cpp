#include <doctest/doctest.h>

#include "rules/message_template.hpp"

using namespace edgegate;
using namespace std::chrono_literals;

namespace {

message_template parsed(std::string_view text) {
    auto t = message_template::parse(text);
    REQUIRE(std::holds_alternative<message_template>(t));
    return std::get<message_template>(t);
}

message_template::parse_error error_of(std::string_view text) {
    auto t = message_template::parse(text);
    REQUIRE(std::holds_alternative<message_template::parse_error>(t));
    return std::get<message_template::parse_error>(t);
}

}  // namespace

TEST_CASE("placeholders are replaced, braces doubled are literal, other text is kept") {
    message_template::fields f;
    f.rule = "hot";
    f.device = "boiler";
    f.point = "temperature";
    f.state = "raised";
    f.severity = "critical";
    f.value = "91.5";
    f.unit = "°C";
    f.threshold = "90";
    f.since = "2026-01-01T00:00:00.000Z";
    f.duration = "2m30s";
    f.peak = "93";
    CHECK(parsed("{rule}|{device}|{point}|{state}|{severity}|{value}{unit}|{threshold}|{since}|"
                 "{duration}|{peak}")
              .render(f) ==
          "hot|boiler|temperature|raised|critical|91.5°C|90|2026-01-01T00:00:00.000Z|2m30s|93");
    CHECK(parsed("{{literal}} }} {value}").render(f) == "{literal} } 91.5");
    CHECK(parsed("").render(f).empty());
    CHECK(parsed("no placeholders } at all").render(f) == "no placeholders } at all");
    CHECK(parsed("{value}").text() == "{value}");
}

TEST_CASE("an unknown or unclosed placeholder is an error at its offset") {
    const auto typo = error_of("at {valeu}");
    CHECK(typo.offset == 3);
    CHECK(typo.message == "unknown placeholder '{valeu}', did you mean '{value}'?");
    const auto empty = error_of("x {}");
    CHECK(empty.offset == 2);
    CHECK(empty.message.starts_with("unknown placeholder '{}', expected one of: {rule} {device}"));
    const auto unclosed = error_of("{value} and {unit");
    CHECK(unclosed.offset == 12);
    CHECK(unclosed.message == "unclosed '{' (write '{{' for a literal brace)");
    CHECK(error_of("{value {unit}").offset == 0);
    CHECK(message_template::placeholders().size() == 11);
}

TEST_CASE("values, thresholds and durations as a message shows them") {
    CHECK(message_text(std::optional<value>(std::int64_t{-12})) == "-12");
    CHECK(message_text(std::optional<value>(std::uint64_t{18446744073709551615ull})) ==
          "18446744073709551615");
    CHECK(message_text(std::optional<value>(90.7382947)) == "90.7383");
    CHECK(message_text(std::optional<value>(0.0125)) == "0.0125");
    CHECK(message_text(std::optional<value>(true)) == "true");
    CHECK(message_text(std::optional<value>(std::string("open"))) == "open");
    CHECK(message_text(std::optional<value>()) == "-");
    CHECK(threshold_text(alert_threshold(value_band{std::int64_t{2}, 8.5})) == "2..8.5");
    CHECK(threshold_text(alert_threshold(std::monostate{})) == "-");
    CHECK(message_duration(0ms) == "0ms");
    CHECK(message_duration(350ms) == "350ms");
    CHECK(message_duration(42s) == "42s");
    CHECK(message_duration(150s) == "2m30s");
    CHECK(message_duration(1h + 5min + 7s) == "1h5m");
    CHECK(message_duration(1h + 7s) == "1h");
    CHECK(message_duration(3 * 24h + 4h) == "3d4h");
    CHECK(message_duration(-5s) == "0ms");
}
