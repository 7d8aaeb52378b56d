// The history query behind `edgegate events` and `edgegate replay`: filters by time, kind,
// device and point over events encoded as the gateway encodes them, in seq order across lanes,
// page by page.

#include <doctest/doctest.h>

#include <set>
#include <stdexcept>

#include "gateway/core/payload.hpp"
#include "journal_fixture.hpp"

namespace edgegate {
namespace {

using test::options;
using test::temp_dir;

const timestamp t0 = from_unix_ms(1'790'000'000'000);

timestamp at(int seconds) { return t0 + std::chrono::seconds(seconds); }

reading make_reading(std::string device, std::string point, int seconds) {
    reading r;
    r.device = std::move(device);
    r.point = std::move(point);
    r.value = std::int64_t{seconds};
    r.ts = at(seconds);
    return r;
}

alert make_alert(std::string rule, std::string device, std::string point, int seconds) {
    alert a;
    a.rule = std::move(rule);
    a.device = std::move(device);
    a.point = std::move(point);
    a.ts = at(seconds);
    a.since = a.ts;
    return a;
}

command_outcome make_command(std::string device, std::string point, int seconds) {
    command_outcome c;
    c.device = std::move(device);
    c.point = std::move(point);
    c.requested = "1";
    c.result.ok = true;
    c.ts = at(seconds);
    return c;
}

// One of each kind of event, as the pipeline makes them, with the seqs they got. The names are
// chosen so that a sloppy match would confuse them: a rule named like a device, a point named
// like a device.
struct history_journal {
    temp_dir dir;
    std::string path = dir.file("journal.db");
    std::int64_t started = 0, boiler_temp = 0, boiler_pump = 0, tank_boiler = 0, alert_boiler = 0,
                 alert_tank = 0, boiler_offline = 0, command_result = 0, command_audit = 0,
                 dropped = 0;

    history_journal() {
        journal_writer w(options(path));
        w.begin();
        started = w.append(make_status_event("started", at(0), "\"version\":\"1\""));
        boiler_temp = w.append(make_reading_event(make_reading("boiler", "temp", 1)));
        boiler_pump = w.append(make_reading_event(make_reading("boiler", "pump", 2)));
        tank_boiler = w.append(make_reading_event(make_reading("tank", "boiler", 3)));
        alert_boiler = w.append(make_alert_event(make_alert("tank", "boiler", "temp", 4)));
        alert_tank = w.append(make_alert_event(make_alert("boiler", "tank", "level", 5)));
        device_status offline;
        offline.device = "boiler";
        offline.error = "timeout";
        offline.ts = at(6);
        boiler_offline = w.append(make_device_event(offline));
        const auto command = make_command_events(make_command("boiler", "pump", 7));
        command_result = w.append(command[0]);
        command_audit = w.append(command[1]);
        dropped = w.append(make_status_event("dropped", at(8), "\"count\":3"));
        w.commit();
    }
};

std::vector<std::int64_t> seqs(journal_reader& r, event_filter f, int page = 100) {
    event_selection s(r, std::move(f));
    std::vector<std::int64_t> out;
    while (true) {
        const auto events = s.next(page);
        if (events.empty()) break;
        CHECK(static_cast<int>(events.size()) <= page);
        for (const auto& se : events) out.push_back(se.seq);
    }
    return out;
}

TEST_CASE("an empty filter selects every event in seq order across both lanes") {
    history_journal j;
    journal_reader r(j.path);
    const auto all = seqs(r, {});
    REQUIRE(all.size() == 10);
    CHECK(all.front() == j.started);
    CHECK(all.back() == j.dropped);
    CHECK(std::is_sorted(all.begin(), all.end()));

    event_selection s(r, {});
    const auto first = s.next(3);
    REQUIRE(first.size() == 3);
    // The stored event comes back whole, with its lane.
    CHECK(first[0].ev.kind == event_kind::status);
    CHECK(first[0].ev.lane == lane::high);
    CHECK(first[1].ev.kind == event_kind::reading);
    CHECK(first[1].ev.lane == lane::normal);
    CHECK(first[1].ev.topic == "data/boiler/temp");
    CHECK(first[1].ev.ts == at(1));
    CHECK(first[1].ev.body.find("\"device\":\"boiler\"") != std::string::npos);
}

TEST_CASE("kind selects readings alerts or status events") {
    history_journal j;
    journal_reader r(j.path);
    event_filter f;
    f.kind = event_kind::reading;
    CHECK(seqs(r, f) == std::vector{j.boiler_temp, j.boiler_pump, j.tank_boiler});
    f.kind = event_kind::alert;
    CHECK(seqs(r, f) == std::vector{j.alert_boiler, j.alert_tank});
    f.kind = event_kind::status;
    CHECK(seqs(r, f) ==
          std::vector{j.started, j.boiler_offline, j.command_result, j.command_audit, j.dropped});
}

TEST_CASE("device matches readings alerts device events command results and audit records") {
    history_journal j;
    journal_reader r(j.path);
    event_filter f;
    f.device = "boiler";
    // Not the reading of tank/boiler, not the alert of rule "boiler" on tank/level, not the
    // gateway's own events.
    CHECK(seqs(r, f) == std::vector{j.boiler_temp, j.boiler_pump, j.alert_boiler, j.boiler_offline,
                                    j.command_result, j.command_audit});
    f.device = "tank";
    CHECK(seqs(r, f) == std::vector{j.tank_boiler, j.alert_tank});
    f.device = "nothing";
    CHECK(seqs(r, f).empty());
}

TEST_CASE("point matches readings alerts and commands but not device events") {
    history_journal j;
    journal_reader r(j.path);
    event_filter f;
    f.point = "pump";
    CHECK(seqs(r, f) == std::vector{j.boiler_pump, j.command_result, j.command_audit});
    f.point = "boiler";
    CHECK(seqs(r, f) == std::vector{j.tank_boiler});
    f.point = "temp";
    f.device = "boiler";
    CHECK(seqs(r, f) == std::vector{j.boiler_temp, j.alert_boiler});
    f.kind = event_kind::alert;
    CHECK(seqs(r, f) == std::vector{j.alert_boiler});
}

TEST_CASE("since is inclusive and until exclusive on the event's source time") {
    history_journal j;
    journal_reader r(j.path);
    event_filter f;
    f.since = at(2);
    f.until = at(5);
    CHECK(seqs(r, f) == std::vector{j.boiler_pump, j.tank_boiler, j.alert_boiler});
    f.until.reset();
    CHECK(seqs(r, f).size() == 8);
    f.since.reset();
    f.until = at(1);
    CHECK(seqs(r, f) == std::vector{j.started});
}

TEST_CASE("names that are not valid device or point names are refused") {
    history_journal j;
    journal_reader r(j.path);
    event_filter f;
    f.device = "*";
    CHECK_THROWS_AS(event_selection(r, f), std::invalid_argument);
    f.device.reset();
    f.point = "a/b";
    CHECK_THROWS_AS(event_selection(r, f), std::invalid_argument);
}

TEST_CASE("a selection pages through many events and stops at what was committed at its start") {
    temp_dir dir;
    const std::string path = dir.file("journal.db");
    journal_writer w(options(path));
    // More rows than one statement scans, with the matches far apart.
    constexpr int rows = 50'000;
    w.begin();
    for (int i = 0; i < rows; ++i) {
        w.append(make_reading_event(make_reading(i % 10'000 == 0 ? "rare" : "common", "p", i)));
    }
    w.commit();

    journal_reader r(path);
    event_filter rare;
    rare.device = "rare";
    const auto found = seqs(r, rare, 2);
    CHECK(found == std::vector<std::int64_t>{1, 10'001, 20'001, 30'001, 40'001});

    event_selection all(r, {});
    std::set<std::int64_t> seen;
    auto page = all.next(1000);
    REQUIRE(page.size() == 1000);
    for (const auto& se : page) seen.insert(se.seq);
    // Appended after the selection began: not part of it.
    test::append_batch(w, lane::normal, 10);
    while (!(page = all.next(1000)).empty()) {
        for (const auto& se : page) CHECK(seen.insert(se.seq).second);
    }
    CHECK(seen.size() == rows);
    CHECK(*seen.rbegin() == rows);
}

TEST_CASE("an empty journal selects nothing") {
    temp_dir dir;
    const std::string path = dir.file("journal.db");
    journal_writer w(options(path));
    journal_reader r(path);
    event_selection s(r, {});
    CHECK(s.next(10).empty());
}

}  // namespace
}  // namespace edgegate
