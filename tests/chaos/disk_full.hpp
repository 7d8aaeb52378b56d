#pragma once

// Scenario 5, shared by its two forms (a small max_bytes, a real ENOSPC): the broker is down
// from the start, so the journal fills with undelivered events until the drop policy removes the
// oldest readings. Then the broker comes back and the gateway catches up. The accounting is
// exact: committed seqs are 1..N without holes (a rolled-back transaction hands its seqs out
// again), every committed high-lane event (alerts, status) arrives, and the seqs that never
// arrive are exactly the dropped ones: as many as the journal's dropped_total and as the counts
// announced by `dropped` status events.

#include <rapidjson/document.h>
#include <signal.h>

#include <functional>
#include <set>

#include "tests/chaos/scenario.hpp"
#include "tests/helpers/mosquitto.hpp"

namespace edgegate::test::chaos {

// A square wave every second and a rule on it: an alert raised and cleared every half second,
// so alerts keep coming while the journal is full.
inline void add_alerting_point(scenario_setup& s) {
    s.extra_points = "      - { name: sq, signal: square, period: 1s }\n";
    s.rules = "  - { name: sq_on, match: sim/sq, equals: true }\n";
}

inline std::int64_t dropped_total(const std::string& journal) {
    journal_reader reader(journal);
    return reader.read_stats().dropped_total;
}

// The sum of the counts of the `dropped` status events that arrived.
inline std::int64_t announced_drops(const mqtt_subscriber& sub) {
    std::int64_t sum = 0;
    std::map<std::int64_t, std::int64_t> by_seq;  // re-sent announcements count once
    for (const auto& m : sub.messages()) {
        if (!m.topic.ends_with("/events")) continue;
        rapidjson::Document doc;
        doc.Parse(m.payload.c_str());
        if (!doc.IsObject() || !doc.HasMember("event") || !doc["event"].IsString() ||
            std::string(doc["event"].GetString()) != "dropped") {
            continue;
        }
        by_seq[doc["seq"].GetInt64()] = doc["count"].GetInt64();
    }
    for (const auto& [seq, count] : by_seq) sum += count;
    return sum;
}

inline std::size_t alerts_received(const mqtt_subscriber& sub) {
    std::set<std::int64_t> seqs;
    for (const auto& m : sub.messages()) {
        if (m.topic.find("/alerts/") == std::string::npos) continue;
        rapidjson::Document doc;
        doc.Parse(m.payload.c_str());
        if (doc.IsObject() && doc.HasMember("seq")) seqs.insert(doc["seq"].GetInt64());
    }
    return seqs.size();
}

// Runs the scenario on a gateway already writing its journal with the broker down:
// `full_enough` says when the journal has dropped enough, `make_room` runs before the broker
// comes back (the ENOSPC form frees the disk there).
inline void fill_drop_and_recover(const std::string& name, mosquitto_broker& broker,
                                  const mqtt_subscriber& sub, child_process& gw,
                                  const std::string& journal,
                                  const std::function<void()>& make_room,
                                  const std::string& more = {}) {
    // The drop policy at work: room is made by dropping the oldest readings, so new events keep
    // being committed (3,000 dropped take about 5 s at this rate once the journal is full).
    CHECK(wait_until([&] { return committed(journal) > 0 && dropped_total(journal) >= 3000; }, 20s,
                     200ms));
    REQUIRE(gw.running());
    const std::int64_t at_full = committed(journal);
    const auto high_during_outage = stored_seqs(journal)[static_cast<int>(lane::high)];
    make_room();
    broker.start();

    // Caught up: the forwarder's cursors reach what was committed when the broker returned.
    const std::int64_t at_return = committed(journal);
    REQUIRE(wait_until(
        [&] {
            const auto c = cursors(journal);
            return std::max(c[0], c[1]) >= at_return;
        },
        30s, 200ms));
    // Normal service: a few more seconds of readings, with nothing dropped any more.
    const std::int64_t drops = dropped_total(journal);
    const std::int64_t caught_up = committed(journal);
    REQUIRE(wait_until([&] { return committed(journal) >= caught_up + 6000; }, 60s, 100ms));
    const std::int64_t target = committed(journal);
    const auto high = stored_seqs(journal)[static_cast<int>(lane::high)];
    std::vector<std::int64_t> high_checked;
    for (const auto seq : high) {
        if (seq <= target) high_checked.push_back(seq);
    }
    CHECK(all_arrived(sub, high_checked, 60s));
    std::vector<std::int64_t> checked;
    for (std::int64_t seq = 1; seq <= target; ++seq) checked.push_back(seq);
    // Everything after the last drop must arrive; wait for it before counting.
    std::vector<std::int64_t> after_drops(checked.begin() + caught_up, checked.end());
    CHECK(all_arrived(sub, after_drops, 60s));
    CHECK(wait_until([&] { return announced_drops(sub) >= dropped_total(journal); }, 30s));
    gw.signal(SIGTERM);
    CHECK(gw.wait_exit(15s) == 0);

    const auto report = check_delivery(sub, checked);
    const std::int64_t dropped = dropped_total(journal);
    print_report(name, report,
                 std::to_string(dropped) + " dropped by the journal, " +
                     std::to_string(announced_drops(sub)) + " announced, " +
                     std::to_string(alerts_received(sub)) + " alert events received, " +
                     std::to_string(high_during_outage.size()) +
                     " high-lane events stored during the outage, seq " + std::to_string(at_full) +
                     " committed when room was made" + more);
    CHECK(dropped > 0);
    CHECK(dropped == drops);  // none after the catch-up
    CHECK(static_cast<std::int64_t>(report.lost.size()) == dropped);
    CHECK(announced_drops(sub) == dropped);
    CHECK(alerts_received(sub) > 0);
    for (const auto seq : report.lost) {
        CHECK_MESSAGE(!std::binary_search(high.begin(), high.end(), seq),
                      "high-lane seq " << seq << " was lost");
    }
}

}  // namespace edgegate::test::chaos
