// The pipeline with rules: alerts and their states commit with the reading that made them,
// the timer drives `stale`, and a restart restores the active alerts from the journal.
#include <doctest/doctest.h>

#include <atomic>

#include "gateway/pipeline/pipeline.hpp"
#include "rules/rule_parser.hpp"
#include "tests/helpers/temp_dir.hpp"
#include "tests/helpers/wait.hpp"

using namespace edgegate;
using namespace std::chrono_literals;

namespace {

struct fixture {
    test::temp_dir dir;
    journal_section cfg;
    fixture() { cfg.path = dir.file("journal.db"); }
    journal_options options() const { return {cfg.path, false, cfg.max_bytes, cfg.max_age}; }
};

std::vector<rule> rules_of(const std::string& text) {
    diagnostics diag("t.yaml");
    auto rules = parse_rules(YAML::Load(text)["rules"], "rules", diag, text);
    REQUIRE(diag.ok());
    return rules;
}

const std::string overheat =
    "rules:\n  - { name: hot, match: boiler/temperature, above: 90, clear_below: 85 }\n";

reading temperature(double v) {
    return reading{"boiler", "temperature", v, quality::good, wall_clock::now(), "°C"};
}

std::vector<stored_event> high_lane(const std::string& path) {
    journal_reader reader(path);
    return reader.read_after(lane::high, 0, 100);
}

// Runs a pipeline over `readings`, waiting for each to be committed before the next.
void run(fixture& f, const std::string& rules, const std::vector<double>& readings) {
    journal_writer writer(f.options());
    ingest_channel ch(16);
    ack_mailbox acks;
    pipeline p(
        f.cfg, writer, ch, acks, [] {}, rules_of(rules));
    p.start("test");
    for (const double v : readings) {
        const std::int64_t before = writer.committed_seq();
        REQUIRE(ch.push(temperature(v)));
        REQUIRE(test::wait_until([&] { return writer.committed_seq() > before; }, 5s));
    }
    ch.close();
    p.join();
}

}  // namespace

TEST_CASE("an alert and its state commit in the transaction of the reading that raised it") {
    fixture f;
    journal_writer writer(f.options());
    std::atomic<int> commits{0};
    writer.on_commit([&] { ++commits; });
    ingest_channel ch(16);
    ack_mailbox acks;
    pipeline p(
        f.cfg, writer, ch, acks, [] {}, rules_of(overheat));
    p.start("test");
    REQUIRE(test::wait_until([&] { return writer.committed_seq() == 1; }, 5s));
    REQUIRE(ch.push(temperature(95)));
    REQUIRE(test::wait_until([&] { return writer.committed_seq() == 3; }, 5s));
    CHECK(commits == 2);
    ch.close();
    p.join();

    const auto high = high_lane(f.cfg.path);
    REQUIRE(high.size() == 2);
    CHECK(high[1].seq == 3);
    CHECK(high[1].ev.kind == event_kind::alert);
    CHECK(high[1].ev.retain);
    CHECK(high[1].ev.topic == "alerts/hot/boiler/temperature");
    CHECK(high[1].ev.body.find(R"("state":"raised")") != std::string::npos);
    journal_reader reader(f.cfg.path);
    CHECK(reader.read_after(lane::normal, 0, 10).size() == 1);
    const auto saved = writer.load_alerts();
    REQUIRE(saved.size() == 1);
    CHECK(saved[0].rule == "hot");
    CHECK(saved[0].peak == 95.0);
}

TEST_CASE("after a restart an active alert is not raised again, and clears with its first since") {
    fixture f;
    run(f, overheat, {95, 97});
    run(f, overheat, {96, 80});
    const auto high = high_lane(f.cfg.path);
    // started, raised, started, cleared.
    REQUIRE(high.size() == 4);
    CHECK(high[1].ev.body.find(R"("state":"raised")") != std::string::npos);
    CHECK(high[2].ev.body.find(R"("event":"started")") != std::string::npos);
    const std::string& cleared = high[3].ev.body;
    CHECK(cleared.find(R"("state":"cleared")") != std::string::npos);
    CHECK(cleared.find(R"("peak":97.0)") != std::string::npos);
    const auto since_of = [](const std::string& body) {
        const auto at = body.find(R"("since":)");
        return body.substr(at, 34);
    };
    CHECK(since_of(cleared) == since_of(high[1].ev.body));
    journal_writer writer(f.options());
    CHECK(writer.load_alerts().empty());
}

TEST_CASE("an alert whose rule was removed is cleared in the first commit after the restart") {
    fixture f;
    run(f, overheat, {95});
    run(f, "rules: []\n", {});
    const auto high = high_lane(f.cfg.path);
    REQUIRE(high.size() == 4);
    CHECK(high[2].ev.body.find(R"("event":"started")") != std::string::npos);
    CHECK(high[3].ev.topic == "alerts/hot/boiler/temperature");
    CHECK(high[3].ev.body.find(R"("state":"cleared","severity":"warning","value":null)") !=
          std::string::npos);
    CHECK(high[3].seq == high[2].seq + 1);
    journal_writer writer(f.options());
    CHECK(writer.load_alerts().empty());
}

TEST_CASE("the pipeline's timer drives stale for a point that never delivers") {
    fixture f;
    journal_writer writer(f.options());
    ingest_channel ch(16);
    ack_mailbox acks;
    pipeline p(
        f.cfg, writer, ch, acks, [] {},
        rules_of("rules:\n  - { name: silent, match: meter/energy, stale: 300ms }\n"));
    p.start("test");
    REQUIRE(test::wait_until([&] { return writer.committed_seq() >= 2; }, 5s));
    ch.close();
    p.join();
    const auto high = high_lane(f.cfg.path);
    REQUIRE(high.size() == 2);
    CHECK(high[1].ev.topic == "alerts/silent/meter/energy");
    CHECK(high[1].ev.body.find(R"("state":"raised")") != std::string::npos);
}

TEST_CASE("replaced rules keep the alerts of rules that still exist and clear the others") {
    fixture f;
    journal_writer writer(f.options());
    ingest_channel ch(16);
    ack_mailbox acks;
    const std::string two_rules =
        overheat + "  - { name: warm, match: boiler/temperature, above: 50, clear_below: 40 }\n";
    pipeline p(
        f.cfg, writer, ch, acks, [] {}, rules_of(two_rules));
    p.start("test");
    REQUIRE(ch.push(temperature(95)));
    // started, the reading, two raises.
    REQUIRE(test::wait_until([&] { return writer.committed_seq() == 4; }, 5s));
    // `warm` is gone, `hot` stays, `cold` is new: one clear, nothing raised again.
    p.replace_rules(rules_of(
        overheat + "  - { name: cold, match: boiler/temperature, below: 5, clear_above: 10 }\n"));
    REQUIRE(test::wait_until([&] { return writer.committed_seq() == 5; }, 5s));
    REQUIRE(ch.push(temperature(80)));
    REQUIRE(ch.push(temperature(2)));
    // The readings, `hot` cleared (below 85), `cold` raised.
    REQUIRE(test::wait_until([&] { return writer.committed_seq() == 9; }, 5s));
    ch.close();
    p.join();

    std::vector<std::string> alerts;
    for (const auto& se : high_lane(f.cfg.path)) {
        if (se.ev.kind != event_kind::alert) continue;
        const bool raised = se.ev.body.find(R"("state":"raised")") != std::string::npos;
        alerts.push_back(se.ev.topic.substr(7, se.ev.topic.find('/', 7) - 7) +
                         (raised ? " raised" : " cleared"));
    }
    CHECK(alerts == std::vector<std::string>{"hot raised", "warm raised", "warm cleared",
                                             "hot cleared", "cold raised"});
    const auto saved = writer.load_alerts();
    REQUIRE(saved.size() == 1);
    CHECK(saved[0].rule == "cold");
}
