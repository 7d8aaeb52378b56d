// The GPIO driver's logic (debounce, edge selection, active-low, counting, reports) and its
// thread (busy lines, a missing chip, stop) against a fake line source and a fake clock: build
// machines have no GPIO hardware.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

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
    std::map<unsigned, bool> stuck;           // outputs that keep this level whatever is set
    std::string set_error;                    // set_level fails with this, when not empty
    bool present = true;
    int requests = 0;
    int sets = 0;
    std::vector<gpio_line_spec> requested;
    // Waits last until an event or interrupt(), not the driver's timeout: what the driver does
    // promptly then, it did because it was woken.
    bool waits_until_woken = false;
    bool interrupted = false;

    // Moves a line's physical level, as the kernel would see it, at kernel time `ts`.
    void edge(unsigned line, bool high, nanoseconds ts) {
        std::lock_guard lock(mutex);
        levels[line] = high;
        events.push_back(gpio_line_event{line, high, ts});
        changed.notify_all();
    }
    // Ends the driver's wait, as a timeout would, after the test moved the clock.
    void wake() {
        std::lock_guard lock(mutex);
        interrupted = true;
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
        const auto limit = chip_->waits_until_woken
                               ? std::chrono::milliseconds(std::chrono::hours(1))
                               : std::min(timeout, std::chrono::milliseconds(5));
        chip_->changed.wait_for(lock, limit,
                                [this] { return !chip_->events.empty() || chip_->interrupted; });
        chip_->interrupted = false;
        std::vector<gpio_line_event> out(chip_->events.begin(), chip_->events.end());
        chip_->events.clear();
        return out;
    }
    void interrupt() override { chip_->wake(); }
    bool level(unsigned line) override {
        std::lock_guard lock(chip_->mutex);
        return chip_->levels[line];
    }
    void set_level(unsigned line, bool high) override {
        std::lock_guard lock(chip_->mutex);
        const bool output = std::any_of(
            chip_->requested.begin(), chip_->requested.end(),
            [&](const auto& l) { return l.line == line && l.direction == gpio_direction::output; });
        if (!output)
            throw gpio_error("line " + std::to_string(line) + " is not requested as an output");
        if (!chip_->set_error.empty()) throw gpio_error(chip_->set_error);
        ++chip_->sets;
        const auto stuck = chip_->stuck.find(line);
        chip_->levels[line] = stuck != chip_->stuck.end() ? stuck->second : high;
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

TEST_CASE("bounces inside the debounce window are one change stamped at the first edge") {
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

TEST_CASE("without debounce every change is a reading at once with the kernel's timestamp") {
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

TEST_CASE("active_low inverts the reported value but not the edges") {
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

TEST_CASE("a counter reports its total and rate every report interval and no reading per pulse") {
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

TEST_CASE("the periodic report repeats each value as read from the line") {
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
    std::vector<reading> readings_of(const std::string& point) {
        auto all = readings();
        std::erase_if(all, [&](const reading& r) { return r.point != point; });
        return all;
    }
    int sets() {
        std::lock_guard lock(chip->mutex);
        return chip->sets;
    }
    bool physical(unsigned line) {
        std::lock_guard lock(chip->mutex);
        return chip->levels[line];
    }
};

// The answers a write got; shared with the callback, which may outlive the test's scope.
struct answers {
    std::mutex mutex;
    std::vector<write_result> results;

    static write_done collect(const std::shared_ptr<answers>& a) {
        return [a](write_result r) {
            std::lock_guard lock(a->mutex);
            a->results.push_back(std::move(r));
        };
    }
    std::size_t count() {
        std::lock_guard lock(mutex);
        return results.size();
    }
    write_result first() {
        std::lock_guard lock(mutex);
        return results.front();
    }
};

// Writes through the driver's thread and waits for the answer.
write_result write_and_wait(gpio_driver& d, const std::string& point, const value& v) {
    const auto a = std::make_shared<answers>();
    d.write(point, v, answers::collect(a));
    REQUIRE(test::wait_until([&] { return a->count() > 0; }, 5s));
    CHECK(a->count() == 1);
    return a->first();
}

}  // namespace

TEST_CASE("a line held by another process: offline naming line and holder then online once free") {
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

TEST_CASE("a chip that is missing at start-up: offline then online when it appears") {
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

TEST_CASE("stop() returns promptly while serving and while backing off") {
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

TEST_CASE("a write sets the output at once and reports the value read back") {
    running r(
        "  - { name: door, line: 17 }\n"
        "  - { name: fan, line: 22, direction: output, writable: true }\n"
        "  - { name: relay, line: 23, direction: output, writable: true, active_low: true, "
        "report: 30s }\n");
    // The thread sleeps until woken: the writes below complete only because write() wakes it.
    r.chip->waits_until_woken = true;
    r.start();
    REQUIRE(test::wait_until([&] { return r.readings().size() == 3; }, 5s));
    CHECK_FALSE(r.physical(22));
    CHECK(r.physical(23));  // relay off: active low

    CHECK_FALSE(r.driver.check_write("fan", true));
    auto result = write_and_wait(r.driver, "fan", true);
    CHECK(result.ok);
    CHECK(result.error.empty());
    REQUIRE(result.value);
    CHECK(std::get<bool>(*result.value));
    CHECK(r.physical(22));
    REQUIRE(test::wait_until([&] { return r.readings_of("fan").size() == 2; }, 5s));
    CHECK(as_bool(r.readings_of("fan")[1]));
    CHECK(r.readings_of("fan")[1].ts == r.time->wall());

    r.time->advance(1s);
    result = write_and_wait(r.driver, "relay", true);
    CHECK(result.ok);
    REQUIRE(result.value);
    CHECK(std::get<bool>(*result.value));
    CHECK_FALSE(r.physical(23));  // on: driven low
    REQUIRE(test::wait_until([&] { return r.readings_of("relay").size() == 2; }, 5s));
    CHECK(as_bool(r.readings_of("relay")[1]));
    CHECK(r.readings_of("relay")[1].ts == r.time->wall());

    // The periodic report goes on with the new value.
    r.time->advance(29s);
    r.chip->wake();
    REQUIRE(test::wait_until([&] { return r.readings_of("relay").size() == 3; }, 5s));
    CHECK(as_bool(r.readings_of("relay")[2]));
    CHECK(r.readings_of("relay")[2].ts == r.time->wall());

    result = write_and_wait(r.driver, "relay", false);
    CHECK(result.ok);
    CHECK_FALSE(std::get<bool>(*result.value));
    CHECK(r.physical(23));
    CHECK(r.sets() == 3);
    r.driver.stop();
}

TEST_CASE("a write the line does not hold is a failure that carries the level read back") {
    running r("  - { name: fan, line: 22, direction: output, writable: true }\n");
    r.chip->stuck[22] = false;
    r.start();
    REQUIRE(test::wait_until([&] { return r.readings().size() == 1; }, 5s));
    const auto result = write_and_wait(r.driver, "fan", true);
    CHECK_FALSE(result.ok);
    CHECK(result.error == "point 'fan' reads back false after being set to true");
    REQUIRE(result.value);
    CHECK_FALSE(std::get<bool>(*result.value));
    REQUIRE(test::wait_until([&] { return r.readings_of("fan").size() == 2; }, 5s));
    CHECK_FALSE(as_bool(r.readings_of("fan")[1]));
    r.driver.stop();
}

TEST_CASE("refused writes name the reason and set nothing") {
    running r(
        "  - { name: door, line: 17 }\n"
        "  - { name: fan, line: 22, direction: output, writable: true }\n"
        "  - { name: lamp, line: 5, direction: output, initial: true }\n"
        "  - { name: pulses, line: 27, edge: rising, count: true }\n");
    r.start();
    REQUIRE(test::wait_until([&] { return r.readings().size() == 3; }, 5s));

    const std::vector<std::pair<std::string, value>> refused{
        {"fam", true},   {"pulses.rate", true},     {"door", true},
        {"lamp", false}, {"fan", std::int64_t{1}},  {"fan", std::uint64_t{0}},
        {"fan", 1.0},    {"fan", std::string("on")}};
    const std::vector<std::string> reasons{
        "device 'dev' has no point 'fam', did you mean 'fan'?",
        "device 'dev' has no point 'pulses.rate'",
        "point 'door' of device 'dev' is an input; only outputs with writable: true take commands",
        "point 'lamp' of device 'dev' is not writable (the output needs writable: true)",
        "point 'fan' of device 'dev' expects true or false, got a number",
        "point 'fan' of device 'dev' expects true or false, got a number",
        "point 'fan' of device 'dev' expects true or false, got a number",
        "point 'fan' of device 'dev' expects true or false, got a string"};
    for (std::size_t i = 0; i < refused.size(); ++i) {
        // Not a structured binding: clang 14 cannot capture one in CAPTURE's lambda.
        const std::string& point = refused[i].first;
        const value& v = refused[i].second;
        CAPTURE(point);
        CAPTURE(i);
        CHECK(r.driver.check_write(point, v) == reasons[i]);
        // Even without the check first, the thread refuses it.
        const auto result = write_and_wait(r.driver, point, v);
        CHECK_FALSE(result.ok);
        CHECK(result.error == reasons[i]);
        CHECK_FALSE(result.value);
    }
    CHECK(r.sets() == 0);
    CHECK_FALSE(r.physical(22));
    CHECK(r.physical(5));
    CHECK(r.readings_of("fan").size() == 1);
    r.driver.stop();
}

TEST_CASE("a write while the chip is offline fails at once with the chip's error") {
    // A long backoff: the answer must not wait for the next attempt.
    running r("  - { name: fan, line: 22, direction: output, writable: true }\n", 1h);
    r.chip->present = false;
    r.start();
    REQUIRE(test::wait_until([&] { return !r.statuses().empty(); }, 5s));
    const auto result = write_and_wait(r.driver, "fan", true);
    CHECK_FALSE(result.ok);
    CHECK(result.error == "not written, device offline: cannot open GPIO chip 'gpiochip0': gone");
    CHECK(r.sets() == 0);
    r.driver.stop();
}

TEST_CASE("a line that fails while writing: the write fails and the device goes offline") {
    running r("  - { name: fan, line: 22, direction: output, writable: true }\n");
    r.start();
    REQUIRE(test::wait_until([&] { return r.readings().size() == 1; }, 5s));
    {
        std::lock_guard lock(r.chip->mutex);
        r.chip->set_error = "setting line 22 of gpiochip0: No such device";
    }
    const auto result = write_and_wait(r.driver, "fan", true);
    CHECK_FALSE(result.ok);
    CHECK(result.error == "not written: setting line 22 of gpiochip0: No such device");
    // Offline, then back online by itself: the lines are requested again.
    REQUIRE(test::wait_until([&] { return r.statuses().size() >= 3; }, 5s));
    CHECK_FALSE(r.statuses()[1].online);
    CHECK(r.statuses()[1].error == "setting line 22 of gpiochip0: No such device");
    CHECK(r.statuses()[2].online);
    r.driver.stop();
}

TEST_CASE("a write still queued when the driver stops fails as not written") {
    for (const bool close_channel : {true, false}) {
        CAPTURE(close_channel);
        // The thread is held in its first delivery (a full channel) while the write is queued.
        std::mutex mutex;
        std::condition_variable cv;
        bool in_sink = false;
        bool released = false;
        const auto release = [&] {
            {
                std::lock_guard lock(mutex);
                released = true;
            }
            cv.notify_all();
        };
        auto chip = std::make_shared<fake_chip>();
        gpio_driver d(
            parse("  - { name: fan, line: 22, direction: output, writable: true }\n"),
            [chip] { return std::make_unique<fake_line_source>(chip); },
            std::make_shared<fake_time>());
        d.start([&](ingest_item&&) {
            std::unique_lock lock(mutex);
            if (in_sink) return true;
            in_sink = true;
            cv.notify_all();
            cv.wait(lock, [&] { return released; });
            return !close_channel;
        });
        {
            std::unique_lock lock(mutex);
            REQUIRE(cv.wait_for(lock, 5s, [&] { return in_sink; }));
        }
        const auto queued = std::make_shared<answers>();
        d.write("fan", true, answers::collect(queued));
        if (close_channel) {
            // The pipeline closed: the thread ends and answers without waiting for stop().
            release();
            REQUIRE(test::wait_until([&] { return queued->count() == 1; }, 5s));
        } else {
            {
                std::lock_guard lock(chip->mutex);
                chip->interrupted = false;
            }
            std::thread stopper([&] { d.stop(); });
            // stop() interrupts the source once it has marked the driver as stopping; released
            // either way so that stop() can return.
            CHECK(test::wait_until(
                [&] {
                    std::lock_guard lock(chip->mutex);
                    return chip->interrupted;
                },
                5s));
            release();
            stopper.join();
        }
        d.stop();
        REQUIRE(queued->count() == 1);
        CHECK_FALSE(queued->first().ok);
        CHECK(queued->first().error ==
              "not written: device 'dev' stopped before the write was carried out");
        CHECK(chip->sets == 0);
        CHECK_FALSE(chip->levels[22]);

        const auto late = std::make_shared<answers>();
        d.write("fan", true, answers::collect(late));
        REQUIRE(late->count() == 1);
        CHECK(late->first().error == "not written: device 'dev' is stopped");
    }
}

TEST_CASE("a write to a driver that never started is answered by stop()") {
    gpio_driver d(
        parse("  - { name: fan, line: 22, direction: output, writable: true }\n"),
        [] { return std::make_unique<fake_line_source>(std::make_shared<fake_chip>()); },
        std::make_shared<fake_time>());
    const auto a = std::make_shared<answers>();
    d.write("fan", true, answers::collect(a));
    CHECK(a->count() == 0);
    d.stop();
    REQUIRE(a->count() == 1);
    CHECK(a->first().error == "not written: device 'dev' stopped before the write was carried out");
}

TEST_CASE("libgpiod: a chip that does not exist is a clear error and not a crash") {
    gpiod_line_source source;
    try {
        source.request("edgegate-no-such-chip", {gpio_line_spec{}});
        FAIL("request succeeded");
    } catch (const gpio_error& e) {
        CHECK(std::string(e.what()).starts_with("cannot open GPIO chip 'edgegate-no-such-chip': "));
    }
    source.release();
}

TEST_CASE("libgpiod: interrupt() from another thread ends a wait at once") {
    gpiod_line_source source;
    CHECK(source.wait_events(1ms).empty());
    std::thread other([&] { source.interrupt(); });
    other.join();
    const auto before = std::chrono::steady_clock::now();
    CHECK(source.wait_events(std::chrono::milliseconds(1h)).empty());
    CHECK(std::chrono::steady_clock::now() - before < 5s);
    // The wake-up was used up: the next wait lasts its timeout.
    const auto again = std::chrono::steady_clock::now();
    CHECK(source.wait_events(50ms).empty());
    CHECK(std::chrono::steady_clock::now() - again >= 50ms);
}
