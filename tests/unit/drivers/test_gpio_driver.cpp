// The GPIO driver's logic (debounce, edge selection, active-low, counting, reports) and its
// thread (busy lines, a missing chip, stop) against a fake line source and a fake clock: build
// machines have no GPIO hardware.
#include <doctest/doctest.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>

#include "drivers/gpio/gpio_config.hpp"
#include "drivers/gpio/gpio_driver.hpp"
#include "drivers/gpio/gpio_logic.hpp"
#include "drivers/gpio/gpiod_line_source.hpp"
#include "tests/helpers/wait.hpp"

using namespace edgegate;
using namespace std::chrono_literals;
using std::chrono::nanoseconds;

namespace {

// A clock the test moves by hand. The wall clock moves with the monotonic one.
class fake_time final : public gpio_time_source {
  public:
    nanoseconds monotonic() const override { return nanoseconds{mono_ns_.load()}; }
    timestamp wall() const override {
        return wall_start +
               std::chrono::duration_cast<wall_clock::duration>(monotonic() - mono_start);
    }
    void advance(nanoseconds d) { mono_ns_ += d.count(); }

    static constexpr nanoseconds mono_start{5'000'000'000'000};
    const timestamp wall_start = from_unix_ms(1'800'000'000'000);

  private:
    std::atomic<std::int64_t> mono_ns_{mono_start.count()};
};

// The lines of a chip as the test sets them; shared between the test and the fake source that
// the driver owns.
struct fake_chip {
    std::mutex mutex;
    std::condition_variable changed;
    std::map<unsigned, bool> levels;
    std::deque<gpio_line_event> events;
    std::map<unsigned, std::string> held_by;  // lines another process holds
    bool present = true;
    int requests = 0;
    std::vector<gpio_line_spec> requested;

    // Moves a line's physical level, as the kernel would see it, at kernel time `ts`.
    void edge(unsigned line, bool high, nanoseconds ts) {
        std::lock_guard lock(mutex);
        levels[line] = high;
        events.push_back(gpio_line_event{line, high, ts});
        changed.notify_all();
    }
};

// Behaves like the kernel: every edge of a requested input is an event (edge selection is the
// driver's), outputs start at their initial level.
class fake_line_source final : public gpio_line_source {
  public:
    explicit fake_line_source(std::shared_ptr<fake_chip> chip) : chip_(std::move(chip)) {}

    void request(const std::string& chip, const std::vector<gpio_line_spec>& lines) override {
        std::lock_guard lock(chip_->mutex);
        ++chip_->requests;
        if (!chip_->present) throw gpio_error("cannot open GPIO chip '" + chip + "': gone");
        for (const auto& l : lines) {
            const auto held = chip_->held_by.find(l.line);
            if (held != chip_->held_by.end()) {
                throw gpio_error(gpio_busy_message(chip, l.line, held->second));
            }
        }
        for (const auto& l : lines) {
            if (l.direction == gpio_direction::output) chip_->levels[l.line] = l.initial_high;
        }
        chip_->requested = lines;
    }
    std::vector<gpio_line_event> wait_events(std::chrono::milliseconds timeout) override {
        std::unique_lock lock(chip_->mutex);
        // Real time, but short: the test's clock is the fake one.
        chip_->changed.wait_for(lock, std::min(timeout, std::chrono::milliseconds(5)),
                                [this] { return !chip_->events.empty(); });
        std::vector<gpio_line_event> out(chip_->events.begin(), chip_->events.end());
        chip_->events.clear();
        return out;
    }
    bool level(unsigned line) override {
        std::lock_guard lock(chip_->mutex);
        return chip_->levels[line];
    }
    void release() override {
        std::lock_guard lock(chip_->mutex);
        chip_->requested.clear();
    }

  private:
    std::shared_ptr<fake_chip> chip_;
};

gpio_device_config parse(const std::string& points) {
    diagnostics diag("t.yaml");
    const YAML::Node node =
        YAML::Load("name: dev\ndriver: gpio\nchip: gpiochip0\npoints:\n" + points);
    yaml_section section(node, "devices[0]", diag);
    section.required_str("name");
    section.required_str("driver");
    auto cfg = parse_gpio_device("dev", section);
    REQUIRE(diag.ok());
    return cfg;
}

// The logic on its own, driven step by step.
struct bench {
    gpio_device_config cfg;
    std::shared_ptr<fake_chip> chip = std::make_shared<fake_chip>();
    fake_line_source source{chip};
    fake_time time;
    gpio_logic logic;

    explicit bench(const std::string& points) : cfg(parse(points)), logic(cfg, source, time) {
        std::vector<gpio_line_spec> specs;
        for (const auto& p : cfg.points) specs.push_back(p.spec);
        source.request(cfg.chip, specs);
    }

    nanoseconds now() const { return time.monotonic(); }
    // An edge `ago` before now, handed to the logic as the kernel would.
    std::vector<reading> edge(unsigned line, bool high, nanoseconds ago = 0ns) {
        chip->edge(line, high, now() - ago);
        std::vector<reading> out;
        for (const auto& e : source.wait_events(0ms)) {
            auto r = logic.on_event(e);
            out.insert(out.end(), r.begin(), r.end());
        }
        return out;
    }
    std::vector<reading> tick_after(nanoseconds d) {
        time.advance(d);
        return logic.on_tick();
    }
};

bool as_bool(const reading& r) { return std::get<bool>(r.value); }

}  // namespace

TEST_CASE("bounces inside the debounce window are one change, stamped at the first edge") {
    bench b("  - { name: door, line: 17, edge: both, debounce: 20ms }\n");
    const auto started = b.logic.start();
    REQUIRE(started.size() == 1);
    CHECK_FALSE(as_bool(started[0]));

    const timestamp first_edge = b.time.wall();
    CHECK(b.edge(17, true).empty());
    b.time.advance(2ms);
    CHECK(b.edge(17, false).empty());
    b.time.advance(3ms);
    CHECK(b.edge(17, true).empty());
    CHECK(b.logic.next_deadline() == b.now() + 20ms);
    // Each edge restarted the window: quiet for 19 ms is not enough.
    CHECK(b.tick_after(19ms).empty());
    const auto settled = b.tick_after(1ms);
    REQUIRE(settled.size() == 1);
    CHECK(settled[0].device == "dev");
    CHECK(settled[0].point == "door");
    CHECK(as_bool(settled[0]));
    CHECK(settled[0].ts == first_edge);

    // A glitch that ends where it started is no change at all.
    CHECK(b.edge(17, false).empty());
    b.time.advance(1ms);
    CHECK(b.edge(17, true).empty());
    CHECK(b.tick_after(30ms).empty());
}

TEST_CASE("without debounce every change is a reading at once, with the kernel's timestamp") {
    bench b("  - { name: door, line: 3 }\n");
    b.logic.start();
    b.time.advance(1s);
    const auto r = b.edge(3, true, 30ms);  // the thread picked it up 30 ms after the edge
    REQUIRE(r.size() == 1);
    CHECK(as_bool(r[0]));
    CHECK(r[0].ts == b.time.wall() - 30ms);
}

TEST_CASE("edge selects which edges make a reading") {
    bench b(
        "  - { name: up, line: 1, edge: rising }\n"
        "  - { name: down, line: 2, edge: falling }\n");
    b.chip->levels[2] = true;
    b.logic.start();
    CHECK(b.edge(1, true).size() == 1);
    CHECK(b.edge(1, false).empty());
    const auto again = b.edge(1, true);  // every rising edge is a press, not only changes
    REQUIRE(again.size() == 1);
    CHECK(again[0].point == "up");
    CHECK(b.edge(2, true).empty());
    const auto down = b.edge(2, false);
    REQUIRE(down.size() == 1);
    CHECK(down[0].point == "down");
    CHECK_FALSE(as_bool(down[0]));
}

TEST_CASE("active_low inverts the reported value, not the edges") {
    // A door contact to ground with a pull-up: high while closed.
    bench b(
        "  - { name: door_open, line: 17, active_low: true, bias: pull-up }\n"
        "  - { name: relay, line: 22, direction: output, initial: true, active_low: true }\n");
    b.chip->levels[17] = true;
    const auto started = b.logic.start();
    REQUIRE(started.size() == 2);
    CHECK_FALSE(as_bool(started[0]));
    CHECK(as_bool(started[1]));
    CHECK_FALSE(b.chip->levels[22]);  // driven low to be "on"
    const auto opened = b.edge(17, false);
    REQUIRE(opened.size() == 1);
    CHECK(as_bool(opened[0]));
}

TEST_CASE("a counter reports its total and rate every report interval, no reading per pulse") {
    bench b("  - { name: pulses, line: 27, edge: rising, count: true, report: 10s }\n");
    CHECK(b.logic.start().empty());
    for (int i = 0; i < 25; ++i) {
        CHECK(b.edge(27, true).empty());
        CHECK(b.edge(27, false).empty());
        b.time.advance(100ms);
    }
    CHECK(b.tick_after(7s).empty());  // 9.5 s since start
    auto r = b.tick_after(500ms);
    REQUIRE(r.size() == 2);
    CHECK(r[0].point == "pulses");
    CHECK(std::get<std::uint64_t>(r[0].value) == 25);
    CHECK(r[1].point == "pulses.rate");
    CHECK(r[1].unit == "1/s");
    CHECK(std::get<double>(r[1].value) == doctest::Approx(2.5));

    for (int i = 0; i < 5; ++i) {
        b.edge(27, true);
        b.edge(27, false);
    }
    r = b.tick_after(10s);
    REQUIRE(r.size() == 2);
    CHECK(std::get<std::uint64_t>(r[0].value) == 30);
    CHECK(std::get<double>(r[1].value) == doctest::Approx(0.5));
}

TEST_CASE("a debounced counter counts a bouncing pulse once") {
    bench b(
        "  - { name: pulses, line: 4, edge: rising, count: true, debounce: 5ms, report: 1s }\n");
    b.logic.start();
    for (int i = 0; i < 3; ++i) {
        b.edge(4, true);
        b.edge(4, false);
        b.time.advance(1ms);
    }
    b.tick_after(10ms);
    const auto r = b.tick_after(1s);
    REQUIRE(r.size() == 2);
    CHECK(std::get<std::uint64_t>(r[0].value) == 1);
}

TEST_CASE("the periodic report repeats each value, read from the line") {
    bench b(
        "  - { name: float_switch, line: 5 }\n"
        "  - { name: fan, line: 6, direction: output, initial: true, report: 30s }\n");
    CHECK(b.logic.start().size() == 2);
    CHECK(b.tick_after(29s).empty());
    auto r = b.tick_after(1s);
    REQUIRE(r.size() == 1);
    CHECK(r[0].point == "fan");
    CHECK(as_bool(r[0]));
    CHECK(r[0].ts == b.time.wall());
    // An edge the kernel never reported (an overflowed queue) is put right by the report.
    b.chip->levels[5] = true;
    r = b.tick_after(30s);
    REQUIRE(r.size() == 2);
    CHECK(r[0].point == "float_switch");
    CHECK(as_bool(r[0]));
    CHECK(b.logic.next_deadline() == b.now() + 30s);
}

namespace {

// The driver with its thread, a fake chip and a fake clock; collects what it delivers.
struct running {
    std::shared_ptr<fake_chip> chip = std::make_shared<fake_chip>();
    std::shared_ptr<fake_time> time = std::make_shared<fake_time>();
    gpio_driver driver;
    std::mutex mutex;
    std::vector<ingest_item> items;

    // Retries come quickly unless a test wants the long backoff.
    explicit running(const std::string& points, std::chrono::milliseconds reconnect = 10ms)
        : driver(
              with_reconnect(parse(points), reconnect),
              [c = chip] { return std::make_unique<fake_line_source>(c); }, time) {}

    static gpio_device_config with_reconnect(gpio_device_config cfg,
                                             std::chrono::milliseconds reconnect) {
        cfg.reconnect_min = reconnect;
        cfg.reconnect_max = reconnect * 2;
        return cfg;
    }

    void start() {
        driver.start([this](ingest_item&& item) {
            std::lock_guard lock(mutex);
            items.push_back(std::move(item));
            return true;
        });
    }

    std::vector<device_status> statuses() {
        std::lock_guard lock(mutex);
        std::vector<device_status> out;
        for (const auto& i : items) {
            if (const auto* s = std::get_if<device_status>(&i)) out.push_back(*s);
        }
        return out;
    }
    std::vector<reading> readings() {
        std::lock_guard lock(mutex);
        std::vector<reading> out;
        for (const auto& i : items) {
            if (const auto* r = std::get_if<reading>(&i)) out.push_back(*r);
        }
        return out;
    }
};

}  // namespace

TEST_CASE("a line held by another process: offline naming line and holder, online once free") {
    running r("  - { name: door, line: 17 }\n  - { name: fan, line: 22, direction: output }\n");
    r.chip->held_by[22] = "gpioset";
    r.start();
    REQUIRE(test::wait_until([&] { return !r.statuses().empty(); }, 5s));
    const auto offline = r.statuses().front();
    CHECK_FALSE(offline.online);
    CHECK(offline.device == "dev");
    CHECK(offline.error ==
          "line 22 of gpiochip0 is busy: held by consumer 'gpioset' (see gpioinfo)");
    // Retried with backoff, one status for the whole outage.
    REQUIRE(test::wait_until(
        [&] {
            std::lock_guard lock(r.chip->mutex);
            return r.chip->requests >= 3;
        },
        5s));
    CHECK(r.statuses().size() == 1);
    CHECK(r.readings().empty());

    {
        std::lock_guard lock(r.chip->mutex);
        r.chip->held_by.clear();
    }
    REQUIRE(test::wait_until([&] { return r.statuses().size() == 2; }, 5s));
    CHECK(r.statuses()[1].online);
    CHECK(test::wait_until([&] { return r.readings().size() == 2; }, 5s));
    r.driver.stop();
}

TEST_CASE("a chip that is missing at start-up: offline, then online when it appears") {
    running r("  - { name: door, line: 3, debounce: 10ms }\n");
    r.chip->present = false;
    r.start();
    REQUIRE(test::wait_until([&] { return !r.statuses().empty(); }, 5s));
    CHECK(r.statuses()[0].error == "cannot open GPIO chip 'gpiochip0': gone");
    {
        std::lock_guard lock(r.chip->mutex);
        r.chip->present = true;
    }
    REQUIRE(test::wait_until([&] { return r.statuses().size() == 2; }, 5s));
    CHECK(r.statuses()[1].online);
    REQUIRE(test::wait_until([&] { return r.readings().size() == 1; }, 5s));

    // Events flow through the thread, debounced on the fake clock.
    const timestamp at_edge = r.time->wall();
    r.chip->edge(3, true, r.time->monotonic());
    r.time->advance(10ms);
    REQUIRE(test::wait_until([&] { return r.readings().size() == 2; }, 5s));
    CHECK(as_bool(r.readings()[1]));
    CHECK(r.readings()[1].ts == at_edge);
}

TEST_CASE("stop() returns promptly, while serving and while backing off") {
    for (const bool present : {true, false}) {
        CAPTURE(present);
        running r("  - { name: door, line: 3 }\n", 1h);
        r.chip->present = present;
        r.start();
        REQUIRE(test::wait_until([&] { return !r.statuses().empty(); }, 5s));
        const auto before = std::chrono::steady_clock::now();
        r.driver.stop();
        CHECK(std::chrono::steady_clock::now() - before < gpio_driver::max_wait + 400ms);
        const auto delivered = r.readings().size();
        r.chip->edge(3, true, r.time->monotonic());
        CHECK(r.readings().size() == delivered);
    }
}

TEST_CASE("libgpiod: a chip that does not exist is a clear error, not a crash") {
    gpiod_line_source source;
    try {
        source.request("edgegate-no-such-chip", {gpio_line_spec{}});
        FAIL("request succeeded");
    } catch (const gpio_error& e) {
        CHECK(std::string(e.what()).starts_with("cannot open GPIO chip 'edgegate-no-such-chip': "));
    }
    source.release();
}
