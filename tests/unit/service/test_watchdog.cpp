// The systemd watchdog against a NOTIFY_SOCKET of the test's own: keep-alives only while every
// watched thread makes progress.
#include <doctest/doctest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <sstream>

#include "gateway/service/watchdog.hpp"
#include "tests/helpers/temp_dir.hpp"
#include "tests/helpers/wait.hpp"
#include "tests/unit/service/env_guard.hpp"
#include "tests/unit/service/notify_listener.hpp"

using namespace edgegate;
using namespace edgegate::test;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

namespace {

constexpr auto period = 400ms;

// Routes spdlog's default logger into a string for one test. Read it once the threads that
// log are done.
class log_capture {
  public:
    log_capture()
        : previous_(spdlog::default_logger()),
          logger_(std::make_shared<spdlog::logger>(
              "capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(out_, true))) {
        spdlog::set_default_logger(logger_);
    }
    ~log_capture() { spdlog::set_default_logger(previous_); }

    std::string text() {
        logger_->flush();
        return out_.str();
    }

  private:
    std::ostringstream out_;
    std::shared_ptr<spdlog::logger> previous_;
    std::shared_ptr<spdlog::logger> logger_;
};

std::size_t count_of(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) {
        ++n;
    }
    return n;
}

progress_probe always_busy(std::string name) {
    return {std::move(name), [] { return steady::now(); }};
}

}  // namespace

TEST_CASE("the watchdog period comes from WATCHDOG_USEC when it is meant for this process") {
    SUBCASE("set and no WATCHDOG_PID") {
        env_guard env({{"WATCHDOG_USEC", "30000000"}, {"WATCHDOG_PID", std::nullopt}});
        CHECK(watchdog::period_from_environment() == std::chrono::seconds(30));
    }
    SUBCASE("WATCHDOG_PID names this process") {
        env_guard env({{"WATCHDOG_USEC", "2000000"}, {"WATCHDOG_PID", std::to_string(::getpid())}});
        CHECK(watchdog::period_from_environment() == std::chrono::seconds(2));
    }
    SUBCASE("WATCHDOG_PID names another process") {
        env_guard env(
            {{"WATCHDOG_USEC", "2000000"}, {"WATCHDOG_PID", std::to_string(::getpid() + 1)}});
        CHECK_FALSE(watchdog::period_from_environment());
    }
    SUBCASE("no watchdog configured") {
        env_guard env({{"WATCHDOG_USEC", std::nullopt}, {"WATCHDOG_PID", std::nullopt}});
        CHECK_FALSE(watchdog::period_from_environment());
    }
}

TEST_CASE("keep-alives go out while every thread progresses and stop when one stalls") {
    temp_dir dir;
    notify_listener sd(dir.file("notify"));
    env_guard env({{"NOTIFY_SOCKET", sd.path()}});
    log_capture log;

    std::atomic<bool> stalled{false};
    std::atomic<steady::time_point> stalled_at{};
    watchdog dog(period,
                 {always_busy("pipeline"),
                  {"forwarder", [&] { return stalled ? stalled_at.load() : steady::now(); }}});

    // Every period/2: several within a few periods.
    for (int i = 0; i < 4; ++i) REQUIRE(sd.wait_for("WATCHDOG=1", 2 * period));

    stalled_at = steady::now();
    stalled = true;
    // A few keep-alives may still go out while the stall is younger than the period; then
    // silence.
    steady::time_point last_ping = stalled_at.load();
    const auto give_up = steady::now() + 10 * period;
    bool silent = false;
    while (!silent && steady::now() < give_up) {
        const auto m = sd.receive(3 * period);
        silent = !m;
        if (m == "WATCHDOG=1") last_ping = steady::now();
    }
    REQUIRE_MESSAGE(silent, "keep-alives went on after a stall");
    CHECK(last_ping - stalled_at.load() < period + period / 2);
    CHECK(count_of(log.text(), "the forwarder thread has made no progress") == 1);
    CHECK(count_of(log.text(), "pipeline") == 0);
}

TEST_CASE("no keep-alive goes out after stop") {
    temp_dir dir;
    notify_listener sd(dir.file("notify"));
    env_guard env({{"NOTIFY_SOCKET", sd.path()}});

    watchdog dog(period, {always_busy("pipeline"), always_busy("forwarder")});
    REQUIRE(sd.wait_for("WATCHDOG=1", 2 * period));
    dog.stop();
    while (sd.receive(0ms)) {
    }
    CHECK_FALSE(sd.receive(2 * period));
}

TEST_CASE("the stalled probe is the first one that made no progress within the limit") {
    const auto now = steady::now();
    const std::vector<progress_probe> probes{
        {"pipeline", [now] { return now - 100ms; }},
        {"forwarder", [now] { return now - 5s; }},
        {"other", [now] { return now - 10s; }},
    };
    const auto* stuck = stalled_probe(probes, now, 1s);
    REQUIRE(stuck != nullptr);
    CHECK(stuck->name == "forwarder");
    CHECK(stalled_probe(probes, now, 30s) == nullptr);
}
