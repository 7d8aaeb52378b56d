#include <doctest/doctest.h>

#include "rules/glob.hpp"
#include "rules/rate_window.hpp"

using namespace edgegate;
using namespace std::chrono_literals;

TEST_CASE("globs: '*' is any run of characters, everything else matches itself") {
    CHECK(glob_match("boiler", "boiler"));
    CHECK_FALSE(glob_match("boiler", "boiler2"));
    CHECK_FALSE(glob_match("boiler", "Boiler"));
    CHECK(glob_match("*", ""));
    CHECK(glob_match("*", "anything"));
    CHECK(glob_match("boil*", "boil"));
    CHECK(glob_match("boil*", "boiler"));
    CHECK(glob_match("*er", "boiler"));
    CHECK(glob_match("t*_*", "temp_1"));
    CHECK_FALSE(glob_match("t*_*", "temp1"));
    CHECK(glob_match("*a*b*c*", "xxaxxbxxcxx"));
    CHECK_FALSE(glob_match("*a*b*c*", "xxcxxbxxaxx"));
    CHECK(glob_match("a**b", "ab"));
    // A pathological pattern stays linear-ish instead of exponential.
    CHECK_FALSE(glob_match("*a*a*a*a*a*a*a*a*b", std::string(2000, 'a')));
    CHECK(is_glob("*/x"));
    CHECK_FALSE(is_glob("boiler"));
}

TEST_CASE("a rate is the slope over at least the window, and memory stays bounded") {
    const timestamp t0 = from_unix_ms(1767225600000);
    rate_window w(10s);
    CHECK_FALSE(w.add(t0, 0));
    CHECK_FALSE(w.add(t0 + 9999ms, 5));
    const auto r = w.add(t0 + 10s, 20);
    REQUIRE(r);
    CHECK(*r == doctest::Approx(2.0));
    // Polled every millisecond for a minute: the history keeps about 64 samples per window, and
    // the rate is still the slope over the window (within the sample spacing).
    rate_window fast(10s);
    std::optional<double> last;
    for (int ms = 0; ms <= 60000; ++ms)
        last = fast.add(t0 + std::chrono::milliseconds(ms), ms * 0.001);
    REQUIRE(last);
    CHECK(*last == doctest::Approx(1.0).epsilon(0.02));
    // The clock stepped back: no rate until a new window of history.
    CHECK_FALSE(fast.add(t0, 0));
}
