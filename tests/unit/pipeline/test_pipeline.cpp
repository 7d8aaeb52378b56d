#include <doctest/doctest.h>

#include <thread>

#include "gateway/pipeline/pipeline.hpp"
#include "tests/helpers/temp_dir.hpp"
#include "tests/helpers/wait.hpp"

using namespace edgegate;
using namespace std::chrono_literals;

namespace {

struct fixture {
    test::temp_dir dir;
    journal_section cfg;
    fixture() { cfg.path = dir.file("journal.db"); }
    journal_options options() const { return {cfg.path, false, cfg.max_bytes, cfg.max_age}; }
};

reading make(std::int64_t n) {
    return reading{"boiler", "temperature", n, quality::good, wall_clock::now(), "C"};
}

}  // namespace

TEST_CASE("durability normal: what is committed becomes durable without more readings") {
    fixture f;
    journal_writer writer(f.options());
    int durable_calls = 0;
    writer.on_durable([&] { ++durable_calls; });
    ingest_channel ch(16);
    ack_mailbox acks;
    pipeline p(f.cfg, writer, ch, acks, [] {});
    p.start("test");
    // The started event (high lane) is synced first; the readings then wait for the timer.
    REQUIRE(test::wait_until([&] { return writer.durable_seq() == 1; }, 5s));
    REQUIRE(ch.push(make(1)));
    REQUIRE(ch.push(make(2)));
    // The forwarder publishes up to durable_seq(): it must reach the last commit on its own.
    CHECK(test::wait_until([&] { return writer.durable_seq() == 3; }, 5s));
    ch.close();
    p.join();
    CHECK(writer.committed_seq() == 3);
    CHECK(durable_calls >= 1);
}

TEST_CASE("every reading accepted before close is committed, after a started event") {
    fixture f;
    f.cfg.commit_batch = 7;  // several group commits
    {
        journal_writer writer(f.options());
        ingest_channel ch(16);
        ack_mailbox acks;
        bool fatal = false;
        pipeline p(f.cfg, writer, ch, acks, [&] { fatal = true; });
        p.start("test");
        int accepted = 0;
        std::thread producer([&] {
            for (int i = 0; i < 500; ++i) accepted += ch.push(make(i)) ? 1 : 0;
        });
        producer.join();
        CHECK(accepted == 500);
        ch.close();
        p.join();
        CHECK_FALSE(fatal);
        CHECK(writer.committed_seq() == 501);
        CHECK(writer.durable_seq() == 501);  // durability normal: synced before the thread ends
    }
    journal_reader reader(f.cfg.path);
    const auto high = reader.read_after(lane::high, 0, 10);
    REQUIRE(high.size() == 1);
    CHECK(high[0].seq == 1);
    CHECK(high[0].ev.topic == "events");
    CHECK(high[0].ev.body.find("\"event\":\"started\"") != std::string::npos);
    const auto normal = reader.read_after(lane::normal, 0, 1000);
    REQUIRE(normal.size() == 500);
    for (std::size_t i = 0; i < normal.size(); ++i) {
        CHECK(normal[i].seq == static_cast<std::int64_t>(i) + 2);
        CHECK(normal[i].ev.topic == "data/boiler/temperature");
    }
    CHECK(normal[499].ev.body.find("\"value\":499") != std::string::npos);
}

TEST_CASE("acks posted by the forwarder are persisted by the pipeline thread") {
    fixture f;
    journal_writer writer(f.options());
    ingest_channel ch(16);
    ack_mailbox acks;
    pipeline p(f.cfg, writer, ch, acks, [] {});
    p.start("test");
    for (int i = 0; i < 5; ++i) REQUIRE(ch.push(make(i)));
    REQUIRE(test::wait_until([&] { return writer.committed_seq() == 6; }, 5s));
    acks.post(lane::normal, 4);
    acks.post(lane::high, 1);
    journal_reader reader(f.cfg.path);
    // No new readings: the pipeline still saves the acks while idle.
    CHECK(test::wait_until(
        [&] {
            return reader.cursor(forwarder_cursor, lane::normal) == 4 &&
                   reader.cursor(forwarder_cursor, lane::high) == 1;
        },
        5s));
    ch.close();
    p.join();
}

TEST_CASE("a driver's device status change becomes a status event in the high lane") {
    fixture f;
    {
        journal_writer writer(f.options());
        ingest_channel ch(16);
        ack_mailbox acks;
        pipeline p(f.cfg, writer, ch, acks, [] {});
        p.start("test");
        REQUIRE(ch.push(device_status{"boiler", false, "timeout \"502\"", wall_clock::now()}));
        REQUIRE(ch.push(make(1)));
        REQUIRE(ch.push(device_status{"boiler", true, "", wall_clock::now()}));
        ch.close();
        p.join();
    }
    journal_reader reader(f.cfg.path);
    const auto high = reader.read_after(lane::high, 1, 10);
    REQUIRE(high.size() == 2);
    CHECK(high[0].ev.topic == "events");
    CHECK(high[0].ev.body.find(R"("event":"device")") != std::string::npos);
    CHECK(
        high[0].ev.body.find(R"("device":"boiler","state":"offline","error":"timeout \"502\"")") !=
        std::string::npos);
    CHECK(high[1].ev.body.find(R"("state":"online")") != std::string::npos);
    CHECK(high[1].ev.body.find("error") == std::string::npos);
    CHECK(reader.read_after(lane::normal, 0, 10).size() == 1);
}
