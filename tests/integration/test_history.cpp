// Local history: `edgegate events` and `edgegate replay` on a journal written by the real gateway
// (simulated devices and a threshold rule), beside the running daemon and after it stopped, with
// a real mosquitto and a real subscriber.
#include <doctest/doctest.h>
#include <rapidjson/document.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "gateway/journal/journal.hpp"
#include "tests/helpers/mosquitto.hpp"
#include "tests/helpers/mqtt_subscriber.hpp"
#include "tests/helpers/process.hpp"
#include "tests/helpers/temp_dir.hpp"
#include "tests/helpers/wait.hpp"

using namespace edgegate;
using namespace edgegate::test;
using namespace std::chrono_literals;

namespace {

const std::string gw_topic = "edgegate/hist-gw/";

// A ramp 0..100 every 2 s raises level_high above 80 and clears it below 20 once per period.
std::string write_config(const temp_dir& dir, const std::string& uri) {
    const std::string path = dir.file("gateway.yaml");
    std::ofstream(path) << "gateway: { id: hist-gw }\n"
                        << "journal: { path: journal.db, durability: normal }\n"
                        << "mqtt:\n  uri: " << uri << "\n  keepalive: 5s\n"
                        << "  reconnect: { min: 100ms, max: 1s }\n"
                        << "devices:\n"
                        << "  - name: tank\n    driver: simulated\n    poll: 50ms\n"
                        << "    points:\n"
                        << "      - { name: level, signal: ramp, min: 0, max: 100, period: 2s }\n"
                        << "      - { name: temp, signal: constant, value: 20 }\n"
                        << "  - name: door\n    driver: simulated\n    poll: 100ms\n"
                        << "    points:\n      - { name: open, signal: square, period: 1s }\n"
                        << "rules:\n"
                        << "  - name: level_high\n    match: tank/level\n    above: 80\n"
                        << "    clear_below: 20\n";
    return path;
}

struct result {
    int code = -1;
    std::string out;
    std::string err;
    std::vector<std::string> lines() const {
        std::vector<std::string> v;
        std::istringstream in(out);
        for (std::string line; std::getline(in, line);) v.push_back(line);
        return v;
    }
};

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// Runs edgegate with stdout and stderr kept apart.
result run_cli(const temp_dir& dir, std::vector<std::string> args) {
    const std::string out = dir.file("cli.out");
    const std::string err = dir.file("cli.err");
    args.insert(args.begin(),
                {"/bin/sh", "-c", R"(exec "$@" >"$CLI_OUT" 2>"$CLI_ERR")", "sh", EDGEGATE_BIN});
    child_process p(args, {}, {"CLI_OUT=" + out, "CLI_ERR=" + err});
    const auto code = p.wait_exit(60s);
    return {code.value_or(-1), slurp(out), slurp(err)};
}

struct line {
    std::string text;
    rapidjson::Document json;
    std::string topic() const { return json["topic"].GetString(); }
    std::int64_t seq() const { return json["seq"].GetInt64(); }
    std::string str(const char* key) const {
        return json.HasMember(key) && json[key].IsString() ? json[key].GetString() : "";
    }
    // What was published: the line without its leading "topic" member.
    std::string payload() const {
        const std::string prefix = "{\"topic\":\"" + topic() + "\",";
        REQUIRE(text.starts_with(prefix));
        return "{" + text.substr(prefix.size());
    }
};

// Every output line parsed: a JSON object with the topic, the seq and the gateway id.
std::vector<line> parse(const result& r) {
    REQUIRE_MESSAGE(r.code == 0, r.err);
    std::vector<line> out;
    for (const auto& text : r.lines()) {
        line l{text, {}};
        l.json.Parse(text.c_str());
        REQUIRE_MESSAGE(!l.json.HasParseError(), text);
        REQUIRE_MESSAGE(l.json.IsObject(), text);
        REQUIRE_MESSAGE(l.json.HasMember("topic"), text);
        REQUIRE_MESSAGE(l.json["seq"].IsInt64(), text);
        REQUIRE_MESSAGE(l.str("gateway") == "hist-gw", text);
        out.push_back(std::move(l));
    }
    return out;
}

std::vector<line> events(const temp_dir& dir, const std::string& cfg,
                         std::vector<std::string> filters) {
    filters.insert(filters.begin(), {"events", "-c", cfg});
    return parse(run_cli(dir, filters));
}

// A journal with readings of both devices, alerts and status events: the gateway runs until
// level_high has been raised and cleared (`events` reads it meanwhile), then stops.
void record_history(const temp_dir& dir, const std::string& cfg) {
    child_process gw({EDGEGATE_BIN, "run", "-c", cfg}, dir.file("gateway.log"));
    // The journal appears when the gateway has started; until then events exits 2.
    const bool alerts = wait_until(
        [&] {
            const auto r = run_cli(dir, {"events", "-c", cfg, "--kind", "alert"});
            return r.code == 0 && r.lines().size() >= 2;
        },
        30s, 100ms);
    REQUIRE_MESSAGE(alerts, slurp(dir.file("gateway.log")));
    CHECK(events(dir, cfg, {"--device", "tank"}).size() >= 2);
    gw.signal(SIGTERM);
    REQUIRE(gw.wait_exit(15s) == 0);
}

std::array<std::int64_t, lane_count> cursors(const std::string& journal) {
    journal_reader r(journal);
    return {r.cursor(forwarder_cursor, lane::high), r.cursor(forwarder_cursor, lane::normal)};
}

}  // namespace

TEST_CASE("edgegate events prints what the gateway published and filters it") {
    temp_dir dir;
    mosquitto_broker broker;
    mqtt_subscriber sub(broker.uri(), gw_topic + "#", "history-sub");
    const std::string cfg = write_config(dir, broker.uri());
    record_history(dir, cfg);

    const auto all = events(dir, cfg, {});
    journal_reader reader(dir.file("journal.db"));
    const auto stats = reader.read_stats();
    REQUIRE(all.size() == static_cast<std::size_t>(stats.lanes[0].events + stats.lanes[1].events));
    for (std::size_t i = 1; i < all.size(); ++i) CHECK(all[i - 1].seq() < all[i].seq());

    // Each line is exactly a message the subscriber got (the gateway drained at its stop).
    const auto missing = [&] {
        std::set<std::pair<std::string, std::string>> received;
        for (const auto& m : sub.messages()) received.emplace(m.topic, m.payload);
        std::vector<std::string> lines;
        for (const auto& l : all) {
            if (!received.contains({l.topic(), l.payload()})) lines.push_back(l.text);
        }
        return lines;
    };
    wait_until([&] { return missing().empty(); }, 10s, 100ms);
    for (const auto& text : missing()) FAIL_CHECK("never published: " << text);

    {
        // By kind: the three kinds partition the journal.
        const auto readings = events(dir, cfg, {"--kind", "reading"});
        const auto alerts = events(dir, cfg, {"--kind", "alert"});
        const auto status = events(dir, cfg, {"--kind", "event"});
        CHECK(readings.size() + alerts.size() + status.size() == all.size());
        for (const auto& l : readings) CHECK(l.topic().starts_with(gw_topic + "data/"));
        for (const auto& l : alerts) {
            CHECK(l.topic() == gw_topic + "alerts/level_high/tank/level");
            CHECK(l.json["state"].IsString());
        }
        REQUIRE_FALSE(status.empty());
        CHECK(status.front().str("event") == "started");
        for (const auto& l : status) CHECK(l.topic() == gw_topic + "events");
    }
    {
        // By device and point.
        const auto door = events(dir, cfg, {"--device", "door"});
        REQUIRE_FALSE(door.empty());
        for (const auto& l : door) CHECK(l.topic() == gw_topic + "data/door/open");
        const auto tank = events(dir, cfg, {"--device", "tank"});
        const auto level = events(dir, cfg, {"--device", "tank", "--point", "level"});
        const auto temp = events(dir, cfg, {"--point", "temp"});
        CHECK(level.size() + temp.size() == tank.size());
        for (const auto& l : level) {
            CHECK((l.topic() == gw_topic + "data/tank/level" ||
                   l.topic() == gw_topic + "alerts/level_high/tank/level"));
        }
        for (const auto& l : temp) CHECK(l.topic() == gw_topic + "data/tank/temp");
        const auto level_alerts =
            events(dir, cfg, {"--point", "level", "--device", "tank", "--kind", "alert"});
        CHECK(level_alerts.size() == events(dir, cfg, {"--kind", "alert"}).size());
    }
    {
        // By the source time.
        // The middle reading's ts: before it and from it on split the readings exactly.
        const auto readings = events(dir, cfg, {"--kind", "reading"});
        const std::string middle = readings[readings.size() / 2].str("ts");
        const auto before = events(dir, cfg, {"--kind", "reading", "--until", middle});
        const auto after = events(dir, cfg, {"--kind", "reading", "--since", middle});
        CHECK(before.size() + after.size() == readings.size());
        CHECK_FALSE(before.empty());
        CHECK_FALSE(after.empty());
        for (const auto& l : before) CHECK(l.str("ts") < middle);
        for (const auto& l : after) CHECK(l.str("ts") >= middle);
        // Durations count back from now.
        CHECK(events(dir, cfg, {"--since", "1h"}).size() == all.size());
        CHECK(events(dir, cfg, {"--until", "1h"}).empty());
    }
    {
        // The first N.
        const auto first = events(dir, cfg, {"--limit", "7"});
        REQUIRE(first.size() == 7);
        for (std::size_t i = 0; i < first.size(); ++i) CHECK(first[i].text == all[i].text);
    }
}

TEST_CASE("edgegate replay republishes exactly the selected events and leaves the journal alone") {
    temp_dir dir;
    mosquitto_broker broker;
    const std::string cfg = write_config(dir, broker.uri());
    record_history(dir, cfg);
    const std::string journal = dir.file("journal.db");
    const auto cursors_before = cursors(journal);
    const std::string bytes_before = slurp(journal);

    mqtt_subscriber sub(broker.uri(), gw_topic + "replay/#", "replay-sub");
    const std::vector<std::string> filter = {"--device", "tank",    "--point", "level",
                                             "--kind",   "reading", "--limit", "40"};
    std::vector<std::string> args = {"events", "-c", cfg};
    args.insert(args.end(), filter.begin(), filter.end());
    const auto expected = parse(run_cli(dir, args));
    REQUIRE(expected.size() == 40);

    args[0] = "replay";
    args.push_back("--dry-run");
    const auto dry = parse(run_cli(dir, args));
    REQUIRE(dry.size() == expected.size());
    for (std::size_t i = 0; i < dry.size(); ++i) {
        CHECK(dry[i].topic() == gw_topic + "replay/data/tank/level");
        CHECK(dry[i].payload() == expected[i].payload());
    }

    args.pop_back();
    args.insert(args.end(), {"--rate", "200"});
    const auto replayed = run_cli(dir, args);
    REQUIRE_MESSAGE(replayed.code == 0, replayed.err);
    CHECK(replayed.out.find("replayed 40 event(s)") != std::string::npos);
    // A marker replayed afterwards arrives after everything the first replay published.
    const auto marker = run_cli(dir, {"replay", "-c", cfg, "--kind", "event", "--limit", "1"});
    REQUIRE_MESSAGE(marker.code == 0, marker.err);
    REQUIRE(wait_until(
        [&] {
            const auto m = sub.messages();
            return !m.empty() && m.back().topic == gw_topic + "replay/events";
        },
        10s));

    const auto got = sub.messages();
    REQUIRE(got.size() == expected.size() + 1);
    for (std::size_t i = 0; i < expected.size(); ++i) {
        CHECK(got[i].topic == gw_topic + "replay/data/tank/level");
        CHECK(got[i].payload == expected[i].payload());
        CHECK_FALSE(got[i].retained);
    }
    CHECK(cursors(journal) == cursors_before);
    CHECK(slurp(journal) == bytes_before);
}

TEST_CASE("edgegate replay beside a running gateway keeps the gateway's session") {
    temp_dir dir;
    mosquitto_broker broker;
    mqtt_subscriber sub(broker.uri(), gw_topic + "#", "replay-live-sub");
    const std::string cfg = write_config(dir, broker.uri());
    child_process gw({EDGEGATE_BIN, "run", "-c", cfg}, dir.file("gateway.log"));
    REQUIRE(wait_until([&] { return sub.count() > 50; }, 30s));

    const auto r = run_cli(dir, {"replay", "-c", cfg, "--device", "door", "--limit", "10"});
    REQUIRE_MESSAGE(r.code == 0, r.err);
    CHECK(r.out.find("replayed 10 event(s)") != std::string::npos);
    REQUIRE(wait_until(
        [&] {
            int n = 0;
            for (const auto& m : sub.messages()) n += m.topic.starts_with(gw_topic + "replay/");
            return n == 10;
        },
        10s));
    // The gateway kept publishing on its own connection, which the broker never closed.
    const auto seen = sub.count();
    REQUIRE(wait_until([&] { return sub.count() > seen + 20; }, 10s));
    CHECK(broker.log().find("closing old connection") == std::string::npos);
    CHECK(broker.log().find("edgegate-hist-gw-replay") != std::string::npos);
    gw.signal(SIGTERM);
    CHECK(gw.wait_exit(15s) == 0);
}

TEST_CASE("bad arguments exit 1 with a clear message and an unreadable journal exits 2") {
    temp_dir dir;
    const std::string cfg = write_config(dir, "tcp://127.0.0.1:1");
    const auto bad = [&](std::vector<std::string> args, const std::string& says) {
        const auto r = run_cli(dir, args);
        CHECK_MESSAGE(r.code == 1, r.err);
        CHECK_MESSAGE(r.err.find(says) != std::string::npos, r.err);
        CHECK(r.out.empty());
    };
    bad({"events", "-c", cfg, "--since", "yesterday"}, "--since: 'yesterday' is neither");
    bad({"events", "-c", cfg, "--until", "2026-13-01"}, "--until");
    bad({"events", "-c", cfg, "--since", "1h", "--until", "2h"}, "is not before --until");
    bad({"events", "-c", cfg, "--kind", "alarm"}, "--kind");
    bad({"events", "-c", cfg, "--device", "a/b"}, "not a device or point name");
    bad({"events", "-c", cfg, "--limit", "0"}, "--limit");
    bad({"events", "--kind", "alert"}, "--config");
    bad({"replay", "-c", cfg, "--rate", "0"}, "--rate");
    bad({"replay", "-c", cfg, "--point", "*"}, "not a device or point name");

    // No journal yet: exit 2 naming it, and looking creates nothing.
    const auto missing = run_cli(dir, {"events", "-c", cfg});
    CHECK(missing.code == 2);
    CHECK(missing.err.find("journal.db") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(dir.file("journal.db")));
    CHECK(run_cli(dir, {"events", "-c", dir.file("none.yaml")}).code == 2);
    std::ofstream(dir.file("journal.db")) << "not a journal";
    const auto foreign = run_cli(dir, {"replay", "-c", cfg, "--dry-run"});
    CHECK(foreign.code == 2);
    CHECK(foreign.err.find("journal.db") != std::string::npos);
}

TEST_CASE("edgegate replay exits 3 when the broker cannot be reached") {
    temp_dir dir;
    mosquitto_broker broker;
    const std::string cfg = write_config(dir, broker.uri());
    record_history(dir, cfg);
    broker.stop();
    const auto r = run_cli(dir, {"replay", "-c", cfg, "--limit", "5"});
    CHECK(r.code == 3);
    CHECK_MESSAGE(r.err.find("cannot connect to " + broker.uri()) != std::string::npos, r.err);
}
