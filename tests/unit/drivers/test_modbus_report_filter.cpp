// Report by exception: deadband, heartbeat, and bad quality once per transition.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "drivers/modbus/report_filter.hpp"

using namespace edgegate;
using namespace std::chrono_literals;

namespace {

const report_filter::clock::time_point t0{};

}  // namespace

TEST_CASE("without a deadband every good read is published, a failure once") {
    report_filter f(std::nullopt, 60s);
    CHECK(f.good(1.0, t0));
    CHECK(f.good(1.0, t0 + 1s));
    CHECK(f.bad());
    CHECK_FALSE(f.bad());
    CHECK_FALSE(f.bad());
    CHECK(f.good(1.0, t0 + 3s));
    CHECK(f.bad());
}

TEST_CASE("a deadband publishes changes beyond it, heartbeats, and recoveries") {
    report_filter f(0.5, 10s);
    CHECK(f.good(20.0, t0));
    CHECK_FALSE(f.good(20.4, t0 + 1s));
    CHECK_FALSE(f.good(20.5, t0 + 2s));  // not more than the deadband
    CHECK(f.good(20.6, t0 + 3s));
    // Measured from the last published value, so a slow drift is reported too.
    CHECK_FALSE(f.good(20.9, t0 + 4s));
    CHECK(f.good(21.2, t0 + 5s));
    CHECK_FALSE(f.good(21.2, t0 + 14s));
    CHECK(f.good(21.2, t0 + 15s));  // heartbeat: 10 s since the last publication
    CHECK(f.bad());
    CHECK(f.good(21.2, t0 + 16s));  // the first good read after a bad one
    CHECK_FALSE(f.good(21.2, t0 + 17s));
}

TEST_CASE("deadband 0: any change; integers compare exactly, bools and strings by value") {
    report_filter i(0.0, 60s);
    CHECK(i.good(std::int64_t{9007199254740992}, t0));
    CHECK(i.good(std::int64_t{9007199254740993}, t0 + 1s));  // equal as doubles
    CHECK_FALSE(i.good(std::int64_t{9007199254740993}, t0 + 2s));
    report_filter b(0.0, 60s);
    CHECK(b.good(true, t0));
    CHECK_FALSE(b.good(true, t0 + 1s));
    CHECK(b.good(false, t0 + 2s));
    report_filter s(0.0, 60s);
    CHECK(s.good(std::string("A"), t0));
    CHECK_FALSE(s.good(std::string("A"), t0 + 1s));
    CHECK(s.good(std::string("B"), t0 + 2s));
}

TEST_CASE("NaN: turning NaN or back is a change, NaN to NaN is not") {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    report_filter f(1.0, 60s);
    CHECK(f.good(1.0, t0));
    CHECK(f.good(nan, t0 + 1s));
    CHECK_FALSE(f.good(nan, t0 + 2s));
    CHECK(f.good(1.0, t0 + 3s));
}
