// Scenario 4: a network black hole. The broker runs in a network namespace made by the test and
// the gateway reaches it over a veth link; the test takes the far end of that link down, so the
// gateway's packets vanish without a FIN, an RST or an ICMP error. The gateway must notice from
// the silence of its MQTT link alone, keep journaling (without holding the backlog in memory), and
// catch up when the link returns. The subscriber reaches the broker over a second link that stays
// up, and the broker is never restarted: every committed seq must arrive (zero lost, exact). Needs
// root and `ip`; elsewhere it reports itself skipped.
#include <signal.h>

#include "tests/chaos/scenario.hpp"
#include "tests/helpers/modbus_server.hpp"
#include "tests/helpers/mosquitto.hpp"
#include "tests/helpers/net_namespace.hpp"

using namespace edgegate;
using namespace edgegate::test;
using namespace edgegate::test::chaos;

namespace {

constexpr int keepalive_s = 2;

}  // namespace

TEST_CASE("black hole: the gateway notices within 1.5 x keepalive, buffers and catches up") {
    if (const auto why = net_namespace::unavailable_reason(); !why.empty()) skip_scenario(why);

    // Fixed names: a run killed before its destructors ran (a CTest timeout) leaves them
    // behind, and the next run removes them by these names before it makes its own.
    const std::string net = "10.213.7.";
    net_namespace ns("edgegate-chaos");
    const std::string gateway_link = "egchaos-gi";
    ns.add_link("egchaos-g", gateway_link, net + "1", net + "2");
    ns.add_link("egchaos-s", "egchaos-si", net + "5", net + "6");
    const int subscriber_port = free_tcp_port();
    broker_options options;
    options.host = net + "2";
    options.launcher = ns.launcher();
    options.extra_config = "listener " + std::to_string(subscriber_port) + " " + net + "6\n";

    temp_dir dir;
    mosquitto_broker broker(options);
    modbus_server meter;
    scenario_setup s{dir.path(), broker.uri()};
    s.modbus = {{"meter", meter.port(), 4, "10ms"}};
    s.keepalive = std::to_string(keepalive_s) + "s";
    const std::string journal = journal_file(s);
    const std::string log = dir.file("gateway.log");
    mqtt_subscriber sub("tcp://" + net + "6:" + std::to_string(subscriber_port),
                        "edgegate/chaos-gw/#", "chaos-sub");
    auto gw = start_gateway(write_config(s), log);
    REQUIRE(sub.wait_for_count(5000, 60s));

    const int losses = count_lines(log, link_lost_line);
    const long rss_at_cut = rss_kib(gw.pid());
    const auto cut = std::chrono::steady_clock::now();
    ns.set_inner_link(gateway_link, false);
    const std::int64_t at_cut = committed(journal);
    REQUIRE(wait_until([&] { return count_lines(log, link_lost_line) > losses; }, 30s, 20ms));
    const double noticed_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - cut).count();
    // Buffering: a backlog of 20,000 events (about 4 s) builds up in the journal.
    REQUIRE(wait_until([&] { return committed(journal) >= at_cut + 20000; }, 60s, 100ms));
    const long rss_with_backlog = rss_kib(gw.pid());
    const auto restored = std::chrono::steady_clock::now();
    ns.set_inner_link(gateway_link, true);

    const std::int64_t target = committed(journal);
    std::vector<std::int64_t> checked;
    for (const auto seq : all_of(stored_seqs(journal))) {
        if (seq <= target) checked.push_back(seq);
    }
    CHECK(all_arrived(sub, checked, 90s));
    const double caught_up_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - restored).count();
    gw.signal(SIGTERM);
    CHECK(gw.wait_exit(15s) == 0);

    const auto report = check_delivery(sub, checked);
    std::ostringstream extra;
    extra << std::fixed << std::setprecision(2) << "keepalive " << keepalive_s
          << " s, link loss noticed after " << noticed_s << " s, backlog " << target - at_cut
          << " events, caught up " << caught_up_s << " s after the link returned, RSS "
          << rss_at_cut << " KiB at the cut, " << rss_with_backlog << " KiB with the backlog";
    print_report("network black hole", report, extra.str());
    CHECK(report.lost.empty());
    // The forwarder presumes the link dead when its publishes wait 1.5 x keepalive for any
    // acknowledgement (what a broker allows a silent client); the second is for scheduling.
    CHECK(noticed_s <= 1.5 * keepalive_s + 1.0);
    if (rss_is_meaningful) CHECK(rss_with_backlog - rss_at_cut < 4096);
}
