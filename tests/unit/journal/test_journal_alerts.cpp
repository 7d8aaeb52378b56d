// Alert state: the rules engine's active alerts live in the journal (schema version 2), change
// in the transaction of their events, survive a reopen, and are never touched by retention.

#include <doctest/doctest.h>

#include "journal_fixture.hpp"

namespace edgegate {
namespace {

using test::temp_dir;

const timestamp t0 = from_unix_ms(1767225600000);

active_alert sample(std::string rule, std::string device, std::string point) {
    active_alert a;
    a.rule = std::move(rule);
    a.device = std::move(device);
    a.point = std::move(point);
    a.severity = severity::critical;
    a.since = t0;
    a.announced = t0 + std::chrono::minutes(15);
    a.peak = 97.125;
    return a;
}

void check_same(const active_alert& got, const active_alert& want) {
    CHECK(got.rule == want.rule);
    CHECK(got.device == want.device);
    CHECK(got.point == want.point);
    CHECK(got.severity == want.severity);
    CHECK(got.since == want.since);
    CHECK(got.announced == want.announced);
    CHECK(got.peak == want.peak);
}

TEST_CASE("alert states are saved with their events, replaced, removed, and survive a reopen") {
    temp_dir dir;
    const std::string path = dir.file("journal.db");
    const auto hot = sample("boiler_overheat", "boiler", "temperature");
    auto door = sample("door_open", "coldroom", "door_open");
    door.severity = severity::info;
    door.peak.reset();
    {
        journal_writer w(test::options(path));
        CHECK(w.load_alerts().empty());
        w.begin();
        w.append(test::make_event(lane::high, "alerts/boiler_overheat/boiler/temperature"));
        w.save_alert(hot);
        w.save_alert(door);
        w.commit();
    }
    journal_writer w(test::options(path));
    auto saved = w.load_alerts();
    REQUIRE(saved.size() == 2);
    check_same(saved[0], hot);  // ordered by rule
    check_same(saved[1], door);

    auto repeated = hot;
    repeated.announced = t0 + std::chrono::minutes(30);
    repeated.peak = 99.5;
    w.begin();
    w.save_alert(repeated);
    w.remove_alert("door_open", "coldroom", "door_open");
    w.remove_alert("no_such_rule", "boiler", "temperature");
    w.commit();
    saved = w.load_alerts();
    REQUIRE(saved.size() == 1);
    check_same(saved[0], repeated);
}

TEST_CASE("an alert state is stored only if its transaction commits") {
    temp_dir dir;
    const std::string path = dir.file("journal.db");
    {
        journal_writer w(test::options(path));
        w.begin();
        w.append(test::make_event(lane::high, "alerts/r/d/p"));
        w.save_alert(sample("r", "d", "p"));
        // Closed with the transaction open, as in a crash: the event and the state go together.
    }
    journal_writer w(test::options(path));
    CHECK(w.load_alerts().empty());
    CHECK(w.committed_seq() == 0);

    CHECK_THROWS_AS(w.save_alert(sample("r", "d", "p")), std::logic_error);
    CHECK_THROWS_AS(w.remove_alert("r", "d", "p"), std::logic_error);
    w.begin();
    CHECK_THROWS_AS(w.load_alerts(), std::logic_error);
    w.commit();
}

TEST_CASE("retention never removes alert states, even from a journal it empties") {
    temp_dir dir;
    const std::string path = dir.file("journal.db");
    journal_options o = test::options(path);
    o.max_bytes = 1;
    journal_writer w(o);
    w.begin();
    w.append(test::make_event(lane::high, "alerts/boiler_overheat/boiler/temperature"));
    w.save_alert(sample("boiler_overheat", "boiler", "temperature"));
    w.commit();
    test::append_batch(w, lane::normal, 10);
    CHECK(w.enforce_retention(wall_clock::now()) == 11);
    CHECK(test::raw_int(path, "SELECT count(*) FROM events") == 0);
    REQUIRE(w.load_alerts().size() == 1);
}

TEST_CASE("a version 1 journal is migrated to version 2 with its events and cursors intact") {
    temp_dir dir;
    const std::string path = dir.file("journal.db");
    {
        journal_writer w(test::options(path));
        test::append_batch(w, lane::normal, 5);
        w.save_cursor(forwarder_cursor, lane::normal, 3);
    }
    // What a journal written by the previous release looks like.
    test::raw_exec(
        path, "DROP TABLE alert_state; UPDATE meta SET value = 1 WHERE key = 'schema_version'");
    CHECK_THROWS_AS(journal_reader{path}, journal_error);
    {
        journal_writer w(test::options(path));
        CHECK(w.load_alerts().empty());
        CHECK(w.committed_seq() == 5);
    }
    journal_reader r(path);
    const auto st = r.read_stats();
    CHECK(st.schema_version == 2);
    CHECK(st.lanes[static_cast<int>(lane::normal)].events == 5);
    CHECK(r.cursor(forwarder_cursor, lane::normal) == 3);
}

}  // namespace
}  // namespace edgegate
