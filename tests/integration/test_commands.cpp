// MQTT commands end to end: the real gateway, a real mosquitto, commands published with
// mosquitto_pub, a Modbus TCP device served in process. Accepted writes land as the right
// registers and are answered with the value read back; every refusal is answered with its error
// and writes nothing; a stale command is ignored; every command is audited.
#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <bit>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "gateway/core/clock.hpp"
#include "tests/helpers/modbus_server.hpp"
#include "tests/helpers/mosquitto.hpp"
#include "tests/helpers/mqtt_subscriber.hpp"
#include "tests/helpers/process.hpp"
#include "tests/helpers/temp_dir.hpp"
#include "tests/helpers/wait.hpp"
#include "tests/integration/modbus_fixture.hpp"

using namespace edgegate;
using namespace edgegate::test;
using namespace std::chrono_literals;

namespace {

constexpr auto H = modbus_table::holding;
const std::string base = "edgegate/cmd-gw/";

struct answer {
    bool ok = false;
    std::string error;
    std::string value;  // as JSON text
};

std::string json_text(const rapidjson::Value& v) {
    if (v.IsNull()) return "null";
    if (v.IsBool()) return v.GetBool() ? "true" : "false";
    if (v.IsString()) return v.GetString();
    if (v.IsInt64()) return std::to_string(v.GetInt64());
    std::ostringstream out;
    out << v.GetDouble();
    return out.str();
}

class command_bench {
  public:
    // `before_start` runs once the broker and the device are up, before the gateway starts.
    explicit command_bench(std::function<void(command_bench&)> before_start = {}) {
        if (before_start) before_start(*this);
        const std::string config = dir_.file("gateway.yaml");
        std::ofstream(config)
            << "gateway: { id: cmd-gw }\n"
            << "journal: { path: journal.db, durability: normal }\n"
            << "mqtt:\n  uri: " << broker_.uri() << "\n  keepalive: 5s\n"
            << "  reconnect: { min: 100ms, max: 1s }\n"
            << "commands: { max_age: 30s, rate: 5 }\n"
            << "devices:\n"
            << "  - name: plc\n    driver: modbus\n    host: 127.0.0.1\n    port: "
            << modbus_.port() << "\n    poll: 200ms\n    timeout: 500ms\n"
            << "    reconnect: { min: 50ms, max: 200ms }\n    points:\n"
            << "      - { name: sp_abcd, table: holding, address: 0, type: float32, order: ABCD,"
               " writable: true, min: -100, max: 100 }\n"
            << "      - { name: sp_dcba, table: holding, address: 2, type: float32, order: DCBA,"
               " writable: true }\n"
            << "      - { name: sp_badc, table: holding, address: 4, type: float32, order: BADC,"
               " writable: true }\n"
            << "      - { name: sp_cdab, table: holding, address: 6, type: float32, order: CDAB,"
               " writable: true }\n"
            << "      - { name: level, table: holding, address: 10, type: int16, scale: 0.1,"
               " writable: true, min: 0, max: 50 }\n"
            << "      - { name: relay, table: coil, address: 0, type: bool, writable: true }\n"
            << "      - { name: counter, table: holding, address: 20, type: uint16 }\n"
            << "  - name: sim\n    driver: simulated\n    poll: 1s\n    points:\n"
            << "      - { name: t, signal: sine, min: 0, max: 1, period: 10s }\n";
        gateway_ = std::make_unique<child_process>(
            std::vector<std::string>{EDGEGATE_BIN, "run", "-c", config}, dir_.file("gateway.log"));
        // The gateway subscribes to its commands before it publishes "online".
        REQUIRE_MESSAGE(wait_until(
                            [&] {
                                for (const auto& m : sub_.messages()) {
                                    if (m.topic == base + "status" &&
                                        m.payload.find("\"online\"") != std::string::npos) {
                                        return true;
                                    }
                                }
                                return false;
                            },
                            20s),
                        "the gateway did not come online");
    }

    // Publishes `payload` to cmd/<target> and returns the answer carrying `id`.
    answer send(const std::string& target, const std::string& payload, const std::string& id,
                bool retain = false) {
        publish(target, payload, retain);
        answer a;
        const bool got = wait_until(
            [&] {
                for (const auto& m : sub_.messages()) {
                    if (m.topic != base + "cmd/" + target + "/result") continue;
                    rapidjson::Document d;
                    d.Parse(m.payload.c_str());
                    if (d.HasParseError() || !d.IsObject() || !d["id"].IsString() ||
                        d["id"].GetString() != id) {
                        continue;
                    }
                    a.ok = d["ok"].GetBool();
                    a.error = d["error"].IsString() ? d["error"].GetString() : "";
                    a.value = json_text(d["value"]);
                    return true;
                }
                return false;
            },
            10s);
        REQUIRE_MESSAGE(got, "no answer to " << payload << " on " << target);
        return a;
    }

    void publish(const std::string& target, const std::string& payload, bool retain = false) {
        std::vector<std::string> argv{"mosquitto_pub",
                                      "-h",
                                      "127.0.0.1",
                                      "-p",
                                      std::to_string(broker_.port()),
                                      "-q",
                                      "1",
                                      "-t",
                                      base + "cmd/" + target,
                                      "-m",
                                      payload};
        if (retain) argv.push_back("-r");
        child_process pub(argv, dir_.file("pub.log"));
        REQUIRE(pub.wait_exit(10s) == 0);
    }

    // The audit records received so far, parsed.
    std::vector<rapidjson::Document> audits() const {
        std::vector<rapidjson::Document> out;
        for (const auto& m : sub_.messages()) {
            if (m.topic != base + "audit") continue;
            out.emplace_back().Parse(m.payload.c_str());
        }
        return out;
    }

    // Write requests (FC05, FC06, FC15, FC16) the device received.
    std::size_t writes_received() const {
        std::size_t n = 0;
        for (const auto& r : modbus_.requests()) {
            if (r.function == 5 || r.function == 6 || r.function == 15 || r.function == 16) ++n;
        }
        return n;
    }

    modbus_server& device() { return modbus_; }

  private:
    temp_dir dir_;
    mosquitto_broker broker_;
    modbus_server modbus_;
    mqtt_subscriber sub_{broker_.uri(), base + "#", "edgegate-test-commands"};
    std::unique_ptr<child_process> gateway_;
};

}  // namespace

TEST_CASE("a float32 setpoint in each byte order lands as the right registers") {
    command_bench b;
    int n = 0;
    for (const std::string order : {"ABCD", "DCBA", "BADC", "CDAB"}) {
        CAPTURE(order);
        const std::string point = "sp_" + std::string(1, static_cast<char>(order[0] + 32)) +
                                  static_cast<char>(order[1] + 32) +
                                  static_cast<char>(order[2] + 32) +
                                  static_cast<char>(order[3] + 32);
        const std::string id = "f" + std::to_string(n++);
        const auto a = b.send("plc/" + point, R"({"value": -21.75, "id": ")" + id + "\"}", id);
        CHECK(a.ok);
        CHECK(a.error.empty());
        CHECK(a.value == "-21.75");
        CHECK(b.device().registers(H, 2 * (n - 1), 2) ==
              wire32(order, std::bit_cast<std::uint32_t>(-21.75f)));
    }
}

TEST_CASE("a coil and a scaled register are written and read back") {
    command_bench b;
    const auto relay = b.send("plc/relay", R"({"value": true, "id": "r1"})", "r1");
    CHECK(relay.ok);
    CHECK(relay.value == "true");
    CHECK(b.device().bit(modbus_table::coil, 0));
    const auto off = b.send("plc/relay", R"({"value": false, "id": "r2"})", "r2");
    CHECK(off.ok);
    CHECK_FALSE(b.device().bit(modbus_table::coil, 0));
    const auto level = b.send("plc/level", R"({"value": 12.3, "id": "l1"})", "l1");
    CHECK(level.ok);
    CHECK(level.value == "12.3");
    CHECK(b.device().registers(H, 10) == std::vector<std::uint16_t>{123});
}

TEST_CASE("every refusal is answered with its error and writes nothing") {
    command_bench b;
    b.device().set_registers(H, 0, std::vector<std::uint16_t>{0x4120, 0x0000});  // 10.0f
    b.device().set_register(H, 20, 7);
    const auto before = b.device().registers(H, 0, 24);
    struct refusal {
        std::string target;
        std::string payload;
        std::string error;  // the start of the expected error
    };
    const std::string big(5000, 'x');
    const std::vector<refusal> refusals = {
        {"plc/nosuch", R"({"value": 1, "id": "x1"})", "unknown point 'nosuch'"},
        {"plc/counter", R"({"value": 1, "id": "x2"})",
         "point 'counter' of device 'plc' is not writable"},
        {"plc/relay", R"({"value": 1, "id": "x3"})", "wrong type"},
        {"plc/sp_abcd", R"({"value": "hot", "id": "x4"})", "wrong type"},
        {"plc/sp_abcd", R"({"value": 500, "id": "x5"})", "500 is above max (100)"},
        {"plc/level", R"({"value": -1, "id": "x6"})", "-1 is below min (0)"},
        {"plc/sp_abcd", R"({"value": 1, "id": "x7", "extra": 2})", "unknown key \"extra\""},
        {"plc/sp_abcd", R"({"id": "x8"})", "missing \"value\""},
        {"plc/sp_abcd", R"({"value": 1, "id": "x9", "ts": "2026-01-01T00:00:00Z"})",
         "stale command ignored"},
        {"plx/sp_abcd", R"({"value": 1, "id": "x10"})",
         "unknown device 'plx', did you mean 'plc'?"},
        {"sim/t", R"({"value": 1, "id": "x11"})", "point 't' of device 'sim' is not writable"},
    };
    for (const auto& r : refusals) {
        CAPTURE(r.payload);
        const auto id = r.payload.substr(
            r.payload.find("\"x") + 1,
            r.payload.find('"', r.payload.find("\"x") + 1) - r.payload.find("\"x") - 1);
        const auto a = b.send(r.target, r.payload, id);
        CHECK_FALSE(a.ok);
        CHECK_MESSAGE(a.error.starts_with(r.error), a.error);
        CHECK(a.value == "null");
    }
    // Malformed and oversized payloads have no id to answer under: the audit shows them.
    b.publish("plc/sp_abcd", R"({"value": 1, "id": "m1")");
    const std::string oversized_payload = R"({"value": ")" + big + R"(", "id": "big"})";
    b.publish("plc/sp_abcd", oversized_payload);
    REQUIRE(wait_until([&] { return b.audits().size() >= refusals.size() + 2; }, 10s));
    const auto audits = b.audits();
    bool malformed = false;
    bool oversized = false;
    for (const auto& a : audits) {
        CHECK_FALSE(a["ok"].GetBool());
        const std::string error = a["error"].GetString();
        malformed = malformed || error.starts_with("malformed JSON");
        oversized = oversized || error == "payload too large (" +
                                              std::to_string(oversized_payload.size()) +
                                              " bytes, the limit is 4096)";
    }
    CHECK(malformed);
    CHECK(oversized);
    CHECK(b.device().registers(H, 0, 24) == before);
    CHECK_FALSE(b.device().bit(modbus_table::coil, 0));
    CHECK(b.writes_received() == 0);
}

TEST_CASE("a retained command is refused when the broker hands it over at subscription") {
    // A retained command would be carried out again at every reconnect.
    command_bench b([](command_bench& self) {
        self.publish("plc/relay", R"({"value": true, "id": "kept"})", true);
    });
    REQUIRE(wait_until([&] { return !b.audits().empty(); }, 10s));
    const auto audits = b.audits();
    CHECK(std::string(audits[0]["id"].GetString()) == "kept");
    CHECK(std::string(audits[0]["error"].GetString()) ==
          "retained command refused: publish commands without the retain flag");
    CHECK_FALSE(b.device().bit(modbus_table::coil, 0));
    CHECK(b.writes_received() == 0);
}

TEST_CASE("a replayed stale command is ignored and audited") {
    command_bench b;
    const std::string old_ts = format_iso8601(wall_clock::now() - 5min);
    const auto stale =
        b.send("plc/relay", R"({"value": true, "id": "s1", "ts": ")" + old_ts + "\"}", "s1");
    CHECK_FALSE(stale.ok);
    CHECK(stale.error.starts_with("stale command ignored: sent at " + old_ts));
    CHECK_FALSE(b.device().bit(modbus_table::coil, 0));
    const std::string fresh_ts = format_iso8601(wall_clock::now());
    const auto fresh =
        b.send("plc/relay", R"({"value": true, "id": "s3", "ts": ")" + fresh_ts + "\"}", "s3");
    CHECK(fresh.ok);
    CHECK(b.device().bit(modbus_table::coil, 0));

    REQUIRE(wait_until([&] { return b.audits().size() >= 2; }, 10s));
    const auto audits = b.audits();
    REQUIRE(audits.size() == 2);
    CHECK(std::string(audits[0]["id"].GetString()) == "s1");
    CHECK(std::string(audits[0]["device"].GetString()) == "plc");
    CHECK(std::string(audits[0]["point"].GetString()) == "relay");
    CHECK(audits[0]["requested"].GetBool());
    CHECK_FALSE(audits[0]["ok"].GetBool());
    CHECK(std::string(audits[1]["id"].GetString()) == "s3");
    CHECK(audits[1]["ok"].GetBool());
    CHECK(audits[1]["value"].GetBool());
    CHECK(b.writes_received() == 1);
}
