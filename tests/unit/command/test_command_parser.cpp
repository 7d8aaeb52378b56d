// The command payload parser: what a dashboard or a script sends on cmd/<device>/<point>, and
// the refusal each malformed payload gets (these texts reach the caller's result topic).
#include <doctest/doctest.h>

#include <string>

#include "gateway/command/command_parser.hpp"

using namespace edgegate;

TEST_CASE("a well formed command yields its value id and time") {
    const auto c =
        parse_command(R"({"value": 21.5, "id": "dash-7", "ts": "2026-11-27T08:30:00.250Z"})");
    CHECK(c.error.empty());
    REQUIRE(c.value);
    CHECK(std::get<double>(*c.value) == 21.5);
    CHECK(c.id == "dash-7");
    CHECK(c.requested == "21.5");
    REQUIRE(c.ts);
    CHECK(to_unix_ms(*c.ts) == 1795768200250);
}

TEST_CASE("values keep their JSON kind") {
    CHECK(std::get<bool>(*parse_command(R"({"value": true})").value));
    CHECK(std::get<std::int64_t>(*parse_command(R"({"value": -12})").value) == -12);
    CHECK(std::get<std::uint64_t>(*parse_command(R"({"value": 18446744073709551615})").value) ==
          18446744073709551615ull);
    CHECK(std::get<double>(*parse_command(R"({"value": 1e3})").value) == 1000.0);
    CHECK(std::get<std::string>(*parse_command(R"({"value": "auto"})").value) == "auto");
    // No id is fine: the answer then carries "id": null.
    CHECK_FALSE(parse_command(R"({"value": 1})").id.has_value());
}

TEST_CASE("a time with an offset is converted to UTC") {
    const auto c = parse_command(R"({"value": 1, "ts": "2026-11-27T09:30:00+01:00"})");
    REQUIRE(c.ts);
    CHECK(format_iso8601(*c.ts) == "2026-11-27T08:30:00.000Z");
}

TEST_CASE("malformed payloads are refused with what is wrong") {
    const auto error = [](std::string_view payload) { return parse_command(payload).error; };
    CHECK(error("{\"value\": 1") ==
          "malformed JSON at byte 11: Missing a comma or '}' after an object member.");
    CHECK(error("") == "malformed JSON at byte 0: The document is empty.");
    CHECK(error("[1]") == "expected a JSON object such as {\"value\": true, \"id\": \"42\"}");
    CHECK(error("{\"id\": \"1\"}") == "missing \"value\"");
    CHECK(error("{\"value\": null}") ==
          "\"value\" must be a boolean, a number or a string, got null");
    CHECK(error("{\"value\": {\"a\": 1}}") ==
          "\"value\" must be a boolean, a number or a string, got {\"a\":1}");
    CHECK(error("{\"valeu\": 1}") == "unknown key \"valeu\", did you mean \"value\"?");
    CHECK(error("{\"value\": 1, \"priority\": 2}") ==
          "unknown key \"priority\" (expected value, id, ts)");
    CHECK(error("{\"value\": 1, \"id\": 7}") == "\"id\" must be a string");
    CHECK(error("{\"value\": 1, \"ts\": 1795768200}") ==
          "\"ts\" must be an ISO 8601 time with a zone, such as \"2026-11-27T08:30:00.000Z\"");
    CHECK(error("{\"value\": 1, \"ts\": \"2026-11-27 08:30:00\"}") ==
          "\"ts\" must be an ISO 8601 time with a zone, such as \"2026-11-27T08:30:00.000Z\"");
    CHECK(error("{\"value\": 1, \"ts\": \"2300-01-01T00:00:00Z\"}") ==
          "\"ts\" must be an ISO 8601 time with a zone, such as \"2026-11-27T08:30:00.000Z\"");
    CHECK(error("{\"value\": \"\xff\"}") ==
          "malformed JSON at byte 11: Invalid encoding in string.");
}

TEST_CASE("a refusal still names the caller's id and requested value") {
    const auto c = parse_command(R"({"value": [1, 2], "id": "abc"})");
    CHECK_FALSE(c.error.empty());
    CHECK(c.id == "abc");
    CHECK(c.requested == "[1,2]");
    CHECK_FALSE(c.value.has_value());
}

TEST_CASE("a number beyond the range of a double is refused and audited as null") {
    const auto c = parse_command(R"({"value": 2e308, "id": "big"})");
    CHECK_FALSE(c.error.empty());
    CHECK(c.requested == "null");
    CHECK_FALSE(c.value.has_value());
}

TEST_CASE("an oversized payload is refused unread") {
    const std::string big = "{\"value\": \"" + std::string(max_command_bytes, 'x') + "\"}";
    const auto c = parse_command(big);
    CHECK(c.error ==
          "payload too large (" + std::to_string(big.size()) + " bytes, the limit is 4096)");
    CHECK(c.requested == "null");
}
