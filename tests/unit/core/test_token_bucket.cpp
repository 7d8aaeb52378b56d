#include <doctest/doctest.h>

#include "gateway/core/token_bucket.hpp"

using namespace edgegate;
using namespace std::chrono_literals;

TEST_CASE("a token bucket starts full, refills at its rate and never beyond its burst") {
    const auto t0 = token_bucket::clock::time_point{} + 1h;
    token_bucket b(100, 100, t0);
    CHECK(b.available(t0) == 100);
    CHECK(b.take(t0, 100));
    CHECK_FALSE(b.take(t0));
    CHECK(b.available(t0) == 0);
    // 100 a second: one every 10 ms.
    CHECK(b.ready_at(t0) == t0 + 10ms);
    CHECK(b.ready_at(t0, 64) == t0 + 640ms);
    CHECK(b.available(t0 + 9ms) == 0);
    CHECK(b.available(t0 + 10ms) == 1);
    CHECK(b.available(t0 + 255ms) == 25);
    CHECK_FALSE(b.take(t0 + 255ms, 26));
    CHECK(b.take(t0 + 255ms, 25));
    CHECK(b.available(t0 + 255ms) == 0);
    // A long idle moment fills it up to the burst, no more.
    CHECK(b.available(t0 + 1h) == 100);
    CHECK(b.ready_at(t0 + 1h) == t0 + 1h);
}

TEST_CASE("a token bucket's time does not run backwards") {
    const auto t0 = token_bucket::clock::time_point{} + 1h;
    token_bucket b(10, 1, t0);
    CHECK(b.take(t0));
    CHECK(b.available(t0 - 1s) == 0);
    CHECK(b.ready_at(t0) == t0 + 100ms);
}
