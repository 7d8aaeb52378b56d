// Faults between the Modbus driver and a libmodbus TCP server on loopback: a server that is not
// there yet, restarts, exceptions, silence, foreign and cut replies. None may crash or stall the
// driver; each gives one offline event and one bad reading per point, then recovery.
#include <doctest/doctest.h>

#include <string>

#include "tests/helpers/modbus_server.hpp"
#include "tests/integration/modbus_fixture.hpp"

using namespace edgegate;
using namespace edgegate::test;
using namespace std::chrono_literals;

namespace {

constexpr auto H = modbus_table::holding;
using fault = modbus_server::fault;

std::string device_yaml(const modbus_server& server, const std::string& timeout = "100ms",
                        const std::string& unit = "1") {
    return "name: dev\ndriver: modbus\nhost: 127.0.0.1\nport: " + std::to_string(server.port()) +
           "\nunit_id: " + unit + "\npoll: 50ms\ntimeout: " + timeout +
           "\nreconnect: { min: 50ms, max: 200ms }\npoints:\n"
           "  - { name: a, address: 0 }\n  - { name: b, address: 1, type: int16 }\n";
}

std::size_t bad_readings(const modbus_harness& h, const std::string& point) {
    std::size_t n = 0;
    for (const auto& r : h.readings("dev", point)) n += r.quality == quality::bad ? 1 : 0;
    return n;
}

// Runs `h` against `server` until the device is online with a = 7, injects `f`, waits until the
// device is offline (or, for `stays_online`, until `a` is bad), heals, and waits for a = 8.
void fault_and_recovery(modbus_server& server, modbus_harness& h, fault f, bool stays_online,
                        const std::string& error, int exception_code = 4) {
    server.set_register(H, 0, 7);
    h.start();
    REQUIRE(h.wait_reading("dev", "a", quality::good, std::uint64_t{7}));
    REQUIRE(h.is("dev", true));

    server.set_fault(f, -1, exception_code);
    REQUIRE(h.wait_reading("dev", "a", quality::bad));
    const auto before_heal = server.request_count();
    // Several more failed requests: still one bad reading per point, one status change.
    REQUIRE(wait_until([&] { return server.request_count() >= before_heal + 3; }, 10s));
    CHECK(bad_readings(h, "a") == 1);
    CHECK(bad_readings(h, "b") == 1);
    const auto status = h.statuses("dev");
    if (stays_online) {
        CHECK(status.size() == 1);
    } else {
        REQUIRE(status.size() == 2);
        CHECK_FALSE(status[1].online);
        CHECK(status[1].error == error);
    }
    const auto bad = h.last("dev", "a");
    CHECK(std::isnan(std::get<double>(bad->value)));

    server.set_register(H, 0, 8);
    server.set_fault(fault::none);
    REQUIRE(h.wait_reading("dev", "a", quality::good, std::uint64_t{8}));
    CHECK(h.is("dev", true));
    CHECK(h.statuses("dev").size() == (stays_online ? 1u : 3u));
    for (const auto& r : h.readings("dev", "a")) {
        if (r.quality == quality::good)
            CHECK((r.value == value(std::uint64_t{7}) || r.value == value(std::uint64_t{8})));
    }
    h.stop();
}

}  // namespace

TEST_CASE("a server that is not running at start: offline, then online when it appears") {
    modbus_server server(modbus_server::kind::tcp, false);
    server.set_register(H, 0, 42);
    modbus_harness h;
    h.add(device_yaml(server));
    h.start();
    REQUIRE(wait_until([&] { return h.is("dev", false); }, 10s));
    const auto down = h.statuses("dev");
    CHECK(down[0].error ==
          "connect to 127.0.0.1:" + std::to_string(server.port()) + ": Connection refused");
    REQUIRE(h.wait_reading("dev", "a", quality::bad));

    server.start();
    REQUIRE(h.wait_reading("dev", "a", quality::good, std::uint64_t{42}));
    CHECK(h.is("dev", true));
    CHECK(h.statuses("dev").size() == 2);
    CHECK(bad_readings(h, "a") == 1);
}

TEST_CASE("a server restarted mid-run: the driver reconnects by itself") {
    modbus_server server;
    server.set_register(H, 0, 1);
    modbus_harness h;
    h.add(device_yaml(server));
    h.start();
    REQUIRE(h.wait_reading("dev", "a", quality::good, std::uint64_t{1}));

    server.stop();
    REQUIRE(wait_until([&] { return h.is("dev", false); }, 10s));
    server.set_register(H, 0, 2);
    server.start();
    REQUIRE(h.wait_reading("dev", "a", quality::good, std::uint64_t{2}));
    CHECK(h.is("dev", true));
    CHECK(server.connections() == 2);
}

TEST_CASE("a restart between two polls costs nothing: a proven connection is reopened at once") {
    modbus_server server;
    server.set_register(H, 0, 1);
    modbus_harness h;
    h.add(device_yaml(server));
    h.start();
    REQUIRE(h.wait_reading("dev", "a", quality::good, std::uint64_t{1}));
    const auto polls = server.request_count();
    server.stop();
    server.set_register(H, 0, 2);
    server.start();
    REQUIRE(h.wait_reading("dev", "a", quality::good, std::uint64_t{2}));
    CHECK(server.request_count() > polls);
    CHECK(h.statuses("dev").size() == 1);  // never offline
    CHECK(bad_readings(h, "a") == 0);
}

TEST_CASE("exception responses: points bad once, the device stays online") {
    modbus_server server;
    modbus_harness h;
    h.add(device_yaml(server));
    fault_and_recovery(server, h, fault::exception, true, "");
}

TEST_CASE("gateway exception 0B (target device failed to respond): the device is offline") {
    modbus_server server;
    modbus_harness h;
    h.add(device_yaml(server));
    fault_and_recovery(server, h, fault::exception, false,
                       "exception 0B (Target device failed to respond)", 0x0B);
}

TEST_CASE("a server that accepts and never answers: timeout, bad, then good again") {
    modbus_server server;
    modbus_harness h;
    h.add(device_yaml(server));
    fault_and_recovery(server, h, fault::silent, false, "no answer within 100ms");
}

TEST_CASE("replies with a wrong transaction id are never taken for the answer") {
    modbus_server server;
    modbus_harness h;
    h.add(device_yaml(server));
    fault_and_recovery(server, h, fault::wrong_transaction_id, false, "bad reply (Invalid data)");
}

TEST_CASE("a truncated reply: timeout, bad, then good again") {
    modbus_server server;
    modbus_harness h;
    h.add(device_yaml(server));
    fault_and_recovery(server, h, fault::truncated, false, "no answer within 100ms");
}

TEST_CASE("a late reply is not taken for the next answer") {
    modbus_server server;
    modbus_harness h;
    h.add(device_yaml(server));
    server.set_register(H, 0, 666);
    server.set_fault(fault::late, -1, 0, 150ms);
    h.start();
    REQUIRE(wait_until([&] { return h.is("dev", false); }, 10s));
    REQUIRE(wait_until([&] { return server.request_count() >= 3; }, 10s));
    server.set_register(H, 0, 1);
    server.set_fault(fault::none);
    REQUIRE(h.wait_reading("dev", "a", quality::good, std::uint64_t{1}));
    h.stop();
    for (const auto& r : h.readings("dev", "a")) CHECK(r.value != value(std::uint64_t{666}));
}

TEST_CASE(
    "two unit ids on one endpoint share one connection; a silent one does not stop the "
    "other") {
    modbus_server server;
    server.set_register(H, 0, 5);
    server.set_fault(fault::silent, 2);
    modbus_harness h;
    h.add(device_yaml(server));
    std::string second = device_yaml(server, "100ms", "2");
    second.replace(second.find("name: dev"), 9, "name: other");
    h.add(second);
    h.start();
    REQUIRE(wait_until([&] { return h.is("other", false); }, 10s));
    const auto before = h.readings("dev", "a").size();
    REQUIRE(wait_until([&] { return h.readings("dev", "a").size() >= before + 10; }, 10s));
    h.stop();
    CHECK(h.is("dev", true));
    CHECK(server.connections() == 1);
}

TEST_CASE("stop() returns within about one timeout while the device hangs") {
    modbus_server server;
    server.set_fault(fault::silent);
    modbus_harness h;
    h.add(device_yaml(server, "1s"));
    h.start();
    REQUIRE(wait_until([&] { return server.request_count() >= 1; }, 10s));
    const auto took = h.stop();
    CHECK(took < 1500ms);
    const auto delivered = h.total();
    server.set_fault(fault::none);
    CHECK(h.total() == delivered);
}
