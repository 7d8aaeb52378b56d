// Scenario 3: the gateway is SIGKILLed 20 times at random moments (start-up included) and
// restarted on the same journal, with `durability: full`. After every kill the journal passes
// `PRAGMA integrity_check`, and in the end every committed seq arrives at the subscriber: the
// broker is never touched, so the assertion is exact (zero lost).
#include <signal.h>

#include <random>
#include <thread>

#include "tests/chaos/scenario.hpp"
#include "tests/helpers/modbus_server.hpp"
#include "tests/helpers/mosquitto.hpp"

using namespace edgegate;
using namespace edgegate::test;
using namespace edgegate::test::chaos;

TEST_CASE("gateway SIGKILLed 20 times: the journal stays intact and no committed seq is lost") {
    temp_dir dir;
    mosquitto_broker broker;
    modbus_server meter;
    scenario_setup s{dir.path(), broker.uri()};
    s.modbus = {{"meter", meter.port(), 4, "10ms"}};
    s.durability = "full";
    const std::string config = write_config(s);
    const std::string journal = journal_file(s);
    const std::string log = dir.file("gateway.log");
    mqtt_subscriber sub(broker.uri(), "edgegate/chaos-gw/#", "chaos-sub");

    const auto seed = std::random_device{}();
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> after_ms(100, 1500);
    MESSAGE("kill moments from seed " << seed);
    std::vector<std::int64_t> at_kill;
    for (int k = 0; k < 20; ++k) {
        auto gw = start_gateway(config, log);
        // The schedule itself: a random moment after the start, not a condition.
        std::this_thread::sleep_for(std::chrono::milliseconds(after_ms(rng)));
        gw.signal(SIGKILL);
        REQUIRE(gw.wait_exit(10s) == 128 + SIGKILL);
        if (!std::filesystem::exists(journal)) continue;  // killed before it made the file
        std::optional<journal_reader> reader;
        try {
            reader.emplace(journal);
        } catch (const journal_error& e) {
            // Killed while it was creating the schema: the next start completes it. Any other
            // refusal is a damaged journal.
            REQUIRE_MESSAGE(std::string(e.what()).find("an empty database") != std::string::npos,
                            "after kill " << k + 1 << ": " << e.what());
            continue;
        }
        const std::string integrity = reader->integrity_check();
        CHECK_MESSAGE(integrity == "ok", "after kill " << k + 1 << ": " << integrity);
        at_kill.push_back(reader->read_stats().last_seq);
    }
    REQUIRE(!at_kill.empty());

    auto gw = start_gateway(config, log);
    const std::int64_t before = committed(journal);
    REQUIRE(wait_until([&] { return committed(journal) > before + 5000; }, 60s, 100ms));
    const std::int64_t target = committed(journal);
    std::vector<std::int64_t> checked;
    for (const auto seq : all_of(stored_seqs(journal))) {
        if (seq <= target) checked.push_back(seq);
    }
    CHECK(all_arrived(sub, checked, 90s));
    gw.signal(SIGTERM);
    CHECK(gw.wait_exit(15s) == 0);

    const auto report = check_delivery(sub, checked);
    std::string kills = "committed at each kill:";
    for (const auto c : at_kill) kills += " " + std::to_string(c);
    print_report("gateway SIGKILL x20", report, kills);
    CHECK(static_cast<std::int64_t>(checked.size()) == target);
    CHECK(report.lost.empty());
}
