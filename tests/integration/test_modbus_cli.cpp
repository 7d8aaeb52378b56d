// The Modbus driver through the binaries: `edgegate probe modbus`, the demo's simulator, and a
// gateway polling a Modbus server into MQTT, device status events included.
#include <doctest/doctest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/helpers/modbus_server.hpp"
#include "tests/helpers/mosquitto.hpp"
#include "tests/helpers/mqtt_subscriber.hpp"
#include "tests/helpers/process.hpp"
#include "tests/helpers/temp_dir.hpp"
#include "tests/integration/modbus_fixture.hpp"

using namespace edgegate;
using namespace edgegate::test;
using namespace std::chrono_literals;

namespace {

constexpr auto H = modbus_table::holding;

struct result {
    int code;
    std::string output;
};

result run(const temp_dir& dir, std::vector<std::string> args) {
    const std::string log = dir.file("out.log");
    std::filesystem::remove(log);
    child_process p(std::move(args), log);
    const auto code = p.wait_exit(30s);
    std::ifstream in(log);
    std::stringstream ss;
    ss << in.rdbuf();
    return {code.value_or(-1), ss.str()};
}

result probe(const temp_dir& dir, std::vector<std::string> args) {
    args.insert(args.begin(), {EDGEGATE_BIN, "probe", "modbus"});
    return run(dir, std::move(args));
}

// Built beside the gateway: <build>/drivers/edgegate-modbus-sim.
std::string simulator_binary() {
    return (std::filesystem::path(EDGEGATE_BIN).parent_path().parent_path().parent_path() /
            "drivers" / "edgegate-modbus-sim")
        .string();
}

}  // namespace

TEST_CASE("probe modbus prints every decoding; exit 1 when the read fails, 2 for bad arguments") {
    temp_dir dir;
    modbus_server server;
    server.set_registers(H, 100, std::vector<std::uint16_t>{0x0000, 0x41AC, 0x4142, 0x4344});
    const std::string target = "tcp://127.0.0.1:" + std::to_string(server.port());
    const auto r = probe(dir, {target, "--address", "100", "--count", "4"});
    INFO(r.output);
    CHECK(r.code == 0);
    CHECK(r.output.starts_with("holding 100..103 of unit 1 at " + target + "\n"));
    CHECK(r.output.find("\n  100      CDAB      0x41AC0000  1101791232            1101791232"
                        "            21.5\n") != std::string::npos);
    CHECK(r.output.find("GHEFCDAB") != std::string::npos);

    server.set_bit(modbus_table::discrete, 3, true);
    const auto bits = probe(
        dir, {target, "--table", "discrete", "--address", "2", "--count", "2", "--unit", "7"});
    CHECK(bits.code == 0);
    CHECK(bits.output.ends_with("discretes\n  address  value\n  2        0\n  3        1\n"));

    server.add_hole(H, 500);
    const auto refused = probe(dir, {target, "--address", "500"});
    CHECK(refused.code == 1);
    CHECK(refused.output.find("exception 02 (Illegal data address)") != std::string::npos);

    server.stop();
    const auto down = probe(dir, {target, "--timeout", "200ms"});
    CHECK(down.code == 1);
    CHECK(down.output.find("Connection refused") != std::string::npos);

    CHECK(probe(dir, {"udp://x"}).code == 2);
    CHECK(probe(dir, {"/dev/ttyS0", "--baud", "14400"}).code == 2);
    CHECK(probe(dir, {target, "--count", "126"}).code == 2);
    CHECK(probe(dir, {target, "--timeout", "soon"}).code == 2);
}

TEST_CASE("probe modbus on a serial line") {
    temp_dir dir;
    modbus_server server(modbus_server::kind::rtu);
    server.set_registers(H, 0, std::vector<std::uint16_t>{0x4547, 0x2D31});
    const auto r = probe(dir, {server.serial(), "--baud", "9600", "--parity", "none", "--count",
                               "2", "--unit", "3"});
    INFO(r.output);
    CHECK(r.code == 0);
    CHECK(r.output.find("text, high byte first: \"EG-1\"") != std::string::npos);
}

TEST_CASE("the demo's simulator serves a meter the driver reads") {
    temp_dir dir;
    REQUIRE_MESSAGE(std::filesystem::exists(simulator_binary()), simulator_binary()
                                                                     << " is not built");
    const int port = free_tcp_port();
    child_process sim({simulator_binary(), "--port", std::to_string(port)}, dir.file("sim.log"));
    modbus_harness h;
    h.add("name: meter\ndriver: modbus\nhost: 127.0.0.1\nport: " + std::to_string(port) +
          "\npoll: 100ms\nreconnect: { min: 50ms, max: 100ms }\npoints:\n"
          "  - { name: voltage, address: 0, type: float32 }\n"
          "  - { name: running, address: 7, type: bool, bit: 0 }\n"
          "  - { name: serial, address: 20, type: string, length: 8 }\n");
    h.start();
    REQUIRE(h.wait_reading("meter", "serial", quality::good, std::string("EGSIM-0001")));
    const auto v = std::get<double>(h.last("meter", "voltage")->value);
    CHECK(v >= 227);
    CHECK(v <= 233);
    h.stop();
    sim.signal(SIGTERM);
    CHECK(sim.wait_exit(5s) == 0);
}

TEST_CASE("a gateway polls a Modbus server into MQTT, with device offline and online events") {
    temp_dir dir;
    mosquitto_broker broker;
    modbus_server server;
    server.set_register(H, 10, 1234);
    const std::string config = dir.file("gw.yaml");
    std::ofstream(config) << "gateway: { id: mb-gw }\njournal: { path: j.db, durability: normal }\n"
                          << "mqtt: { uri: \"" << broker.uri() << "\" }\n"
                          << "devices:\n  - name: plc\n    driver: modbus\n    host: 127.0.0.1\n"
                          << "    port: " << server.port() << "\n    poll: 100ms\n"
                          << "    timeout: 200ms\n    reconnect: { min: 100ms, max: 200ms }\n"
                          << "    points:\n      - { name: level, address: 10, scale: 0.1, "
                             "unit: m }\n";
    mqtt_subscriber sub(broker.uri(), "edgegate/mb-gw/#");
    child_process gw({EDGEGATE_BIN, "run", "-c", config}, dir.file("gateway.log"));

    const auto has = [&](const std::string& topic, const std::string& text) {
        for (const auto& m : sub.messages()) {
            if (m.topic == topic && m.payload.find(text) != std::string::npos) return true;
        }
        return false;
    };
    const std::string data = "edgegate/mb-gw/data/plc/level";
    const std::string events = "edgegate/mb-gw/events";
    REQUIRE(wait_until(
        [&] { return has(data, "\"value\":123.4,\"unit\":\"m\",\"quality\":\"good\""); }, 20s));
    CHECK(has(events, "\"event\":\"device\""));
    CHECK(has(events, "\"device\":\"plc\",\"state\":\"online\""));

    server.stop();
    REQUIRE(wait_until([&] { return has(events, "\"state\":\"offline\""); }, 20s));
    REQUIRE(wait_until(
        [&] { return has(data, "\"value\":null,\"unit\":\"m\",\"quality\":\"bad\""); }, 20s));
    server.start();
    REQUIRE(wait_until(
        [&] {
            std::size_t online = 0;
            for (const auto& m : sub.messages()) {
                online += m.topic == events &&
                          m.payload.find("\"state\":\"online\"") != std::string::npos;
            }
            return online == 2;
        },
        20s));
    gw.signal(SIGTERM);
    CHECK(gw.wait_exit(15s) == 0);
}
