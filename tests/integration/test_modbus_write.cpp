// Writes to Modbus devices (MQTT commands, driver side) against the in-process libmodbus
// server: what lands in the server's registers, which function codes carry it, the echo and
// read-back checks, and failures (refusals, exceptions, a server that is down, a stop).
#include <doctest/doctest.h>

#include <algorithm>
#include <bit>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "drivers/registry.hpp"
#include "gateway/core/diagnostics.hpp"
#include "gateway/core/yaml_section.hpp"
#include "tests/helpers/modbus_server.hpp"
#include "tests/helpers/wait.hpp"
#include "tests/integration/modbus_fixture.hpp"

using namespace edgegate;
using namespace edgegate::test;
using namespace std::chrono_literals;

namespace {

constexpr auto H = modbus_table::holding;
constexpr auto C = modbus_table::coil;
using fault = modbus_server::fault;
using regs = std::vector<std::uint16_t>;
using request = modbus_server::request;

std::string device_yaml(const modbus_server& server, const std::string& name,
                        const std::string& points, const std::string& extra = "") {
    std::string link = "host: 127.0.0.1\nport: " + std::to_string(server.port()) + "\n";
    if (server.describe().starts_with("rtu-over-tcp")) {
        link = "transport: rtu-over-tcp\n" + link;
    } else if (server.describe().starts_with("rtu:")) {
        link = "transport: rtu\nserial: " + server.serial() + "\nbaud: 115200\nparity: none\n";
    }
    return "name: " + name + "\ndriver: modbus\n" + link +
           "poll: 200ms\ntimeout: 500ms\nreconnect: { min: 50ms, max: 200ms }\n" + extra +
           "points:\n" + points;
}

// A started Modbus driver built from YAML as the gateway builds it; its readings are dropped.
class device {
  public:
    explicit device(const std::string& yaml) : driver_(modbus_driver_of(yaml)) {
        driver_->start([](ingest_item&&) { return true; });
    }
    ~device() { driver_->stop(); }
    device(const device&) = delete;
    device& operator=(const device&) = delete;

    driver& get() { return *driver_; }

    // check_write, then write; waits for the result.
    write_result write(const std::string& point, const value& v) {
        const auto refusal = driver_->check_write(point, v);
        REQUIRE_MESSAGE(!refusal, *refusal);
        const auto pending = write_async(point, v);
        REQUIRE(wait_until([&] { return pending->done(); }, 10s));
        return pending->get();
    }

    struct pending {
        std::mutex mutex;
        std::optional<write_result> result;
        int calls = 0;
        bool done() {
            std::lock_guard lock(mutex);
            return result.has_value();
        }
        write_result get() {
            std::lock_guard lock(mutex);
            return *result;
        }
    };

    // write without waiting: the result arrives in the returned object.
    std::shared_ptr<pending> write_async(const std::string& point, const value& v) {
        auto p = std::make_shared<pending>();
        driver_->write(point, v, [p](write_result r) {
            std::lock_guard lock(p->mutex);
            p->result = std::move(r);
            ++p->calls;
        });
        return p;
    }

    void stop() { driver_->stop(); }

  private:
    std::unique_ptr<driver> driver_;
};

// The write requests the server received (function codes 5, 6, 15, 16).
std::vector<request> writes(const modbus_server& server) {
    auto all = server.requests();
    std::erase_if(all, [](const request& r) { return r.function < 5; });
    return all;
}

}  // namespace

TEST_CASE("a float32 write in each byte order lands as the right registers") {
    modbus_server server;
    const std::string orders[] = {"ABCD", "DCBA", "BADC", "CDAB"};
    std::string points;
    for (int i = 0; i < 4; ++i) {
        points += "  - { name: f_" + orders[i] + ", address: " + std::to_string(10 * i) +
                  ", type: float32, order: " + orders[i] + ", writable: true }\n";
    }
    device d(device_yaml(server, "dev", points));
    for (int i = 0; i < 4; ++i) {
        CAPTURE(orders[i]);
        const write_result r = d.write("f_" + orders[i], -273.15);
        CHECK(r.ok);
        CHECK(r.error.empty());
        CHECK(r.value == value(-273.15));
        CHECK(server.registers(H, 10 * i, 2) ==
              wire32(orders[i], std::bit_cast<std::uint32_t>(-273.15f)));
    }
    CHECK(writes(server) ==
          std::vector<request>{{1, 16, 0, 2}, {1, 16, 10, 2}, {1, 16, 20, 2}, {1, 16, 30, 2}});
}

TEST_CASE("an int16 with scale and offset lands as its raw value; the result is read back") {
    modbus_server server;
    device d(device_yaml(server, "dev",
                         "  - { name: sp, address: 7, type: int16, scale: 0.1, offset: -10, "
                         "writable: true, min: -20, max: 60 }\n"));
    write_result r = d.write("sp", 21.5);
    CHECK(r.ok);
    CHECK(server.registers(H, 7) == regs{315});
    CHECK(r.value == value(21.5));
    // Rounded to the nearest raw value: -13.26 -> -32.6 -> -33, read back as -13.3.
    r = d.write("sp", -13.26);
    CHECK(r.ok);
    CHECK(server.registers(H, 7) == regs{static_cast<std::uint16_t>(-33)});
    CHECK(r.value == value(-13.3));
    CHECK(writes(server) == std::vector<request>{{1, 6, 7, 1}, {1, 6, 7, 1}});
}

TEST_CASE("coils use FC05 and registers FC06; with write_multiple FC15 and FC16") {
    modbus_server server;
    const std::string points =
        "  - { name: relay, table: coil, address: 3, writable: true }\n"
        "  - { name: level, address: 5, writable: true }\n";
    device single(device_yaml(server, "single", points));
    device multiple(device_yaml(server, "multiple",
                                "  - { name: relay, table: coil, address: 4, writable: true }\n"
                                "  - { name: level, address: 6, writable: true }\n",
                                "unit_id: 2\nwrite_multiple: true\n"));

    write_result r = single.write("relay", true);
    CHECK(r.ok);
    CHECK(r.value == value(true));
    CHECK(server.bit(C, 3));
    CHECK(single.write("level", std::int64_t{4242}).value == value(std::uint64_t{4242}));
    CHECK(server.registers(H, 5) == regs{4242});

    r = multiple.write("relay", true);
    CHECK(r.ok);
    CHECK(server.bit(C, 4));
    CHECK(multiple.write("relay", false).ok);
    CHECK_FALSE(server.bit(C, 4));
    CHECK(multiple.write("level", std::int64_t{7}).ok);
    CHECK(server.registers(H, 6) == regs{7});

    CHECK(writes(server) ==
          std::vector<request>{
              {1, 5, 3, 1}, {1, 6, 5, 1}, {2, 15, 4, 1}, {2, 15, 4, 1}, {2, 16, 6, 1}});
    CHECK(single.write("relay", false).ok);
    CHECK_FALSE(server.bit(C, 3));
}

TEST_CASE("refused writes send nothing and leave the registers unchanged") {
    modbus_server server;
    server.set_register(H, 0, 1234);
    server.set_bit(C, 0, true);
    device d(device_yaml(server, "dev",
                         "  - { name: sp, address: 0, writable: true, max: 2000 }\n"
                         "  - { name: relay, table: coil, address: 0, writable: true }\n"
                         "  - { name: ro, address: 1 }\n"));
    driver& drv = d.get();
    CHECK(drv.check_write("sp", std::int64_t{2001}) == "2001 is above max (2000)");
    CHECK(drv.check_write("sp", std::int64_t{-1}) == "-1 is out of range for uint16 (0..65535)");
    CHECK(drv.check_write("sp", true) ==
          "wrong type: a uint16 point takes a number, got a boolean");
    CHECK(drv.check_write("relay", std::int64_t{0}) ==
          "wrong type: a coil takes true or false, got a number");
    CHECK(drv.check_write("ro", std::int64_t{0}).has_value());
    CHECK(drv.check_write("nope", std::int64_t{0}).has_value());
    // write() checks again: a refused value is never queued.
    const auto p = d.write_async("sp", std::int64_t{2001});
    REQUIRE(p->done());
    CHECK(p->get().error == "not written: 2001 is above max (2000)");

    // Polls keep going meanwhile; when they have read the registers several times, still no
    // write has been sent.
    REQUIRE(wait_until([&] { return server.request_count() >= 4; }, 10s));
    CHECK(writes(server).empty());
    CHECK(server.registers(H, 0) == regs{1234});
    CHECK(server.bit(C, 0));
}

TEST_CASE("an exception reply, a wrong echo and a value the device ignores are errors") {
    modbus_server server;
    device d(device_yaml(server, "dev",
                         "  - { name: sp, address: 0, writable: true }\n"
                         "  - { name: big, address: 2, type: uint32, writable: true }\n"));

    server.set_fault(fault::exception, -1, 2);
    write_result r = d.write("sp", std::int64_t{5});
    CHECK_FALSE(r.ok);
    CHECK(r.error == "write failed: exception 02 (Illegal data address)");
    CHECK_FALSE(r.value);
    CHECK(server.registers(H, 0) == regs{0});

    // libmodbus itself would take any FC06 reply for a good one.
    server.set_fault(fault::bad_echo);
    r = d.write("sp", std::int64_t{5});
    CHECK_FALSE(r.ok);
    CHECK(r.error ==
          "write failed: bad reply (the echo says address 0 value 6, the request was address 0 "
          "value 5)");
    r = d.write("big", std::int64_t{70000});
    CHECK_FALSE(r.ok);
    CHECK(r.error ==
          "write failed: bad reply (the echo says address 2 quantity 3, the request was "
          "address 2 quantity 2)");

    server.set_fault(fault::ignore_writes);
    server.set_register(H, 0, 9);
    r = d.write("sp", std::int64_t{10});
    CHECK_FALSE(r.ok);
    CHECK(r.error == "device holds 9 after writing 10");
    CHECK(r.value == value(std::uint64_t{9}));

    server.set_fault(fault::none);
    r = d.write("sp", std::int64_t{10});
    CHECK(r.ok);
    CHECK(r.value == value(std::uint64_t{10}));
}

TEST_CASE("a write while the server is down fails; writes work again once it is back") {
    modbus_server server;
    device d(device_yaml(server, "dev", "  - { name: sp, address: 0, writable: true }\n"));
    REQUIRE(d.write("sp", std::int64_t{1}).ok);

    server.stop();
    write_result r = d.write("sp", std::int64_t{2});
    CHECK_FALSE(r.ok);
    CAPTURE(r.error);
    // The connection was either already closed by a poll (then it cannot be reopened) or is
    // found broken by the write itself.
    CHECK((r.error.starts_with("not written: connect to 127.0.0.1:") ||
           r.error.starts_with("write failed: connection lost")));
    // Later writes find it closed and try to open it, once each.
    r = d.write("sp", std::int64_t{3});
    CHECK(r.error.starts_with("not written: connect to 127.0.0.1:"));

    server.start();
    CHECK(server.registers(H, 0) == regs{1});
    r = d.write("sp", std::int64_t{4});
    CHECK(r.ok);
    CHECK(server.registers(H, 0) == regs{4});
}

TEST_CASE("writes still queued when the device stops fail as not written") {
    modbus_server server;
    server.set_fault(fault::silent);
    device d(device_yaml(server, "dev", "  - { name: sp, address: 0, writable: true }\n"));
    const auto first = d.write_async("sp", std::int64_t{1});
    REQUIRE(wait_until([&] { return !writes(server).empty(); }, 10s));
    const auto second = d.write_async("sp", std::int64_t{2});
    d.stop();
    // stop() waited for the write in progress; the queued one never went out.
    REQUIRE(first->done());
    REQUIRE(second->done());
    CHECK(first->get().error == "write failed: no answer within 500ms");
    CHECK(second->get().error == "not written: device 'dev' was stopped before the write was sent");
    CHECK(first->calls == 1);
    CHECK(second->calls == 1);
    CHECK(writes(server).size() == 1);
}

TEST_CASE("RTU framing: writes over RTU-over-TCP and a serial line check CRC and echo") {
    for (const auto kind : {modbus_server::kind::rtu_over_tcp, modbus_server::kind::rtu}) {
        modbus_server server(kind);
        CAPTURE(server.describe());
        device d(device_yaml(server, "dev",
                             "  - { name: relay, table: coil, address: 1, writable: true }\n"
                             "  - { name: f, address: 2, type: float32, order: CDAB, writable: "
                             "true }\n"
                             "  - { name: sp, address: 8, type: int16, writable: true }\n"));
        CHECK(d.write("relay", true).ok);
        CHECK(server.bit(C, 1));
        CHECK(d.write("f", 21.5).value == value(21.5));
        CHECK(server.registers(H, 2, 2) == regs{0x0000, 0x41AC});
        CHECK(d.write("sp", std::int64_t{-2}).value == value(std::int64_t{-2}));
        CHECK(server.registers(H, 8) == regs{0xFFFE});
        server.set_fault(fault::bad_echo);
        CHECK(d.write("sp", std::int64_t{3}).error ==
              "write failed: bad reply (the echo says address 8 value 4, the request was "
              "address 8 value 3)");
        CHECK(writes(server) ==
              std::vector<request>{{1, 5, 1, 1}, {1, 16, 2, 2}, {1, 6, 8, 1}, {1, 6, 8, 1}});
    }
}
