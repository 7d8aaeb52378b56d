// Scenario 2: a broker without persistence is killed and restarted, so every session is gone:
// the gateway's un-acknowledged publishes (Paho drops them on a clean connect) must come again
// from the journal. The gateway reaches the broker through a socat relay that the test starts
// only after the subscriber has subscribed again, so nothing the gateway sends after the
// restart can fall into a broker without a subscription; the exact claim is then that every
// committed seq after the gateway's persisted cursor (its last PUBACK) arrives.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>

#include "tests/chaos/scenario.hpp"
#include "tests/helpers/gateway_run.hpp"
#include "tests/helpers/modbus_server.hpp"
#include "tests/helpers/mosquitto.hpp"

using namespace edgegate;
using namespace edgegate::test;
using namespace edgegate::test::chaos;

namespace {

bool accepts_connection(int port) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    close(fd);
    return ok;
}

std::unique_ptr<child_process> start_relay(int from, int to, const temp_dir& dir) {
    auto relay = std::make_unique<child_process>(
        std::vector<std::string>{
            "socat", "TCP-LISTEN:" + std::to_string(from) + ",bind=127.0.0.1,fork,reuseaddr",
            "TCP:127.0.0.1:" + std::to_string(to)},
        dir.file("relay.log"));
    // Listening once a connection is accepted (socat then relays it to the broker, which is up).
    REQUIRE(wait_until([&] { return accepts_connection(from); }, 15s, 20ms));
    return relay;
}

}  // namespace

TEST_CASE("broker restarted without persistence: every unacknowledged event arrives") {
    temp_dir dir;
    mosquitto_broker broker(false);
    modbus_server meter;
    const int relay_port = free_tcp_port();
    scenario_setup s{dir.path(), "tcp://127.0.0.1:" + std::to_string(relay_port)};
    s.modbus = {{"meter", meter.port(), 4, "10ms"}};
    const std::string journal = journal_file(s);
    const std::string log = dir.file("gateway.log");
    mqtt_subscriber sub(broker.uri(), "edgegate/chaos-gw/#", "chaos-sub");
    auto relay = start_relay(relay_port, broker.port(), dir);
    auto gw = start_gateway(write_config(s), log);
    REQUIRE(sub.wait_for_count(20000, 60s));

    const int losses = count_lines(log, link_lost_line);
    broker.kill();
    relay.reset();
    REQUIRE(wait_acks_settled(journal, log, losses));
    const auto acked = cursors(journal);
    const std::int64_t at_restart = committed(journal);
    REQUIRE(wait_until([&] { return !sub.connected(); }, 15s));
    broker.start();
    REQUIRE(wait_until([&] { return sub.connected(); }, 15s));
    relay = start_relay(relay_port, broker.port(), dir);
    REQUIRE(wait_until([&] { return committed(journal) >= at_restart + 10000; }, 60s, 100ms));
    const std::int64_t target = committed(journal);

    const auto lanes = stored_seqs(journal);
    std::vector<std::int64_t> checked;
    std::vector<std::int64_t> unacked;
    std::int64_t unacked_at_restart = 0;
    for (int l = 0; l < lane_count; ++l) {
        for (const auto seq : lanes[l]) {
            if (seq > target) break;
            checked.push_back(seq);
            if (seq > acked[l]) {
                unacked.push_back(seq);
                unacked_at_restart += seq <= at_restart ? 1 : 0;
            }
        }
    }
    CHECK(all_arrived(sub, unacked, 60s));
    gw.signal(SIGTERM);
    CHECK(gw.wait_exit(15s) == 0);

    const auto report = check_delivery(sub, checked);
    print_report("broker restarted without persistence", report,
                 std::to_string(unacked_at_restart) +
                     " events committed and not acknowledged at the restart (cursors " +
                     std::to_string(acked[0]) + "/" + std::to_string(acked[1]) + ", committed " +
                     std::to_string(at_restart) + ")");
    CHECK(unacked_at_restart > 0);
    for (const auto seq : report.lost) {
        const int l = std::binary_search(lanes[0].begin(), lanes[0].end(), seq) ? 0 : 1;
        CHECK_MESSAGE(seq <= acked[l], "seq " << seq << " was not acknowledged, yet never re-sent");
    }
}
