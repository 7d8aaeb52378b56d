// Validation of `driver: gpio` device entries: the values read, and every mistake with its
// exact message and position, through the registry entry point the loader uses.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "drivers/gpio/gpio_config.hpp"
#include "drivers/registry.hpp"
#include "gateway/core/diagnostics.hpp"
#include "gateway/core/yaml_section.hpp"
#include "tests/helpers/config_messages.hpp"

using namespace edgegate;
using edgegate::test::messages;
using namespace std::chrono_literals;

namespace {

messages errors_of(const std::string& yaml) { return test::driver_errors("gpio", yaml); }

std::string device(const std::string& points, const std::string& extra = "") {
    return "name: dev\ndriver: gpio\nchip: gpiochip0\n" + extra + "points:\n" + points;
}

}  // namespace

TEST_CASE("the issue's example is read as written") {
    test::device_entry e(R"(name: coldroom
driver: gpio
chip: gpiochip0
points:
  - { name: door_open, line: 17, direction: input, edge: both, debounce: 20ms, active_low: true, bias: pull-up }
  - { name: pulses,    line: 27, direction: input, edge: rising, count: true, report: 10s }
  - { name: fan,       line: 22, direction: output, initial: false, writable: true }
)");
    const gpio_device_config cfg = parse_gpio_device(e.name, e.section);
    REQUIRE(e.diag.ok());
    CHECK(cfg.chip == "gpiochip0");
    REQUIRE(cfg.points.size() == 3);
    const auto& door = cfg.points[0];
    CHECK(door.spec.line == 17);
    CHECK(door.spec.direction == gpio_direction::input);
    CHECK(door.spec.edge == gpio_edge::both);
    CHECK(door.spec.bias == gpio_bias::pull_up);
    CHECK(door.debounce == 20ms);
    CHECK(door.active_low);
    CHECK_FALSE(door.count);
    CHECK(door.report == 60s);
    const auto& pulses = cfg.points[1];
    CHECK(pulses.spec.edge == gpio_edge::rising);
    CHECK(pulses.spec.bias == gpio_bias::as_is);
    CHECK(pulses.count);
    CHECK(pulses.report == 10s);
    const auto& fan = cfg.points[2];
    CHECK(fan.spec.direction == gpio_direction::output);
    CHECK_FALSE(fan.initial);
    CHECK(fan.writable);
    CHECK(cfg.reconnect_min == 1s);
    CHECK(cfg.reconnect_max == 30s);
}

TEST_CASE("an active-low output is requested at the inverted physical level") {
    test::device_entry e(
        device("  - { name: relay, line: 5, direction: output, initial: true, active_low: true }\n"
               "  - { name: lamp, line: 6, direction: output, initial: true }\n"));
    const auto cfg = parse_gpio_device(e.name, e.section);
    REQUIRE(e.diag.ok());
    CHECK_FALSE(cfg.points[0].spec.initial_high);
    CHECK(cfg.points[1].spec.initial_high);
}

TEST_CASE("a device-level report is the default of its points") {
    test::device_entry e(
        device("  - { name: a, line: 1 }\n  - { name: b, line: 2, report: 5s }\n", "report: 2m\n"));
    const auto cfg = parse_gpio_device(e.name, e.section);
    REQUIRE(e.diag.ok());
    CHECK(cfg.points[0].report == 120s);
    CHECK(cfg.points[1].report == 5s);
}

TEST_CASE("mistakes are reported with position and key path") {
    CHECK(errors_of("name: dev\ndriver: gpio\npoints:\n  - { name: a, line: 1 }\n") ==
          messages{"t.yaml:1:1: devices[0]: missing required key 'chip'"});
    CHECK(errors_of(device("  - { name: a, line: 17 }\n  - { name: b, line: 17 }\n")) ==
          messages{"t.yaml:6:22: devices[0].points[1].line: line 17 is already used by point 'a'"});
    CHECK(errors_of(device("  - { name: a }\n")) ==
          messages{"t.yaml:5:5: devices[0].points[0]: missing required key 'line'"});
    CHECK(errors_of(device("  - { name: a, line: 1, edge: risin }\n")) ==
          messages{"t.yaml:5:31: devices[0].points[0].edge: unknown value 'risin', did you mean "
                   "'rising'?"});
    CHECK(errors_of(device("  - { name: a, line: 1, bias: pullup }\n")) ==
          messages{"t.yaml:5:31: devices[0].points[0].bias: unknown value 'pullup', did you mean "
                   "'pull-up'?"});
    CHECK(errors_of(device("  - { name: a, line: 1, direction: output, edge: both }\n")) ==
          messages{"t.yaml:5:50: devices[0].points[0].edge: only for direction: input"});
    CHECK(errors_of(device("  - { name: a, line: 1, initial: true }\n")) ==
          messages{"t.yaml:5:34: devices[0].points[0].initial: only for direction: output"});
    CHECK(
        errors_of(device("  - { name: a, line: 1, writable: yes, direction: output }\n")).size() ==
        1);
    CHECK(errors_of(device("  - { name: a, line: 1, debounce: 20s }\n")).size() == 1);
    CHECK(errors_of(device("  - { name: a, line: -1 }\n")).size() == 1);
    CHECK(errors_of(device("  - { name: a, line: 1, counts: true }\n")) ==
          messages{"t.yaml:5:25: devices[0].points[0].counts: unknown key 'counts', did you mean "
                   "'count'?"});
}

TEST_CASE("a counter's rate reading may not collide with another point's name") {
    CHECK(errors_of(
              device("  - { name: p, line: 1, count: true }\n  - { name: p.rate, line: 2 }\n")) ==
          messages{"t.yaml:6:13: devices[0].points[1].name: duplicate point name 'p.rate'"});
    CHECK(errors_of(
              device("  - { name: p.rate, line: 2 }\n  - { name: p, line: 1, count: true }\n")) ==
          messages{"t.yaml:6:13: devices[0].points[1].name: duplicate point name 'p'"});
}
