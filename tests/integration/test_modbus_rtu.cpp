// The Modbus driver on a serial line: a libmodbus RTU server at the other end of a socat
// pseudo-terminal pair; and RTU frames over TCP.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>

#include "tests/helpers/modbus_server.hpp"
#include "tests/integration/modbus_fixture.hpp"

using namespace edgegate;
using namespace edgegate::test;
using namespace std::chrono_literals;

namespace {

constexpr auto H = modbus_table::holding;
using fault = modbus_server::fault;

std::string rtu_device(const modbus_server& server, const std::string& name, int unit,
                       const std::string& extra = "", const std::string& timeout = "100ms") {
    return "name: " + name + "\ndriver: modbus\ntransport: rtu\nserial: " + server.serial() +
           "\nbaud: 115200\nparity: none\nunit_id: " + std::to_string(unit) +
           "\npoll: 100ms\ntimeout: " + timeout + "\n" + extra +
           "points:\n  - { name: a, address: 0 }\n  - { name: f, address: 2, type: float32, "
           "order: CDAB }\n";
}

}  // namespace

TEST_CASE("RTU over a pty pair: values read, and a serial device that appears later") {
    modbus_server server(modbus_server::kind::rtu, false);
    modbus_harness h;
    h.add(rtu_device(server, "meter", 1, "reconnect: { min: 50ms, max: 200ms }\n"));
    h.start();
    REQUIRE(wait_until([&] { return h.is("meter", false); }, 10s));
    CHECK(h.statuses("meter")[0].error.starts_with("open " + server.serial() + ": "));

    server.start();
    server.set_registers(H, 0, std::vector<std::uint16_t>{321, 0, 0x0000, 0x41AC});
    REQUIRE(h.wait_reading("meter", "a", quality::good, std::uint64_t{321}));
    REQUIRE(h.wait_reading("meter", "f", quality::good, 21.5));
    CHECK(h.is("meter", true));
    h.stop();
}

TEST_CASE("two slaves on one RTU line, one never answers: the other keeps 80% of its poll rate") {
    modbus_server server(modbus_server::kind::rtu);
    server.set_fault(fault::silent, 2);
    modbus_harness h;
    // The silent slave's timeout is two of the other's poll periods: polled in turn without
    // backoff, it would halve the other's rate. Default reconnect backoff (1s..30s).
    h.add(rtu_device(server, "alive", 1));
    h.add(rtu_device(server, "silent", 2, "", "200ms"));
    h.start();
    REQUIRE(wait_until([&] { return h.is("alive", true) && h.is("silent", false); }, 10s));

    const auto t0 = modbus_harness::clock::now();
    REQUIRE(wait_until([&] { return modbus_harness::clock::now() - t0 >= 4s; }, 10s));
    const auto t1 = modbus_harness::clock::now();
    const auto times = h.arrival_times("alive", "a");
    h.stop();

    const auto in_window =
        std::count_if(times.begin(), times.end(), [&](auto t) { return t >= t0 && t < t1; });
    const double seconds = std::chrono::duration<double>(t1 - t0).count();
    const double rate = static_cast<double>(in_window) / seconds;
    MESSAGE("alive: " << in_window << " polls in " << seconds << " s = " << rate
                      << "/s (configured 10/s)");
    CHECK(rate >= 0.8 * 10);
    // The silent slave is still tried now and then, not forgotten.
    const auto requests = server.requests();
    const auto silent =
        std::count_if(requests.begin(), requests.end(), [](const auto& r) { return r.unit == 2; });
    CHECK(silent >= 2);
    CHECK(silent <= 8);
}

TEST_CASE("after an RTU timeout a late reply is flushed, not taken for the next answer") {
    modbus_server server(modbus_server::kind::rtu);
    server.set_register(H, 0, 666);
    server.set_fault(fault::late, 1, 0, 150ms);
    modbus_harness h;
    h.add(rtu_device(server, "late", 1, "reconnect: { min: 300ms, max: 400ms }\n"));
    h.start();
    REQUIRE(wait_until([&] { return h.is("late", false); }, 10s));
    REQUIRE(wait_until([&] { return server.request_count() >= 3; }, 10s));
    server.set_register(H, 0, 1);
    server.set_fault(fault::none, 1);
    REQUIRE(h.wait_reading("late", "a", quality::good, std::uint64_t{1}));
    REQUIRE(wait_until([&] { return h.readings("late", "a").size() >= 5; }, 10s));
    h.stop();
    for (const auto& r : h.readings("late", "a")) CHECK(r.value != value(std::uint64_t{666}));
}

TEST_CASE("RTU replies with a bad CRC or from another slave are refused, then good again") {
    for (const auto& [f, error] :
         {std::pair{fault::bad_crc, "bad reply (Invalid CRC)"},
          std::pair{fault::wrong_unit, "bad reply (Response not from requested slave)"}}) {
        modbus_server server(modbus_server::kind::rtu);
        server.set_register(H, 0, 5);
        modbus_harness h;
        h.add(rtu_device(server, "crc", 1, "reconnect: { min: 50ms, max: 100ms }\n"));
        h.start();
        REQUIRE(h.wait_reading("crc", "a", quality::good, std::uint64_t{5}));
        server.set_fault(f, 1);
        REQUIRE(wait_until([&] { return h.is("crc", false); }, 10s));
        CHECK(h.statuses("crc").back().error == error);
        server.set_register(H, 0, 6);
        server.set_fault(fault::none, 1);
        REQUIRE(h.wait_reading("crc", "a", quality::good, std::uint64_t{6}));
        h.stop();
        for (const auto& r : h.readings("crc", "a")) {
            if (r.quality == quality::good) {
                CHECK((r.value == value(std::uint64_t{5}) || r.value == value(std::uint64_t{6})));
            }
        }
    }
}

TEST_CASE("RTU frames over TCP: values read, a silent unit goes offline alone") {
    modbus_server server(modbus_server::kind::rtu_over_tcp);
    server.set_registers(H, 0, std::vector<std::uint16_t>{77, 0, 0x0000, 0xC2F7});
    server.set_fault(fault::silent, 9);
    modbus_harness h;
    for (const auto& [name, unit] : {std::pair{"gw1", 1}, std::pair{"gw9", 9}}) {
        h.add("name: " + std::string(name) +
              "\ndriver: modbus\ntransport: rtu-over-tcp\nhost: 127.0.0.1\nport: " +
              std::to_string(server.port()) + "\nunit_id: " + std::to_string(unit) +
              "\npoll: 50ms\ntimeout: 100ms\npoints:\n  - { name: a, address: 0 }\n"
              "  - { name: f, address: 2, type: float32, order: CDAB }\n");
    }
    h.start();
    REQUIRE(h.wait_reading("gw1", "a", quality::good, std::uint64_t{77}));
    REQUIRE(h.wait_reading("gw1", "f", quality::good, -123.5));
    REQUIRE(wait_until([&] { return h.is("gw9", false); }, 10s));
    CHECK(h.statuses("gw9").back().error == "no answer within 100ms");
    h.stop();
    CHECK(server.connections() == 1);
}
