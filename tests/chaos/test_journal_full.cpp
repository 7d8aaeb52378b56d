// Scenario 5, first form: the journal reaches its `max_bytes` (1 MiB) while the broker is down
// (see disk_full.hpp for what is asserted).
#include "tests/chaos/disk_full.hpp"
#include "tests/helpers/modbus_server.hpp"

using namespace edgegate;
using namespace edgegate::test;
using namespace edgegate::test::chaos;

TEST_CASE("journal at max_bytes: drops counted and announced and alerts kept and service resumes") {
    temp_dir dir;
    mosquitto_broker broker;
    modbus_server meter;
    mqtt_subscriber sub(broker.uri(), "edgegate/chaos-gw/#", "chaos-sub");
    // SIGTERM: the broker saves the subscriber's session, which collects from the first event.
    broker.stop();
    scenario_setup s{dir.path(), broker.uri()};
    s.modbus = {{"meter", meter.port(), 4, "20ms"}};
    s.sim_poll = "5ms";
    s.max_bytes = "1MiB";
    add_alerting_point(s);
    const std::string journal = journal_file(s);
    auto gw = start_gateway(write_config(s), dir.file("gateway.log"));
    fill_drop_and_recover("journal at max_bytes 1MiB", broker, sub, gw, journal, [] {});
}
