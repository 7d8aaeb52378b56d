// Scenario 6: a subscriber that stalls (stops reading, acknowledges nothing) beside a healthy
// one. The broker's limits are pinned small (20 in flight, 1,000 queued per client), so its
// queue for the stalled client fills and it drops that client's messages (its log says so).
// The gateway must not notice: its RSS stays flat, the journal keeps every committed event
// (seqs 1..N, nothing dropped), and the healthy subscriber gets every one of them (exact: the
// broker is never restarted).
#include <signal.h>

#include "tests/chaos/scenario.hpp"
#include "tests/helpers/modbus_server.hpp"
#include "tests/helpers/mosquitto.hpp"
#include "tests/helpers/stalled_mqtt_client.hpp"

using namespace edgegate;
using namespace edgegate::test;
using namespace edgegate::test::chaos;

TEST_CASE(
    "a stalled subscriber fills the broker queue and the gateway stays flat and loses nothing") {
    temp_dir dir;
    broker_options options;
    options.extra_config = "max_inflight_messages 20\nmax_queued_messages 1000\n";
    mosquitto_broker broker(options);
    modbus_server meter;
    mqtt_subscriber sub(broker.uri(), "edgegate/chaos-gw/#", "chaos-sub");
    stalled_mqtt_client stalled("127.0.0.1", broker.port(), "chaos-stalled", "edgegate/chaos-gw/#");
    scenario_setup s{dir.path(), broker.uri()};
    s.modbus = {{"meter", meter.port(), 4, "10ms"}};
    const std::string journal = journal_file(s);
    auto gw = start_gateway(write_config(s), dir.file("gateway.log"));

    REQUIRE(wait_until([&] { return committed(journal) >= 5000; }, 60s, 100ms));
    const long rss_start = rss_kib(gw.pid());
    long rss_max = rss_start;
    // 60,000 events (about 11 s), the RSS sampled all along.
    REQUIRE(wait_until(
        [&] {
            rss_max = std::max(rss_max, rss_kib(gw.pid()));
            return committed(journal) >= 60000;
        },
        120s, 200ms));
    const std::int64_t target = committed(journal);
    CHECK(broker.log().find("Outgoing messages are being dropped for client chaos-stalled") !=
          std::string::npos);

    const auto stored = all_of(stored_seqs(journal));
    std::vector<std::int64_t> checked;
    for (const auto seq : stored) {
        if (seq <= target) checked.push_back(seq);
    }
    CHECK(all_arrived(sub, checked, 60s));
    gw.signal(SIGTERM);
    CHECK(gw.wait_exit(15s) == 0);
    const long rss_end = rss_max;

    const auto report = check_delivery(sub, checked);
    journal_reader reader(journal);
    const auto stats = reader.read_stats();
    print_report("stalled subscriber", report,
                 "gateway RSS " + std::to_string(rss_start) + " KiB after 5,000 events, at most " +
                     std::to_string(rss_end) + " KiB up to " + std::to_string(target) +
                     "; journal dropped " + std::to_string(stats.dropped_total));
    CHECK(static_cast<std::int64_t>(checked.size()) == target);  // the journal has 1..N
    CHECK(stats.dropped_total == 0);
    CHECK(report.lost.empty());
    if (rss_is_meaningful) CHECK(rss_end - rss_start < 8192);
}
