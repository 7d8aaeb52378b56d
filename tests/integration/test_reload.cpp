// Reloading the configuration with SIGHUP while the gateway runs: new devices and rules take
// over, an alert whose rule stays is not raised again, and an invalid file changes nothing but
// a logged error with its position. The gateway never restarts (one `started` event).
#include <doctest/doctest.h>
#include <signal.h>

#include <fstream>
#include <iterator>
#include <string>

#include "tests/helpers/mosquitto.hpp"
#include "tests/helpers/mqtt_subscriber.hpp"
#include "tests/helpers/process.hpp"
#include "tests/helpers/temp_dir.hpp"
#include "tests/helpers/wait.hpp"

using namespace edgegate::test;
using namespace std::chrono_literals;

namespace {

const std::string base = "edgegate/reload-gw/";

void write_config(const std::string& path, const std::string& uri, const std::string& rest) {
    std::ofstream(path) << "gateway: { id: reload-gw }\n"
                        << "journal: { path: journal.db, durability: normal }\n"
                        << "mqtt:\n  uri: " << uri << "\n  keepalive: 5s\n"
                        << "  reconnect: { min: 100ms, max: 1s }\n"
                        << rest;
}

// The door stays open for the first 10 minutes: its alert stays raised through the test.
const std::string door =
    "devices:\n"
    "  - name: door\n    driver: simulated\n    poll: 100ms\n"
    "    points:\n      - { name: open, signal: square, period: 20m }\n";
const std::string door_rule = "  - { name: door_open, match: door/open, equals: true }\n";

std::size_t count(const mqtt_subscriber& sub, const std::string& topic,
                  const std::string& needle = "") {
    std::size_t n = 0;
    for (const auto& m : sub.messages()) {
        if (m.topic == topic && m.payload.find(needle) != std::string::npos) ++n;
    }
    return n;
}

std::string read_all(const std::string& path) {
    std::ifstream in(path);
    return {std::istreambuf_iterator<char>(in), {}};
}

}  // namespace

TEST_CASE("SIGHUP replaces devices and rules and keeps alerts of rules that stay") {
    temp_dir dir;
    mosquitto_broker broker;
    mqtt_subscriber sub(broker.uri(), base + "#", "edgegate-test-reload");
    const std::string config = dir.file("gateway.yaml");
    write_config(config, broker.uri(), door + "rules:\n" + door_rule);
    child_process gw({EDGEGATE_BIN, "run", "-c", config}, dir.file("gateway.log"));
    const std::string door_alert = base + "alerts/door_open/door/open";
    REQUIRE(wait_until([&] { return count(sub, door_alert, "\"raised\"") == 1; }, 20s));

    // A second device and a second rule; the door's rule stays.
    write_config(config, broker.uri(),
                 door +
                     "  - name: tank\n    driver: simulated\n    poll: 50ms\n    points:\n"
                     "      - { name: level, signal: ramp, min: 0, max: 100, period: 2s }\n" +
                     "rules:\n" + door_rule +
                     "  - { name: tank_high, match: tank/level, above: 50, clear_below: 20 }\n");
    gw.signal(SIGHUP);
    CHECK(wait_until([&] { return count(sub, base + "data/tank/level") > 0; }, 10s));
    CHECK(wait_until(
        [&] { return count(sub, base + "alerts/tank_high/tank/level", "\"raised\"") > 0; }, 10s));
    const std::size_t door_readings = count(sub, base + "data/door/open");
    CHECK(wait_until([&] { return count(sub, base + "data/door/open") > door_readings + 5; }, 10s));

    // An invalid file: the error is logged with its place, the running configuration stays.
    write_config(config, broker.uri(),
                 door + "rules:\n  - { name: x, match: door/open, abuve: 1 }\n");
    gw.signal(SIGHUP);
    CHECK(wait_until(
        [&] {
            return read_all(dir.file("gateway.log")).find("reload refused") != std::string::npos;
        },
        10s));
    const std::size_t tank_readings = count(sub, base + "data/tank/level");
    CHECK(
        wait_until([&] { return count(sub, base + "data/tank/level") > tank_readings + 5; }, 10s));

    gw.signal(SIGTERM);
    REQUIRE(gw.wait_exit(15s) == 0);
    const std::string log = read_all(dir.file("gateway.log"));
    CHECK(log.find(config + ":14:34: rules[0].abuve: unknown key 'abuve'") != std::string::npos);
    // The door's alert was raised once, before the first reload, and never again.
    CHECK(count(sub, door_alert, "\"raised\"") == 1);
    CHECK(count(sub, door_alert, "\"cleared\"") == 0);
    CHECK(count(sub, base + "events", "\"started\"") == 1);
}

TEST_CASE("an alert whose rule is removed by a reload is cleared") {
    temp_dir dir;
    mosquitto_broker broker;
    mqtt_subscriber sub(broker.uri(), base + "#", "edgegate-test-reload-2");
    const std::string config = dir.file("gateway.yaml");
    write_config(config, broker.uri(), door + "rules:\n" + door_rule);
    child_process gw({EDGEGATE_BIN, "run", "-c", config}, dir.file("gateway.log"));
    const std::string door_alert = base + "alerts/door_open/door/open";
    REQUIRE(wait_until([&] { return count(sub, door_alert, "\"raised\"") == 1; }, 20s));
    write_config(config, broker.uri(), door);
    gw.signal(SIGHUP);
    CHECK(wait_until([&] { return count(sub, door_alert, "\"cleared\"") == 1; }, 10s));
    gw.signal(SIGTERM);
    REQUIRE(gw.wait_exit(15s) == 0);
}
