#include <doctest/doctest.h>

#include <atomic>
#include <thread>

#include "gateway/pipeline/ingest_channel.hpp"
#include "tests/helpers/wait.hpp"

using namespace edgegate;
using namespace std::chrono_literals;

namespace {

reading make(std::int64_t n) { return reading{"d", "p", n, quality::good, wall_clock::now(), ""}; }

}  // namespace

TEST_CASE("a full channel holds the producer back until the consumer takes readings") {
    ingest_channel ch(4);
    std::atomic<int> pushed{0};
    std::thread producer([&] {
        for (int i = 0; i < 10; ++i) {
            if (!ch.push(make(i))) return;
            ++pushed;
        }
    });
    REQUIRE(test::wait_until([&] { return pushed == 4; }, 5s));
    // Still exactly the capacity: the fifth push is waiting, not dropped.
    std::vector<ingest_item> out;
    CHECK(ch.pop(out, 100, 0ms) == 4);
    REQUIRE(test::wait_until(
        [&] {
            ch.pop(out, 100, 0ms);
            return out.size() == 10;
        },
        5s));
    producer.join();
    for (int i = 0; i < 10; ++i)
        CHECK(std::get<std::int64_t>(std::get<reading>(out[i]).value) == i);
    CHECK(ch.refused() == 0);
}

TEST_CASE("after close what was queued can still be taken, new readings are refused and counted") {
    ingest_channel ch(8);
    REQUIRE(ch.push(make(1)));
    REQUIRE(ch.push(make(2)));
    ch.close();
    CHECK_FALSE(ch.push(make(3)));
    CHECK(ch.refused() == 1);
    CHECK_FALSE(ch.finished());
    std::vector<ingest_item> out;
    CHECK(ch.pop(out, 1, 0ms) == 1);
    CHECK(ch.pop(out, 10, 0ms) == 1);
    CHECK(ch.finished());
}

TEST_CASE("close wakes a producer blocked on a full channel") {
    ingest_channel ch(1);
    REQUIRE(ch.push(make(1)));
    std::atomic<int> result{-1};
    std::thread producer([&] { result = ch.push(make(2)) ? 1 : 0; });
    ch.close();
    producer.join();
    CHECK(result == 0);
}
