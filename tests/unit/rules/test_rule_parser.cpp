// What the parser makes of valid rules (every invalid rule is a golden case in
// tests/fixtures/rules, with its exact message).
#include <doctest/doctest.h>

#include "rules/rule_parser.hpp"

using namespace edgegate;
using namespace std::chrono_literals;

namespace {

struct parsed {
    std::vector<rule> rules;
    std::vector<std::string> errors;
};

parsed parse(const std::string& text, const std::vector<std::string>* devices = nullptr,
             bool with_source = true) {
    diagnostics diag("t.yaml");
    parsed p;
    p.rules =
        parse_rules(YAML::Load(text)["rules"], "rules", diag, with_source ? text : "", devices);
    for (const auto& e : diag.errors()) p.errors.push_back(e.to_string());
    return p;
}

rule one(const std::string& body) {
    const auto p = parse("rules:\n  - name: r\n    match: d/p\n" + body);
    INFO(body);
    REQUIRE(p.errors == std::vector<std::string>{});
    REQUIRE(p.rules.size() == 1);
    return p.rules[0];
}

}  // namespace

TEST_CASE("defaults: warning, no hold times, no repeat, a message naming the condition") {
    const rule r = one("    above: 90\n");
    CHECK(r.name == "r");
    CHECK(r.device_pattern == "d");
    CHECK(r.point_pattern == "p");
    CHECK(r.is_exact());
    CHECK_FALSE(r.is_timed());
    CHECK(r.severity == severity::warning);
    CHECK(r.hold == 0ms);
    CHECK(r.clear_hold == 0ms);
    CHECK(r.repeat == 0ms);
    CHECK(r.message.text() ==
          "{rule} {state}: {device}/{point} is {value}{unit} (above {threshold}{unit})");
    CHECK(std::get<value>(r.when.threshold) == value(std::int64_t{90}));
    CHECK(one("    rate_above: 0.5\n").when.window == 1min);
    CHECK(one("    stale: 30s\n").is_timed());
    CHECK(one("    stale: 1500ms\n").when.threshold == alert_threshold(value(1.5)));
    CHECK(one("    stale: 2m\n").when.threshold == alert_threshold(value(std::int64_t{120})));
    CHECK(parse("rules:\n").rules.empty());
    CHECK(parse("rules: []\n").rules.empty());
}

TEST_CASE(
    "hysteresis becomes a clear level: strict for clear_below/above, inclusive for a deadband") {
    auto r = one("    above: 90\n");
    CHECK(r.when.clears(90));
    CHECK_FALSE(r.when.raises(90));
    r = one("    above: 90\n    clear_below: 85\n");
    CHECK(r.when.clear_level == 85);
    CHECK_FALSE(r.when.clears(85));
    CHECK(r.when.clears(84.99));
    r = one("    above: 90\n    deadband: 2\n");
    CHECK(r.when.clears(88));
    CHECK_FALSE(r.when.clears(88.01));
    r = one("    below: 0\n    clear_above: 1.5\n");
    CHECK_FALSE(r.when.clears(1.5));
    CHECK(r.when.clears(1.51));
    r = one("    rate_below: -2\n    deadband: 0.5\n    window: 10s\n");
    CHECK(r.when.clears(-1.5));
    CHECK_FALSE(r.when.clears(-1.6));
    CHECK(r.when.window == 10s);
    r = one("    outside: [2, 8]\n    deadband: 3\n");
    CHECK(r.when.clears(5));
    CHECK_FALSE(r.when.clears(4.9));
    r = one("    inside: [2, 8]\n    deadband: 1\n");
    CHECK(r.when.raises(2));
    CHECK(r.when.raises(8));
    CHECK_FALSE(r.when.clears(8.5));
    CHECK(r.when.clears(9.5));
    CHECK(std::get<value_band>(r.when.threshold).hi == value(std::int64_t{8}));
}

TEST_CASE("equals takes true/false, integers, reals and text; quotes make text") {
    CHECK(one("    equals: true\n").when.target == value(true));
    CHECK(one("    equals: 3\n").when.target == value(std::int64_t{3}));
    CHECK(one("    equals: 2.5\n").when.target == value(2.5));
    CHECK(one("    equals: fault\n").when.target == value(std::string("fault")));
    CHECK(one("    equals: \"true\"\n").when.target == value(std::string("true")));
    CHECK(one("    equals: '42'\n").when.target == value(std::string("42")));
    const condition c = one("    equals: 3\n").when;
    CHECK(c.matches(value(std::int64_t{3})));
    CHECK(c.matches(value(std::uint64_t{3})));
    CHECK(c.matches(value(3.0)));
    CHECK_FALSE(c.matches(value(true)));
    CHECK_FALSE(c.matches(value(std::string("3"))));
}

TEST_CASE("globs and timing keys") {
    const rule r =
        one("    stale: 30s\n    for: 10s\n    clear_for: 1m\n    repeat: 15m\n"
            "    severity: info\n");
    CHECK(r.hold == 10s);
    CHECK(r.clear_hold == 1min);
    CHECK(r.repeat == 15min);
    CHECK(r.severity == severity::info);
    const auto p = parse("rules:\n  - { name: g, match: \"*/temp*\", below: -40 }\n");
    REQUIRE(p.rules.size() == 1);
    CHECK_FALSE(p.rules[0].is_exact());
    CHECK(p.rules[0].matches("coldroom", "temperature"));
    CHECK_FALSE(p.rules[0].matches("coldroom", "pressure"));
}

TEST_CASE("with the configured devices, a match must name one of them") {
    const std::vector<std::string> devices{"boiler", "coldroom"};
    const std::string text =
        "rules:\n"
        "  - { name: a, match: boiler/temperature, above: 1 }\n"
        "  - { name: b, match: \"cold*/temperature\", above: 1 }\n"
        "  - { name: c, match: \"*/x\", above: 1 }\n"
        "  - { name: d, match: boilr/temperature, above: 1 }\n"
        "  - { name: e, match: \"pump*/x\", above: 1 }\n"
        "  - { name: f, match: meter/x, above: 1 }\n";
    CHECK(parse(text, &devices).errors ==
          std::vector<std::string>{
              "t.yaml:5:23: rules[3].match: no device named 'boilr', did you mean 'boiler'?",
              "t.yaml:6:23: rules[4].match: 'pump*' matches no device",
              "t.yaml:7:23: rules[5].match: no device named 'meter'",
          });
    CHECK(parse(text).errors.empty());
}

TEST_CASE("without the source text a bad placeholder is placed at the message") {
    const std::string text =
        "rules:\n  - name: r\n    match: d/p\n    above: 1\n"
        "    message: \"at {valeu}\"\n";
    CHECK(parse(text, nullptr, false).errors ==
          std::vector<std::string>{"t.yaml:5:14: rules[0].message: unknown placeholder "
                                   "'{valeu}', did you mean '{value}'?"});
    CHECK(parse(text).errors ==
          std::vector<std::string>{"t.yaml:5:18: rules[0].message: unknown placeholder "
                                   "'{valeu}', did you mean '{value}'?"});
}
