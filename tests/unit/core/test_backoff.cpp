#include <doctest/doctest.h>

#include <algorithm>
#include <vector>

#include "gateway/core/backoff.hpp"

using namespace edgegate;
using ms = std::chrono::milliseconds;

TEST_CASE("backoff delays stay within [min, ceiling] and the ceiling doubles up to max") {
    backoff b(ms(500), ms(30000), 42);
    std::vector<ms> ceilings{ms(1000),  ms(2000),  ms(4000),  ms(8000),
                             ms(16000), ms(30000), ms(30000), ms(30000)};
    for (const auto ceiling : ceilings) {
        CHECK(b.ceiling() == ceiling);
        const auto d = b.next();
        CHECK(d >= ms(500));
        CHECK(d <= ceiling);
    }
}

TEST_CASE("backoff is jittered, and deterministic for a seed") {
    backoff a(ms(500), ms(30000), 7);
    backoff b(ms(500), ms(30000), 7);
    std::vector<ms> first;
    for (int i = 0; i < 200; ++i) {
        const auto d = a.next();
        CHECK(d == b.next());
        CHECK(d >= ms(500));
        CHECK(d <= ms(30000));
        first.push_back(d);
    }
    // At the cap, 190 draws from [500, 30000] ms are not all alike.
    CHECK(std::count(first.begin() + 10, first.end(), first.back()) < 10);
}

TEST_CASE("reset starts from the bottom again") {
    backoff b(ms(100), ms(1000), 1);
    for (int i = 0; i < 10; ++i) b.next();
    CHECK(b.ceiling() == ms(1000));
    b.reset();
    CHECK(b.ceiling() == ms(200));
    CHECK(b.next() <= ms(200));
}

TEST_CASE("degenerate bounds") {
    backoff fixed(ms(250), ms(250), 3);
    for (int i = 0; i < 5; ++i) CHECK(fixed.next() == ms(250));

    backoff inverted(ms(800), ms(100), 3);  // max below min: min wins
    CHECK(inverted.next() == ms(800));

    backoff from_zero(ms(0), ms(50), 3);
    for (int i = 0; i < 20; ++i) {
        const auto d = from_zero.next();
        CHECK(d >= ms(0));
        CHECK(d <= ms(50));
    }
    CHECK(from_zero.ceiling() == ms(50));
}
