// Scenario 1: the broker is SIGKILLed and restarted 10 times at random moments while a stream
// of 100,000 events (simulated and Modbus readings) flows. A killed mosquitto loses what it had
// acknowledged but neither delivered nor autosaved, so the assertion is the exact form of
// "nothing the gateway is responsible for is lost": a seq may be missing at the subscriber only
// if the broker acknowledged it between the previous kill and kill k (it is behind the gateway's
// persisted cursor read after kill k, not behind the one read after kill k-1) and it had not
// arrived when kill k came. Every other committed seq must arrive.
#include <signal.h>

#include <random>
#include <set>
#include <thread>

#include "tests/chaos/scenario.hpp"
#include "tests/helpers/modbus_server.hpp"
#include "tests/helpers/mosquitto.hpp"

using namespace edgegate;
using namespace edgegate::test;
using namespace edgegate::test::chaos;

namespace {

constexpr std::int64_t stream_events = 100000;
constexpr int kills = 10;

// After kill k: the received seqs then, and the broker's acknowledgements per lane (the
// gateway's cursor read after the kill, when no PUBACK can come any more).
struct kill_record {
    std::map<std::int64_t, int> received;
    std::array<std::int64_t, lane_count> acked{};
};

// The seqs that may have died with a broker, of lane `seqs`: those the broker acknowledged
// between kill k-1 and kill k that had not arrived when kill k came. A seq acknowledged earlier
// either arrived, or was in an earlier window, or was autosaved and then survives later kills.
std::set<std::int64_t> kill_windows(const std::vector<std::int64_t>& seqs,
                                    const std::vector<kill_record>& kills, int l) {
    std::set<std::int64_t> exposed;
    std::int64_t acked_before = 0;
    for (const auto& k : kills) {
        for (auto it = std::upper_bound(seqs.begin(), seqs.end(), acked_before);
             it != seqs.end() && *it <= k.acked[l]; ++it) {
            if (!k.received.contains(*it)) exposed.insert(*it);
        }
        acked_before = std::max(acked_before, k.acked[l]);
    }
    return exposed;
}

}  // namespace

TEST_CASE("broker SIGKILLed 10 times during 100000 events: only what it acknowledged can die") {
    temp_dir dir;
    mosquitto_broker broker;
    modbus_server meter;
    scenario_setup s{dir.path(), broker.uri()};
    s.modbus = {{"meter", meter.port(), 4, "10ms"}};
    const std::string journal = journal_file(s);
    const std::string log = dir.file("gateway.log");
    mqtt_subscriber sub(broker.uri(), "edgegate/chaos-gw/#", "chaos-sub");
    auto gw = start_gateway(write_config(s), log);

    const auto seed = std::random_device{}();
    std::mt19937 rng(seed);
    // At about 5,400 events/s the stream lasts some 18 s; the kills fall inside it, 0.5 s apart
    // at least so each one hits a flowing stream rather than a reconnect.
    std::uniform_real_distribution<double> at(1.0, 16.0);
    std::vector<double> moments;
    while (moments.size() < kills) {
        const double t = at(rng);
        if (std::all_of(moments.begin(), moments.end(),
                        [&](double m) { return std::abs(m - t) >= 0.5; })) {
            moments.push_back(t);
        }
    }
    std::sort(moments.begin(), moments.end());
    MESSAGE("kill moments from seed " << seed);

    REQUIRE(wait_until([&] { return committed(journal) > 0; }, 30s));
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<kill_record> records;
    for (const double m : moments) {
        // The schedule itself: a random moment, not a condition to wait for.
        std::this_thread::sleep_until(t0 + std::chrono::duration<double>(m));
        const int losses = count_lines(log, link_lost_line);
        broker.kill();
        REQUIRE(wait_acks_settled(journal, log, losses));
        // Received before the kill: nothing arrives from a dead broker.
        records.push_back({sub.seq_counts(), cursors(journal)});
        broker.start();
    }
    REQUIRE(wait_until([&] { return committed(journal) >= stream_events; }, 120s, 100ms));
    const std::int64_t target = committed(journal);

    const auto lanes = stored_seqs(journal);
    std::set<std::int64_t> exposed;
    for (int l = 0; l < lane_count; ++l) exposed.merge(kill_windows(lanes[l], records, l));
    const auto may_die = [&](std::int64_t seq) { return exposed.contains(seq); };
    std::vector<std::int64_t> checked;
    std::vector<std::int64_t> required;
    for (const auto seq : all_of(lanes)) {
        if (seq > target) break;
        checked.push_back(seq);
        if (!may_die(seq)) required.push_back(seq);
    }
    CHECK(all_arrived(sub, required, 90s));
    gw.signal(SIGTERM);
    CHECK(gw.wait_exit(15s) == 0);

    const auto report = check_delivery(sub, checked);
    print_report("broker SIGKILL x10", report,
                 std::to_string(kills) + " kills, " + std::to_string(exposed.size()) +
                     " seqs acknowledged by a broker before it was killed and not yet received");
    CHECK(static_cast<std::int64_t>(checked.size()) == target);
    for (const auto seq : report.lost) {
        CHECK_MESSAGE(may_die(seq), "seq " << seq
                                           << " lost, yet the broker never acknowledged it "
                                              "before a kill: the gateway did not send it again");
    }
}
