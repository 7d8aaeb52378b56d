#include <doctest/doctest.h>

#include <cmath>

#include "drivers/simulated/signal.hpp"

using namespace edgegate;
using namespace std::chrono_literals;

namespace {

signal_spec spec(signal_shape shape) {
    signal_spec s;
    s.name = "p";
    s.shape = shape;
    s.min = 10;
    s.max = 20;
    s.period = 4s;
    s.seed = 42;
    return s;
}

}  // namespace

TEST_CASE("sine, ramp and square follow the period, sampled at n x poll") {
    signal_generator sine(spec(signal_shape::sine), 1s);
    CHECK(std::get<double>(sine.next()) == doctest::Approx(15));  // t=0: the middle
    CHECK(std::get<double>(sine.next()) == doctest::Approx(20));  // t=1s: a quarter period
    CHECK(std::get<double>(sine.next()) == doctest::Approx(15));
    CHECK(std::get<double>(sine.next()) == doctest::Approx(10));

    signal_generator ramp(spec(signal_shape::ramp), 1s);
    CHECK(std::get<double>(ramp.next()) == doctest::Approx(10));
    CHECK(std::get<double>(ramp.next()) == doctest::Approx(12.5));

    signal_generator square(spec(signal_shape::square), 1s);
    CHECK(std::get<bool>(square.next()));
    CHECK(std::get<bool>(square.next()));
    CHECK_FALSE(std::get<bool>(square.next()));
    CHECK_FALSE(std::get<bool>(square.next()));
    CHECK(std::get<bool>(square.next()));
}

TEST_CASE("counter is an exact integer starting at min") {
    signal_generator c(spec(signal_shape::counter), 1ms);
    for (std::int64_t i = 0; i < 5; ++i) CHECK(std::get<std::int64_t>(c.next()) == 10 + i);
}

TEST_CASE("random_walk stays within [min, max] and a seed repeats the run exactly") {
    signal_generator a(spec(signal_shape::random_walk), 1s);
    signal_generator b(spec(signal_shape::random_walk), 1s);
    for (int i = 0; i < 1000; ++i) {
        const double va = std::get<double>(a.next());
        CHECK(va >= 10);
        CHECK(va <= 20);
        CHECK(va == std::get<double>(b.next()));
    }
}

TEST_CASE("noise has roughly the configured standard deviation") {
    auto s = spec(signal_shape::constant);
    s.constant = 5;
    s.noise = 0.5;
    signal_generator g(s, 1s);
    double sum = 0, sq = 0;
    const int n = 20000;
    for (int i = 0; i < n; ++i) {
        const double v = std::get<double>(g.next()) - 5;
        sum += v;
        sq += v * v;
    }
    CHECK(std::abs(sum / n) < 0.02);
    CHECK(std::sqrt(sq / n) == doctest::Approx(0.5).epsilon(0.05));
}
