// Alerts end to end: the real gateway with simulated devices crossing thresholds, a real
// mosquitto, real subscribers. Raise and clear arrive in order and retained, a subscriber that
// connects later gets the current state of every alert, and an alert active across a restart is
// neither raised twice nor forgotten.
#include <doctest/doctest.h>
#include <rapidjson/document.h>
#include <signal.h>

#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "tests/helpers/mosquitto.hpp"
#include "tests/helpers/mqtt_subscriber.hpp"
#include "tests/helpers/process.hpp"
#include "tests/helpers/temp_dir.hpp"
#include "tests/helpers/wait.hpp"

using namespace edgegate::test;
using namespace std::chrono_literals;

namespace {

const std::string alerts_filter = "edgegate/rules-gw/alerts/#";
const std::string level_topic = "edgegate/rules-gw/alerts/level_high/tank/level";
const std::string door_topic = "edgegate/rules-gw/alerts/door_open/door/open";

// A ramp 0..100 every 2 s crosses 80 (raise) and falls back to 0 (clear) once per period; a
// square wave is true for the first half of its period.
std::string write_config(const temp_dir& dir, const std::string& uri, const std::string& door) {
    const std::string path = dir.file("gateway.yaml");
    std::ofstream(path) << "gateway: { id: rules-gw }\n"
                        << "journal: { path: journal.db, durability: normal }\n"
                        << "mqtt:\n  uri: " << uri << "\n  keepalive: 5s\n"
                        << "  reconnect: { min: 100ms, max: 1s }\n"
                        << "devices:\n"
                        << "  - name: tank\n    driver: simulated\n    poll: 50ms\n"
                        << "    points:\n"
                        << "      - { name: level, signal: ramp, min: 0, max: 100, period: 2s,"
                        << " unit: \"%\" }\n"
                        << "  - name: door\n    driver: simulated\n    poll: 100ms\n"
                        << "    points:\n      - { name: open, signal: square, period: " << door
                        << " }\n"
                        << "rules:\n"
                        << "  - name: level_high\n    match: tank/level\n    above: 80\n"
                        << "    clear_below: 20\n    severity: critical\n"
                        << "  - name: door_open\n    match: door/open\n    equals: true\n";
    return path;
}

child_process start_gateway(const std::string& config, const temp_dir& dir) {
    return child_process({EDGEGATE_BIN, "run", "-c", config}, dir.file("gateway.log"));
}

struct alert_message {
    std::string topic;
    std::string payload;
    bool retained = false;
    rapidjson::Document json;
};

std::vector<alert_message> alerts_on(const mqtt_subscriber& sub, const std::string& topic) {
    std::vector<alert_message> out;
    for (const auto& m : sub.messages()) {
        if (m.topic != topic) continue;
        alert_message a{m.topic, m.payload, m.retained, {}};
        a.json.Parse(m.payload.c_str());
        REQUIRE_MESSAGE(!a.json.HasParseError(), m.payload);
        out.push_back(std::move(a));
    }
    return out;
}

std::string text(const rapidjson::Value& v, const char* key) {
    REQUIRE_MESSAGE(v.HasMember(key), key);
    return v[key].GetString();
}

// The alert messages of `topic` with distinct seqs (at-least-once may deliver one twice).
std::vector<alert_message> distinct(std::vector<alert_message> all) {
    std::set<std::int64_t> seen;
    std::vector<alert_message> out;
    for (auto& a : all) {
        if (seen.insert(a.json["seq"].GetInt64()).second) out.push_back(std::move(a));
    }
    return out;
}

bool has_state_after(const mqtt_subscriber& sub, const std::string& topic,
                     const std::vector<std::string>& states) {
    const auto alerts = distinct(alerts_on(sub, topic));
    std::size_t next = 0;
    for (const auto& a : alerts) {
        if (next < states.size() && text(a.json, "state") == states[next]) ++next;
    }
    return next == states.size();
}

}  // namespace

TEST_CASE("a threshold crossing raises and clears at a subscriber, retained for a late one") {
    temp_dir dir;
    mosquitto_broker broker;
    mqtt_subscriber sub(broker.uri(), alerts_filter);
    auto gw = start_gateway(write_config(dir, broker.uri(), "6s"), dir);

    REQUIRE(wait_until(
        [&] {
            return has_state_after(sub, level_topic, {"raised", "cleared"});
        },
        30s, 20ms));
    gw.signal(SIGTERM);
    REQUIRE(gw.wait_exit(15s) == 0);

    const auto level = distinct(alerts_on(sub, level_topic));
    REQUIRE(level.size() >= 2);
    // Raise and clear alternate, starting with a raise.
    for (std::size_t i = 0; i < level.size(); ++i) {
        CHECK(text(level[i].json, "state") == (i % 2 == 0 ? "raised" : "cleared"));
        if (i > 0) CHECK(level[i].json["seq"].GetInt64() > level[i - 1].json["seq"].GetInt64());
    }
    const auto& raised = level[0].json;
    CHECK(text(raised, "gateway") == "rules-gw");
    CHECK(text(raised, "rule") == "level_high");
    CHECK(text(raised, "device") == "tank");
    CHECK(text(raised, "point") == "level");
    CHECK(text(raised, "severity") == "critical");
    CHECK(raised["value"].GetDouble() > 80);
    CHECK(raised["threshold"].GetInt64() == 80);
    CHECK(text(raised, "message").find("tank/level") != std::string::npos);
    CHECK(text(raised, "since") == text(raised, "ts"));
    CHECK_FALSE(raised.HasMember("peak"));
    const auto& cleared = level[1].json;
    CHECK(cleared["value"].GetDouble() < 20);
    CHECK(text(cleared, "since") == text(raised, "since"));
    CHECK(cleared["peak"].GetDouble() >= raised["value"].GetDouble());
    CHECK(cleared["peak"].GetDouble() <= 100);
    CHECK(cleared["duration"].GetDouble() > 0);
    CHECK(cleared["duration"].GetDouble() < 2);

    // A subscriber that connects now, with the gateway gone, gets the current state of every
    // alert from the broker: the last message of each topic, flagged retained.
    mqtt_subscriber late(broker.uri(), alerts_filter, "edgegate-test-late");
    REQUIRE(late.wait_for_count(2, 10s));
    for (const auto& topic : {level_topic, door_topic}) {
        CAPTURE(topic);
        const auto retained = alerts_on(late, topic);
        REQUIRE(retained.size() == 1);
        CHECK(retained[0].retained);
        // The first subscriber may still be receiving the last publishes of the shutdown.
        CHECK(wait_until(
            [&] {
                const auto seen = alerts_on(sub, topic);
                return !seen.empty() && seen.back().payload == retained[0].payload;
            },
            10s));
    }
}

TEST_CASE("an alert active across a restart is not raised twice and clears after it") {
    temp_dir dir;
    mosquitto_broker broker;
    mqtt_subscriber sub(broker.uri(), alerts_filter);
    // The door is open for the first 10 s of every 20 s, counted from each start.
    const std::string config = write_config(dir, broker.uri(), "20s");
    {
        auto gw = start_gateway(config, dir);
        REQUIRE(
            wait_until([&] { return has_state_after(sub, door_topic, {"raised"}); }, 30s, 20ms));
        gw.signal(SIGTERM);
        REQUIRE(gw.wait_exit(15s) == 0);
    }
    // Restarted with the door still open: nothing new until the door closes, then a clear.
    auto gw = start_gateway(config, dir);
    REQUIRE(wait_until(
        [&] {
            return has_state_after(sub, door_topic, {"raised", "cleared"});
        },
        30s, 50ms));
    gw.signal(SIGTERM);
    REQUIRE(gw.wait_exit(15s) == 0);

    const auto door = distinct(alerts_on(sub, door_topic));
    REQUIRE(door.size() == 2);
    CHECK(text(door[0].json, "state") == "raised");
    CHECK(text(door[1].json, "state") == "cleared");
    CHECK(text(door[1].json, "since") == text(door[0].json, "since"));
    CHECK(door[1].json["value"].GetBool() == false);
    CHECK(door[1].json["peak"].GetBool() == true);
    // Active from before the restart until about 10 s after it.
    CHECK(door[1].json["duration"].GetDouble() >= 10);
    std::ifstream log(dir.file("gateway.log"));
    const std::string text_log((std::istreambuf_iterator<char>(log)), {});
    CHECK(text_log.find("1 alert(s) active at the last stop") != std::string::npos);
}
