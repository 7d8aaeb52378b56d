// Observability with the real gateway and a real mosquitto: /metrics scraped over loopback moves
// as readings flow and when the broker goes away, /healthz answers, the retained status message
// carries the headline figures again and again, `edgegate status` shows the backlog, and a port
// already taken stops the start with a clear error.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <optional>
#include <string>

#include "tests/helpers/modbus_server.hpp"
#include "tests/helpers/mosquitto.hpp"
#include "tests/helpers/mqtt_subscriber.hpp"
#include "tests/helpers/process.hpp"
#include "tests/helpers/temp_dir.hpp"
#include "tests/helpers/wait.hpp"

using namespace edgegate::test;
using namespace std::chrono_literals;

namespace {

struct http_response {
    int status = 0;
    std::string body;
};

// One GET over a plain socket (HTTP/1.1, Connection: close); status 0 when nothing answers.
http_response http_get(int port, const std::string& path) {
    http_response res;
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return res;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return res;
    }
    const std::string request =
        "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(request.size())) {
        ::close(fd);
        return res;
    }
    std::string raw;
    char buf[4096];
    for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) raw.append(buf, n);
    ::close(fd);
    if (raw.starts_with("HTTP/1.1 ")) res.status = std::stoi(raw.substr(9, 3));
    if (const auto end = raw.find("\r\n\r\n"); end != std::string::npos) {
        res.body = raw.substr(end + 4);
    }
    return res;
}

// The value of the sample `series` (name with its labels, as exposed) in a scrape.
std::optional<double> sample(const std::string& text, const std::string& series) {
    const std::string key = "\n" + series + " ";
    const auto at = text.find(key);
    if (at == std::string::npos) return std::nullopt;
    return std::stod(text.substr(at + key.size()));
}

std::optional<double> scrape(int port, const std::string& series) {
    const auto res = http_get(port, "/metrics");
    if (res.status != 200) return std::nullopt;
    return sample(res.body, series);
}

std::string read_all(const std::string& path) {
    std::ifstream in(path);
    return {std::istreambuf_iterator<char>(in), {}};
}

void write_config(const std::string& path, const std::string& uri, int metrics_port) {
    std::ofstream(path) << "gateway: { id: met-gw }\n"
                        << "journal: { path: journal.db, durability: normal }\n"
                        << "mqtt:\n  uri: " << uri << "\n  keepalive: 5s\n"
                        << "  status_interval: 1s\n"
                        << "  reconnect: { min: 100ms, max: 1s }\n"
                        << "metrics: { listen: 127.0.0.1:" << metrics_port << " }\n"
                        << "devices:\n"
                        << "  - name: door\n    driver: simulated\n    poll: 50ms\n"
                        << "    points:\n      - { name: open, signal: square, period: 20m }\n"
                        << "rules:\n  - { name: door_open, match: door/open, equals: true }\n";
}

}  // namespace

TEST_CASE("metrics and healthz and the status message follow the gateway") {
    temp_dir dir;
    mosquitto_broker broker;
    const std::string status_topic = "edgegate/met-gw/status";
    mqtt_subscriber sub(broker.uri(), status_topic, "edgegate-test-metrics");
    const int port = free_tcp_port();
    const std::string config = dir.file("gateway.yaml");
    write_config(config, broker.uri(), port);
    child_process gw({EDGEGATE_BIN, "run", "-c", config}, dir.file("gateway.log"));

    const std::string readings = "edgegate_readings_total{device=\"door\"}";
    REQUIRE(wait_until([&] { return scrape(port, readings).value_or(0) > 0; }, 10s));
    CHECK(wait_until([&] { return scrape(port, "edgegate_broker_connected") == 1.0; }, 10s));
    CHECK(wait_until([&] { return scrape(port, "edgegate_events_forwarded_total") > 5.0; }, 10s));
    CHECK(wait_until([&] { return scrape(port, "edgegate_alerts_active") == 1.0; }, 10s));
    const double seen = *scrape(port, readings);
    CHECK(wait_until([&] { return scrape(port, readings) > seen + 5; }, 10s));
    {
        const auto res = http_get(port, "/metrics");
        CHECK(res.body.find("# TYPE edgegate_poll_duration_seconds histogram\n") !=
              std::string::npos);
        CHECK(sample(res.body, "edgegate_events_dropped_total") == 0.0);
        CHECK(sample(res.body, "edgegate_journal_bytes") > 0.0);
    }
    const auto health = http_get(port, "/healthz");
    CHECK(health.status == 200);
    CHECK(health.body == "ok\n");
    CHECK(http_get(port, "/nothing-here").status == 404);

    // The retained status, republished every status_interval, carries the headline figures.
    const auto status_with_figures = [&] {
        std::size_t n = 0;
        for (const auto& m : sub.messages()) {
            if (m.payload.find("\"state\":\"online\"") != std::string::npos &&
                m.payload.find("\"active_alerts\":1") != std::string::npos &&
                m.payload.find("\"backlog\":") != std::string::npos &&
                m.payload.find("\"readings_total\":") != std::string::npos &&
                m.payload.find("\"dropped_total\":0") != std::string::npos &&
                m.payload.find("\"forwarded_total\":") != std::string::npos &&
                m.payload.find("\"connected_since\":") != std::string::npos) {
                ++n;
            }
        }
        return n;
    };
    CHECK(wait_until([&] { return status_with_figures() >= 3; }, 10s));

    // The broker goes away: the gauge says so, and the journal's backlog grows.
    broker.stop();
    CHECK(wait_until([&] { return scrape(port, "edgegate_broker_connected") == 0.0; }, 10s));
    const double backlog = scrape(port, "edgegate_journal_backlog_events").value_or(0);
    CHECK(wait_until([&] { return scrape(port, "edgegate_journal_backlog_events") > backlog + 10; },
                     10s));
    CHECK(scrape(port, "edgegate_journal_oldest_undelivered_age_seconds") > 0.0);
    CHECK(http_get(port, "/healthz").status == 200);

    gw.signal(SIGTERM);
    REQUIRE(gw.wait_exit(15s) == 0);
    CHECK(http_get(port, "/metrics").status == 0);

    // Read from the journal alone, with the gateway stopped.
    const std::string out = dir.file("status.out");
    child_process status({EDGEGATE_BIN, "status", "-c", config}, out);
    REQUIRE(status.wait_exit(10s) == 0);
    const std::string text = read_all(out);
    CAPTURE(text);
    CHECK(text.find("backlog:   ") != std::string::npos);
    CHECK(text.find("event(s) not yet forwarded, oldest ") != std::string::npos);
    CHECK(text.find("dropped:   0 ") != std::string::npos);
    CHECK(text.find("alerts:    1 active\n  door_open on door/open, warning, since ") !=
          std::string::npos);
}

TEST_CASE("a metrics port already in use stops the start with a clear error") {
    temp_dir dir;
    const int taken = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(taken >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(taken, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(taken, 1) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(::getsockname(taken, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    const int port = ntohs(addr.sin_port);

    const std::string config = dir.file("gateway.yaml");
    write_config(config, "tcp://127.0.0.1:1", port);
    child_process gw({EDGEGATE_BIN, "run", "-c", config}, dir.file("gateway.log"));
    CHECK(gw.wait_exit(10s) == 1);
    ::close(taken);
    CHECK(read_all(dir.file("gateway.log"))
              .find("metrics: cannot listen on 127.0.0.1:" + std::to_string(port) +
                    ": Address already in use") != std::string::npos);
}

TEST_CASE("a Modbus device's polls are timed and its failed polls are counted") {
    temp_dir dir;
    modbus_server plc;
    const int port = free_tcp_port();
    const std::string config = dir.file("gateway.yaml");
    std::ofstream(config) << "gateway: { id: met-plc }\n"
                          << "journal: { path: journal.db, durability: normal }\n"
                          << "mqtt: { uri: \"tcp://127.0.0.1:1\" }\n"
                          << "metrics: { listen: 127.0.0.1:" << port << " }\n"
                          << "devices:\n"
                          << "  - { name: plc, driver: modbus, transport: tcp, host: 127.0.0.1,\n"
                          << "      port: " << plc.port() << ", poll: 50ms, timeout: 200ms,\n"
                          << "      points: [ { name: level, table: holding, address: 0 } ] }\n";
    child_process gw({EDGEGATE_BIN, "run", "-c", config}, dir.file("gateway.log"));

    const std::string count = "edgegate_poll_duration_seconds_count{device=\"plc\"}";
    const std::string errors = "edgegate_poll_errors_total{device=\"plc\"}";
    REQUIRE(wait_until([&] { return scrape(port, count).value_or(0) >= 5; }, 10s));
    CHECK(scrape(port, errors) == 0.0);
    // On loopback a poll takes well under 100 ms.
    const auto res = http_get(port, "/metrics");
    CHECK(sample(res.body, "edgegate_poll_duration_seconds_bucket{device=\"plc\",le=\"0.1\"}") ==
          sample(res.body, count));

    plc.set_fault(modbus_server::fault::exception);
    CHECK(wait_until([&] { return scrape(port, errors).value_or(0) >= 3; }, 10s));
    gw.signal(SIGTERM);
    CHECK(gw.wait_exit(15s) == 0);
}
