// The engine's interface beyond the golden cases: the alert states it hands to the journal,
// restore, the index, and that time only comes from its inputs.
#include <doctest/doctest.h>

#include "rules/rule_engine.hpp"
#include "rules/rule_parser.hpp"

using namespace edgegate;
using namespace std::chrono_literals;

namespace {

const timestamp t0 = from_unix_ms(1767225600000);

std::vector<rule> rules_of(const std::string& text) {
    diagnostics diag("t.yaml");
    auto rules = parse_rules(YAML::Load(text)["rules"], "rules", diag, text);
    REQUIRE(diag.ok());
    return rules;
}

reading at(timestamp t, std::string device, std::string point, value v, quality q = quality::good) {
    return reading{std::move(device), std::move(point), std::move(v), q, t, ""};
}

const std::string hot =
    "rules:\n  - { name: hot, match: boiler/temperature, above: 90, severity: critical }\n";

}  // namespace

TEST_CASE("alert states for the journal: a raise, a new peak, a clear; nothing without change") {
    rule_engine e(rules_of(hot));
    CHECK(e.take_changes().empty());
    CHECK(e.on_reading(at(t0, "boiler", "temperature", 95.0)).size() == 1);
    auto changes = e.take_changes();
    REQUIRE(changes.size() == 1);
    CHECK(changes[0].active);
    CHECK(changes[0].state.rule == "hot");
    CHECK(changes[0].state.device == "boiler");
    CHECK(changes[0].state.point == "temperature");
    CHECK(changes[0].state.severity == severity::critical);
    CHECK(changes[0].state.since == t0);
    CHECK(changes[0].state.announced == t0);
    CHECK(changes[0].state.peak == 95.0);
    CHECK(e.take_changes().empty());

    CHECK(e.on_reading(at(t0 + 1s, "boiler", "temperature", 93.0)).empty());
    CHECK(e.take_changes().empty());  // not a new peak
    CHECK(e.on_reading(at(t0 + 2s, "boiler", "temperature", std::int64_t{97})).empty());
    changes = e.take_changes();
    REQUIRE(changes.size() == 1);
    CHECK(changes[0].state.peak == 97.0);

    const auto cleared = e.on_reading(at(t0 + 3s, "boiler", "temperature", 80.0));
    REQUIRE(cleared.size() == 1);
    CHECK(cleared[0].state == alert_state::cleared);
    CHECK(cleared[0].peak == value(std::int64_t{97}));
    CHECK(cleared[0].active_for == 3s);
    changes = e.take_changes();
    REQUIRE(changes.size() == 1);
    CHECK_FALSE(changes[0].active);
}

TEST_CASE("restore: active again without an event; an alert whose rule is gone is cleared") {
    rule_engine e(rules_of(hot));
    active_alert kept{"hot", "boiler", "temperature", severity::critical, t0, t0, 96.0};
    active_alert gone{"cold", "coldroom", "temperature", severity::info, t0, t0, std::nullopt};
    active_alert moved{"hot", "boiler2", "temperature", severity::critical, t0, t0, 91.0};
    const auto out = e.restore({gone, kept, moved}, t0 + 1min);
    REQUIRE(out.size() == 2);
    CHECK(out[0].rule == "cold");
    CHECK(out[0].state == alert_state::cleared);
    CHECK(out[0].severity == severity::info);
    CHECK_FALSE(out[0].measured);
    CHECK(std::holds_alternative<std::monostate>(out[0].threshold));
    CHECK(out[0].active_for == 1min);
    CHECK(out[1].device == "boiler2");
    CHECK(out[1].peak == value(91.0));
    auto changes = e.take_changes();
    REQUIRE(changes.size() == 2);
    CHECK_FALSE(changes[0].active);
    CHECK_FALSE(changes[1].active);
    // Still above: no second raise. Back down: the clear spans the restart.
    CHECK(e.on_reading(at(t0 + 2min, "boiler", "temperature", 95.0)).empty());
    const auto cleared = e.on_reading(at(t0 + 3min, "boiler", "temperature", 50.0));
    REQUIRE(cleared.size() == 1);
    CHECK(cleared[0].since == t0);
    CHECK(cleared[0].peak == value(96.0));
    CHECK(cleared[0].active_for == 3min);
}

TEST_CASE("a reading costs the rules that match it: 1,000 exact rules and a glob") {
    std::string text = "rules:\n";
    for (int i = 0; i < 1000; ++i) {
        text += "  - { name: r" + std::to_string(i) + ", match: dev" + std::to_string(i) +
                "/temperature, above: " + std::to_string(i) + " }\n";
    }
    text += "  - { name: any_pressure, match: \"*/pressure\", below: 1 }\n";
    rule_engine e(rules_of(text));
    const auto a = e.on_reading(at(t0, "dev500", "temperature", 501.0));
    REQUIRE(a.size() == 1);
    CHECK(a[0].rule == "r500");
    CHECK(e.on_reading(at(t0, "dev500", "humidity", 5000.0)).empty());
    CHECK(e.on_reading(at(t0, "unknown", "temperature", 5000.0)).empty());
    const auto p = e.on_reading(at(t0, "dev7", "pressure", 0.5));
    REQUIRE(p.size() == 1);
    CHECK(p[0].rule == "any_pressure");
    CHECK(p[0].device == "dev7");
}

TEST_CASE("alerts of one reading come in configuration order, globs and exact names mixed") {
    rule_engine e(
        rules_of("rules:\n"
                 "  - { name: a_glob, match: \"*/temperature\", above: 10 }\n"
                 "  - { name: b_exact, match: boiler/temperature, above: 20 }\n"
                 "  - { name: c_glob, match: \"boiler/*\", above: 30 }\n"));
    const auto out = e.on_reading(at(t0, "boiler", "temperature", 35.0));
    REQUIRE(out.size() == 3);
    CHECK(out[0].rule == "a_glob");
    CHECK(out[1].rule == "b_exact");
    CHECK(out[2].rule == "c_glob");
}

TEST_CASE("time is what the inputs say: any epoch, and a clock stepping back is no negative span") {
    rule_engine e(
        rules_of("rules:\n  - { name: s, match: d/p, stale: 10s }\n"
                 "  - { name: h, match: d/q, above: 1, for: 5s }\n"));
    const timestamp epoch{};
    CHECK(e.on_tick(epoch).empty());
    const auto raised = e.on_tick(epoch + 10s);
    REQUIRE(raised.size() == 1);
    CHECK(format_iso8601(raised[0].ts) == "1970-01-01T00:00:10.000Z");
    CHECK(e.on_reading(at(epoch + 20s, "d", "q", 2.0)).empty());
    CHECK(e.on_reading(at(epoch + 15s, "d", "q", 2.0)).empty());
    CHECK(e.on_tick(epoch + 24s).empty());
    const auto held = e.on_tick(epoch + 25s);
    REQUIRE(held.size() == 1);
    CHECK(held[0].rule == "h");
    const auto cleared = e.on_reading(at(epoch + 5s, "d", "p", 1.0));
    REQUIRE(cleared.size() == 1);
    CHECK(cleared[0].active_for == 0s);
}
