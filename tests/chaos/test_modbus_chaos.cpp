// Scenario 7: Modbus chaos. Two Modbus TCP devices on two loopback servers (two connections,
// so two driver threads); one of them answers late, then garbage, then resets every connection,
// then disappears, then heals. The healthy device must keep its poll rate through every phase
// (measured at its server), the faulty one must go offline and come back online, and every
// committed seq must arrive (the broker is never touched: zero lost, exact).
#include <rapidjson/document.h>
#include <signal.h>

#include <thread>

#include "tests/chaos/scenario.hpp"
#include "tests/helpers/modbus_server.hpp"
#include "tests/helpers/mosquitto.hpp"

using namespace edgegate;
using namespace edgegate::test;
using namespace edgegate::test::chaos;

namespace {

using fault = modbus_server::fault;
constexpr auto phase_length = 2s;
constexpr double poll_hz = 50;  // poll: 20ms, one request per poll

// The device's online/offline events and its good readings, as received.
int device_events(const mqtt_subscriber& sub, const std::string& device, const std::string& state) {
    int n = 0;
    for (const auto& m : sub.messages()) {
        if (!m.topic.ends_with("/events")) continue;
        rapidjson::Document doc;
        doc.Parse(m.payload.c_str());
        if (doc.IsObject() && doc.HasMember("device") && doc["device"].GetString() == device &&
            doc.HasMember("state") && doc["state"].GetString() == state) {
            ++n;
        }
    }
    return n;
}

std::size_t good_readings(const mqtt_subscriber& sub, const std::string& device) {
    std::size_t n = 0;
    for (const auto& m : sub.messages()) {
        if (m.topic.find("/data/" + device + "/") != std::string::npos &&
            m.payload.find("\"quality\":\"good\"") != std::string::npos) {
            ++n;
        }
    }
    return n;
}

}  // namespace

TEST_CASE("modbus chaos on one device: the other keeps its poll rate and both recover") {
    temp_dir dir;
    mosquitto_broker broker;
    modbus_server healthy;
    modbus_server flaky;
    mqtt_subscriber sub(broker.uri(), "edgegate/chaos-gw/#", "chaos-sub");
    scenario_setup s{dir.path(), broker.uri()};
    s.sim_points = 2;
    s.sim_poll = "100ms";
    s.modbus = {{"healthy", healthy.port(), 4, "20ms", "100ms"},
                {"flaky", flaky.port(), 4, "20ms", "100ms"}};
    const std::string journal = journal_file(s);
    auto gw = start_gateway(write_config(s), dir.file("gateway.log"));
    REQUIRE(wait_until(
        [&] {
            return device_events(sub, "healthy", "online") == 1 &&
                   device_events(sub, "flaky", "online") == 1;
        },
        30s));

    // Requests the healthy device's server receives per second during one phase.
    const auto measure = [&](const std::string& phase, const std::function<void()>& begin) {
        begin();
        const auto requests = healthy.request_count();
        const auto flaky_requests = flaky.request_count();
        const auto t0 = std::chrono::steady_clock::now();
        // The phase itself lasts a set time: that is what is measured, not a condition.
        std::this_thread::sleep_for(phase_length);
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        const double rate = static_cast<double>(healthy.request_count() - requests) / seconds;
        std::cout << "chaos modbus: " << phase << ": healthy device " << std::fixed
                  << std::setprecision(1) << rate << " polls/s (configured " << poll_hz
                  << "), faulty device's server got " << flaky.request_count() - flaky_requests
                  << " requests" << std::endl;
        CHECK_MESSAGE(rate >= 0.85 * poll_hz, phase);
        return rate;
    };
    measure("both healthy", [] {});
    measure("answers late (300ms, timeout 100ms)",
            [&] { flaky.set_fault(fault::late, -1, 4, 300ms); });
    measure("answers garbage", [&] { flaky.set_fault(fault::garbage); });
    measure("resets every connection", [&] { flaky.set_fault(fault::reset); });
    measure("disappears", [&] {
        flaky.set_fault(fault::none);
        flaky.stop();
    });
    CHECK(device_events(sub, "flaky", "offline") >= 1);
    CHECK(device_events(sub, "healthy", "offline") == 0);

    const std::size_t flaky_good = good_readings(sub, "flaky");
    const auto healed = std::chrono::steady_clock::now();
    flaky.start();
    REQUIRE(wait_until([&] { return device_events(sub, "flaky", "online") >= 2; }, 30s));
    const double recovery_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - healed).count();
    REQUIRE(wait_until([&] { return good_readings(sub, "flaky") >= flaky_good + 40; }, 30s));
    measure("healed", [] {});

    const std::int64_t target = committed(journal);
    std::vector<std::int64_t> checked;
    for (const auto seq : all_of(stored_seqs(journal))) {
        if (seq <= target) checked.push_back(seq);
    }
    CHECK(all_arrived(sub, checked, 60s));
    gw.signal(SIGTERM);
    CHECK(gw.wait_exit(15s) == 0);
    const auto report = check_delivery(sub, checked);
    std::ostringstream extra;
    extra << std::fixed << std::setprecision(2) << "faulty device offline "
          << device_events(sub, "flaky", "offline") << " time(s), online again " << recovery_s
          << " s after its server returned";
    print_report("modbus chaos", report, extra.str());
    CHECK(report.lost.empty());
}
