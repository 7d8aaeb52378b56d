// Durations, sizes, names and "did you mean": the small parsers every configuration goes through.
#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "gateway/core/diagnostics.hpp"
#include "gateway/core/names.hpp"
#include "gateway/core/units.hpp"
#include "gateway/core/yaml_section.hpp"

using namespace edgegate;
using namespace std::chrono_literals;

TEST_CASE("durations read a whole number and a unit") {
    CHECK(parse_duration("250ms") == 250ms);
    CHECK(parse_duration("5s") == 5s);
    CHECK(parse_duration("2m") == 2min);
    CHECK(parse_duration("1h") == 1h);
    CHECK(parse_duration("7d") == 168h);
    CHECK(parse_duration("0s") == 0ms);
    CHECK(parse_duration("0ms") == 0ms);
    CHECK(parse_duration("90s") == 90s);
}

TEST_CASE("durations refuse what they would have to guess") {
    CHECK_FALSE(parse_duration(""));
    CHECK_FALSE(parse_duration("5"));  // no unit: seconds or milliseconds?
    CHECK_FALSE(parse_duration("0"));
    CHECK_FALSE(parse_duration("5 s"));  // one token, like in the issue's examples
    CHECK_FALSE(parse_duration(" 5s"));
    CHECK_FALSE(parse_duration("5s "));
    CHECK_FALSE(parse_duration("-1s"));  // a negative wait has no meaning
    CHECK_FALSE(parse_duration("+1s"));
    CHECK_FALSE(parse_duration("1.5s"));  // write 1500ms rather than have it rounded
    CHECK_FALSE(parse_duration("10x"));
    CHECK_FALSE(parse_duration("s"));
    CHECK_FALSE(parse_duration("5S"));
    CHECK_FALSE(parse_duration("5sec"));
    CHECK_FALSE(parse_duration("1h30m"));
    CHECK_FALSE(parse_duration("5us"));
}

TEST_CASE("durations that do not fit in 64-bit milliseconds are refused, not wrapped") {
    CHECK(parse_duration("9223372036854775807ms") == duration::max());
    CHECK_FALSE(parse_duration("9223372036854775808ms"));
    CHECK_FALSE(parse_duration("106751991168d"));  // just over the limit once scaled
    CHECK(parse_duration("106751991167d") == duration(106751991167LL * 86400000LL));
    CHECK_FALSE(parse_duration("99999999999999999999999s"));
}

TEST_CASE("sizes read bytes or a whole number and a binary unit") {
    CHECK(parse_size("0") == 0u);
    CHECK(parse_size("512") == 512u);
    CHECK(parse_size("512B") == 512u);
    CHECK(parse_size("64KiB") == 64u * 1024);
    CHECK(parse_size("256MiB") == 256ull << 20);
    CHECK(parse_size("1GiB") == 1ull << 30);
    CHECK(parse_size("2TiB") == 2ull << 40);
    CHECK(parse_size("18446744073709551615") == std::numeric_limits<std::uint64_t>::max());
}

TEST_CASE("sizes refuse decimal units, fractions, signs and overflow") {
    CHECK_FALSE(parse_size(""));
    CHECK_FALSE(parse_size("10MB"));  // 10^6 or 2^20? Only the unambiguous binary units.
    CHECK_FALSE(parse_size("64K"));
    CHECK_FALSE(parse_size("64kib"));
    CHECK_FALSE(parse_size("1.5GiB"));
    CHECK_FALSE(parse_size("-1"));
    CHECK_FALSE(parse_size("64 KiB"));
    CHECK_FALSE(parse_size("KiB"));
    CHECK_FALSE(parse_size("18446744073709551616"));
    CHECK_FALSE(parse_size("16777216TiB"));
}

TEST_CASE("formatting picks the largest unit that divides exactly") {
    CHECK(format_duration(90000ms) == "90s");
    CHECK(format_duration(250ms) == "250ms");
    CHECK(format_duration(1500ms) == "1500ms");
    CHECK(format_duration(120s) == "2m");
    CHECK(format_duration(168h) == "7d");
    CHECK(format_duration(0ms) == "0s");
    CHECK(format_duration(-5s) == "-5s");
    CHECK(format_duration(duration::min()) == "-9223372036854775808ms");
    CHECK(format_size(0) == "0B");
    CHECK(format_size(512) == "512B");
    CHECK(format_size(1536) == "1536B");
    CHECK(format_size(64ull << 10) == "64KiB");
    CHECK(format_size(256ull << 20) == "256MiB");
    CHECK(format_size(3ull << 30) == "3GiB");
    CHECK(format_size(1ull << 40) == "1TiB");
    CHECK(format_size(1ull << 41) == "2TiB");
}

TEST_CASE("format and parse round-trip") {
    for (const duration d :
         std::vector<duration>{0ms, 1ms, 999ms, 1s, 61s, 59min, 25h, 7 * 24h, duration::max()}) {
        CAPTURE(d.count());
        CHECK(parse_duration(format_duration(d)) == d);
    }
    for (const std::uint64_t n :
         std::vector<std::uint64_t>{0, 1, 1023, 1024, 1025, 3ull << 20, 5ull << 40,
                                    std::numeric_limits<std::uint64_t>::max()}) {
        CAPTURE(n);
        CHECK(parse_size(format_size(n)) == n);
    }
    for (const char* text : {"250ms", "5s", "2m", "1h", "7d"}) {
        CHECK(format_duration(*parse_duration(text)) == text);
    }
    for (const char* text : {"64KiB", "256MiB", "1GiB"}) {
        CHECK(format_size(*parse_size(text)) == text);
    }
}

TEST_CASE("names are non-empty and safe as an MQTT topic level") {
    CHECK(is_valid_name("boiler"));
    CHECK(is_valid_name("Boiler_01.temp-2"));
    CHECK(is_valid_name("0"));
    CHECK_FALSE(is_valid_name(""));
    CHECK_FALSE(is_valid_name("boiler room"));
    CHECK_FALSE(is_valid_name("a/b"));
    CHECK_FALSE(is_valid_name("a+"));
    CHECK_FALSE(is_valid_name("#"));
    CHECK_FALSE(is_valid_name("temp\xc2\xb0"));  // non-ASCII
    CHECK_FALSE(is_valid_name(std::string_view("a\0b", 3)));
}

TEST_CASE("nearest suggests a likely typo and nothing else") {
    const std::vector<std::string> keys{"path",    "durability",      "max_bytes",
                                        "max_age", "commit_interval", "commit_batch"};
    CHECK(nearest("max_byte", keys) == "max_bytes");
    CHECK(nearest("durabilty", keys) == "durability");
    CHECK(nearest("duarbility", keys) == "durability");  // a swap is one edit
    CHECK(nearest("Path", keys) == "path");              // case is ignored
    CHECK(nearest("comit_batch", keys) == "commit_batch");
    CHECK(nearest("colour", keys) == std::nullopt);
    CHECK(nearest("", keys) == std::nullopt);
    CHECK(nearest("x", keys) == std::nullopt);

    CHECK(nearest("ful", {"full", "normal"}) == "full");
    CHECK(nearest("nomal", {"full", "normal"}) == "normal");
    CHECK(nearest("sinus", {"sine", "ramp", "square"}) == "sine");
    CHECK(nearest("qso", {"uri", "qos"}) == "qos");
    CHECK(nearest("ab", {"id"}) == std::nullopt);  // two edits of two letters is another word
    CHECK(nearest("3", {"3.1.1", "5"}) == std::nullopt);
    CHECK(nearest("warning", {"trace", "debug", "info", "warn", "error"}) == std::nullopt);
    CHECK(nearest("anything", {}) == std::nullopt);
    // Ties go to the earlier candidate.
    CHECK(nearest("bat", {"cat", "hat"}) == "cat");
}

TEST_CASE("user text in a message is quoted and stays on one line") {
    CHECK(quote("ful") == "'ful'");
    CHECK(quote("") == "''");
    CHECK(quote("one\ntwo") == "'one...'");
    CHECK(quote(std::string(80, 'x')) == "'" + std::string(80, 'x') + "'");
    CHECK(quote(std::string(81, 'x')) == "'" + std::string(80, 'x') + "...'");
    CHECK(describe_value(YAML::Load("a: 1")) == "a mapping");
    CHECK(describe_value(YAML::Load("[1]")) == "a sequence");
    CHECK(describe_value(YAML::Load("~")) == "nothing");
    CHECK(describe_value(YAML::Node(YAML::NodeType::Undefined)) == "nothing");
    CHECK(describe_value(YAML::Load("abc")) == "'abc'");
}

TEST_CASE("a configuration error prints as FILE:LINE:COL: key.path: message, 1-based") {
    diagnostics diag("gw.yaml");
    CHECK(diag.ok());
    diag.error(3, 14, "journal.durability", "unknown value 'ful', did you mean 'full'?");
    diag.error(0, 0, "", "invalid YAML: end of map not found");
    diag.error(-1, -1, "devices", "expected a sequence, got a mapping");
    REQUIRE(diag.errors().size() == 3);
    CHECK_FALSE(diag.ok());
    CHECK(diag.errors()[0].line == 4);
    CHECK(diag.errors()[0].column == 15);
    CHECK(diag.errors()[0].to_string() ==
          "gw.yaml:4:15: journal.durability: unknown value 'ful', did you mean 'full'?");
    CHECK(diag.errors()[1].to_string() == "gw.yaml:1:1: invalid YAML: end of map not found");
    CHECK(diag.errors()[2].to_string() == "gw.yaml: devices: expected a sequence, got a mapping");

    const config_exception e(diag.errors());
    CHECK(e.errors().size() == 3);
    CHECK(std::string(e.what()) ==
          "gw.yaml:4:15: journal.durability: unknown value 'ful', did you mean 'full'?\n"
          "gw.yaml:1:1: invalid YAML: end of map not found\n"
          "gw.yaml: devices: expected a sequence, got a mapping");
}
