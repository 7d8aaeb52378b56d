#include "drivers/gpio/gpio_logic.hpp"

#include <algorithm>

namespace edgegate {

using std::chrono::nanoseconds;

gpio_logic::gpio_logic(const gpio_device_config& cfg, gpio_line_source& source,
                       const gpio_time_source& time)
    : cfg_(cfg), source_(source), time_(time) {
    points_.reserve(cfg_.points.size());
    for (const auto& p : cfg_.points) {
        by_line_[p.spec.line] = points_.size();
        points_.push_back(point_state{.cfg = &p});
    }
}

reading gpio_logic::make(const point_state& s, value v, timestamp ts) const {
    return reading{cfg_.name, s.cfg->name, std::move(v), quality::good, ts, {}};
}

timestamp gpio_logic::wall_of(nanoseconds mono) const {
    const nanoseconds age = std::max(time_.monotonic() - mono, nanoseconds{0});
    return time_.wall() - std::chrono::duration_cast<wall_clock::duration>(age);
}

std::vector<reading> gpio_logic::start() {
    std::vector<reading> out;
    const nanoseconds now = time_.monotonic();
    const timestamp wall = time_.wall();
    for (auto& s : points_) {
        s.level = source_.level(s.cfg->spec.line);
        s.pending = false;
        s.total = 0;
        s.total_reported = 0;
        s.last_report = now;
        s.next_report = now + s.cfg->report;
        if (!s.cfg->count) out.push_back(make(s, s.level != s.cfg->active_low, wall));
    }
    return out;
}

std::vector<reading> gpio_logic::on_event(const gpio_line_event& e) {
    std::vector<reading> out;
    const auto it = by_line_.find(e.line);
    if (it == by_line_.end()) return out;
    point_state& s = points_[it->second];
    if (s.cfg->spec.direction != gpio_direction::input) return out;
    // The kernel already delivers only the requested edges; filtering here as well keeps the
    // meaning of `edge` independent of the line source.
    const gpio_edge edge = s.cfg->spec.edge;
    if ((edge == gpio_edge::rising && !e.rising) || (edge == gpio_edge::falling && e.rising)) {
        return out;
    }
    if (s.cfg->debounce.count() == 0) {
        settle(s, e.rising, e.ts, out);
        return out;
    }
    if (!s.pending) {
        s.pending = true;
        s.burst_start = e.ts;
    }
    s.pending_level = e.rising;
    s.settle_at = e.ts + s.cfg->debounce;
    return out;
}

void gpio_logic::settle(point_state& s, bool level, nanoseconds edge_ts,
                        std::vector<reading>& out) {
    if (s.cfg->spec.edge == gpio_edge::both) {
        // A burst that ends where it started is a glitch, not a change.
        if (level == s.level) return;
    }
    s.level = level;
    if (s.cfg->count) {
        ++s.total;
    } else {
        out.push_back(make(s, level != s.cfg->active_low, wall_of(edge_ts)));
    }
}

void gpio_logic::report(point_state& s, nanoseconds now, std::vector<reading>& out) {
    const timestamp wall = time_.wall();
    if (s.cfg->count) {
        const double seconds = std::chrono::duration<double>(now - s.last_report).count();
        const auto pulses = static_cast<double>(s.total - s.total_reported);
        out.push_back(make(s, s.total, wall));
        reading rate = make(s, seconds > 0 ? pulses / seconds : 0.0, wall);
        rate.point = gpio_rate_point(s.cfg->name);
        rate.unit = "1/s";
        out.push_back(std::move(rate));
        s.total_reported = s.total;
    } else {
        // During a debounce window the line may sit on a bounce; the settled level is the truth.
        if (!s.pending) s.level = source_.level(s.cfg->spec.line);
        out.push_back(make(s, s.level != s.cfg->active_low, wall));
    }
    s.last_report = now;
    s.next_report += s.cfg->report;
    // After a stall (back-pressure), report once and carry on instead of catching up in a burst.
    if (s.next_report <= now) s.next_report = now + s.cfg->report;
}

std::vector<reading> gpio_logic::on_tick() {
    std::vector<reading> out;
    const nanoseconds now = time_.monotonic();
    for (auto& s : points_) {
        if (s.pending && s.settle_at <= now) {
            s.pending = false;
            settle(s, s.pending_level, s.burst_start, out);
        }
        if (s.next_report <= now) report(s, now, out);
    }
    return out;
}

reading gpio_logic::set_output(const std::string& point, bool value) {
    const auto it = std::find_if(points_.begin(), points_.end(),
                                 [&](const point_state& s) { return s.cfg->name == point; });
    if (it == points_.end() || it->cfg->spec.direction != gpio_direction::output) {
        throw gpio_error("'" + point + "' is not an output of device '" + cfg_.name + "'");
    }
    point_state& s = *it;
    const timestamp wall = time_.wall();
    source_.set_level(s.cfg->spec.line, value != s.cfg->active_low);
    s.level = source_.level(s.cfg->spec.line);
    return make(s, s.level != s.cfg->active_low, wall);
}

nanoseconds gpio_logic::next_deadline() const {
    nanoseconds next = nanoseconds::max();
    for (const auto& s : points_) {
        if (s.pending) next = std::min(next, s.settle_at);
        next = std::min(next, s.next_report);
    }
    return next;
}

}  // namespace edgegate
