#include "drivers/gpio/gpio_config.hpp"

#include "gateway/core/names.hpp"

namespace edgegate {

namespace {

using namespace std::chrono_literals;

// libgpiod 1.6 requests at most this many lines at once (gpiod::line_bulk::MAX_LINES), and the
// driver waits on all inputs of a device in one bulk.
constexpr std::size_t max_points = 64;

// Keys that would be silently ignored on a line of the other direction are errors instead.
void refuse(yaml_section& p, std::initializer_list<std::string_view> keys, const char* why) {
    for (const auto key : keys) {
        if (p.has(key)) p.error(p.raw(key), key, why);
    }
}

gpio_point read_point(yaml_section& p, const std::vector<gpio_point>& earlier,
                      duration default_report) {
    gpio_point point;
    point.name = p.required_str("name");
    if (!point.name.empty() && !is_valid_name(point.name)) {
        p.error(p.raw("name"), "name", "'" + point.name + "' may only contain A-Z a-z 0-9 _ . -");
    }
    const auto line = p.integer("line", -1, 0, 65535);
    if (!p.has("line")) p.error("missing required key 'line'");
    point.spec.line = line >= 0 ? static_cast<unsigned>(line) : 0;
    for (const auto& other : earlier) {
        if (line >= 0 && other.spec.line == point.spec.line) {
            p.error(
                p.raw("line"), "line",
                "line " + std::to_string(line) + " is already used by point '" + other.name + "'");
        }
    }
    const bool output = p.enumeration("direction", "input", {"input", "output"}) == "output";
    point.spec.direction = output ? gpio_direction::output : gpio_direction::input;
    point.active_low = p.boolean("active_low", false);
    point.report = p.dur("report", default_report, 1s, 24h);
    if (output) {
        refuse(p, {"edge", "debounce", "bias", "count"}, "only for direction: input");
        point.initial = p.boolean("initial", false);
        point.writable = p.boolean("writable", false);
        point.spec.initial_high = point.initial != point.active_low;
    } else {
        refuse(p, {"initial", "writable"}, "only for direction: output");
        const std::string edge = p.enumeration("edge", "both", {"rising", "falling", "both"});
        point.spec.edge = edge == "rising"    ? gpio_edge::rising
                          : edge == "falling" ? gpio_edge::falling
                                              : gpio_edge::both;
        point.debounce = p.dur("debounce", 0ms, 0ms, 10s);
        const std::string bias =
            p.enumeration("bias", "as-is", {"as-is", "disabled", "pull-up", "pull-down"});
        point.spec.bias = bias == "disabled"    ? gpio_bias::disabled
                          : bias == "pull-up"   ? gpio_bias::pull_up
                          : bias == "pull-down" ? gpio_bias::pull_down
                                                : gpio_bias::as_is;
        point.count = p.boolean("count", false);
    }
    for (const auto& other : earlier) {
        if (point.name.empty()) break;
        // A counting point also delivers <name>.rate, which must not collide either.
        const bool clash = other.name == point.name ||
                           (other.count && gpio_rate_point(other.name) == point.name) ||
                           (point.count && gpio_rate_point(point.name) == other.name);
        if (clash) p.error(p.raw("name"), "name", "duplicate point name '" + point.name + "'");
    }
    p.finish();
    return point;
}

}  // namespace

std::string gpio_rate_point(const std::string& point) { return point + ".rate"; }

gpio_device_config parse_gpio_device(const std::string& name, yaml_section& device) {
    gpio_device_config cfg;
    cfg.name = name;
    cfg.chip = device.required_str("chip");
    const duration report = device.dur("report", 60s, 1s, 24h);
    read_delay_range(device.child("reconnect"), cfg.reconnect_min, cfg.reconnect_max);
    auto points = device.entries("points");
    if (points.size() > max_points) {
        device.error(device.raw("points"), "points",
                     "at most " + std::to_string(max_points) + " points per device (one chip)");
        points.clear();
    }
    for (auto& p : points) cfg.points.push_back(read_point(p, cfg.points, report));
    device.finish();
    return cfg;
}

}  // namespace edgegate
