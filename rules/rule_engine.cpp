#include "rules/rule_engine.hpp"

#include <algorithm>
#include <chrono>

namespace edgegate {

namespace {

double seconds(duration d) {
    return static_cast<double>(std::max<duration::rep>(d.count(), 0)) / 1000.0;
}

duration elapsed(timestamp from, timestamp to) {
    return std::max(duration(0), std::chrono::duration_cast<duration>(to - from));
}

}  // namespace

rule_engine::rule_engine(std::vector<rule> rules) : rules_(std::move(rules)) {
    for (std::uint32_t i = 0; i < rules_.size(); ++i) {
        const rule& r = rules_[i];
        by_name_.emplace(r.name, i);
        if (r.is_exact()) {
            exact_[r.device_pattern + "/" + r.point_pattern].push_back(i);
        } else {
            globs_.push_back(i);
        }
    }
    // Exact rules are watched from the start, so that `stale` fires for a point that never
    // delivers anything; a glob can only know the points it has seen.
    for (const rule& r : rules_) {
        if (r.is_exact()) trackers_for(r.device_pattern, r.point_pattern);
    }
}

const std::vector<std::uint32_t>& rule_engine::trackers_for(std::string_view device,
                                                            std::string_view point) {
    if (const auto d = points_.find(device); d != points_.end()) {
        if (const auto p = d->second.find(point); p != d->second.end()) return p->second;
    }
    std::vector<std::uint32_t> matching = globs_;
    std::erase_if(matching, [&](std::uint32_t i) { return !rules_[i].matches(device, point); });
    std::string key(device);
    key += '/';
    key += point;
    if (const auto e = exact_.find(key); e != exact_.end()) {
        matching.insert(matching.end(), e->second.begin(), e->second.end());
    }
    // In the order of the configuration, so that alerts of one reading come out in that order.
    std::sort(matching.begin(), matching.end());
    std::vector<std::uint32_t> slot;
    for (const std::uint32_t i : matching) {
        tracker t;
        t.rule = i;
        t.device = device;
        t.point = point;
        if (rules_[i].when.is_rate()) t.rate.emplace(rules_[i].when.window);
        const auto index = static_cast<std::uint32_t>(trackers_.size());
        trackers_.push_back(std::move(t));
        slot.push_back(index);
        if (rules_[i].is_timed()) timed_.push_back(index);
    }
    return points_[std::string(device)][std::string(point)] = std::move(slot);
}

std::vector<alert> rule_engine::restore(const std::vector<active_alert>& saved, timestamp now) {
    std::vector<alert> out;
    for (const active_alert& row : saved) {
        const auto named = by_name_.find(row.rule);
        if (named == by_name_.end() || !rules_[named->second].matches(row.device, row.point)) {
            // Its rule cannot clear it any more; left alone, the retained "raised" would stay at
            // the broker for ever.
            alert a;
            a.rule = row.rule;
            a.device = row.device;
            a.point = row.point;
            a.state = alert_state::cleared;
            a.severity = row.severity;
            a.message = row.rule + " cleared: " + row.device + "/" + row.point +
                        " is no longer watched by this rule (the configuration changed)";
            a.ts = now;
            a.since = row.since;
            if (row.peak) a.peak = *row.peak;
            a.active_for = elapsed(row.since, now);
            out.push_back(std::move(a));
            removed_.push_back({row, false});
            continue;
        }
        for (const std::uint32_t index : trackers_for(row.device, row.point)) {
            tracker& t = trackers_[index];
            if (t.rule != named->second) continue;
            t.life.restore(row.since, row.announced);
            const condition& c = rules_[t.rule].when;
            if (c.kind == condition_kind::equals) {
                // Active means the point held the target; a repeat before the next reading can
                // say so.
                t.peak = c.target;
                t.measured = c.target;
            } else if (row.peak) {
                t.peak = *row.peak;
                t.peak_measure = row.peak;
            }
        }
    }
    return out;
}

std::vector<alert> rule_engine::on_reading(const reading& r) {
    std::vector<alert> out;
    for (const std::uint32_t index : trackers_for(r.device, r.point)) {
        if (rules_[trackers_[index].rule].when.kind == condition_kind::stale) {
            evaluate_stale(index, r, out);
        } else {
            evaluate(index, r, out);
        }
    }
    return out;
}

void rule_engine::evaluate(std::uint32_t index, const reading& r, std::vector<alert>& out) {
    // A bad reading says nothing about the value: it neither raises nor clears (stale sees it).
    if (r.quality == quality::bad) return;
    tracker& t = trackers_[index];
    const condition& c = rules_[t.rule].when;
    if (!r.unit.empty()) t.unit = r.unit;
    bool raise = false;
    bool clear = false;
    if (c.kind == condition_kind::equals) {
        raise = c.matches(r.value);
        clear = !raise;
        t.measured = r.value;
    } else {
        const auto number = as_number(r.value);
        if (!number) return;
        double m = *number;
        if (c.is_rate()) {
            const auto rate = t.rate->add(r.ts, *number);
            if (!rate) return;
            m = *rate;
            t.measured = m;
        } else {
            t.measured = r.value;
        }
        t.measure = m;
        raise = c.raises(m);
        clear = c.clears(m);
        if (t.life.active()) note_peak(t, index);
    }
    announce(index, t.life.evaluate(r.ts, raise, clear, rules_[t.rule]), r.ts, out);
}

void rule_engine::evaluate_stale(std::uint32_t index, const reading& r, std::vector<alert>& out) {
    tracker& t = trackers_[index];
    if (r.quality == quality::bad) {
        if (!t.fresh_at) t.fresh_at = r.ts;
        return;
    }
    if (t.fresh_at) {
        t.last_silence = seconds(elapsed(*t.fresh_at, r.ts));
        if (t.life.active()) {
            t.measure = t.last_silence;
            t.measured = t.last_silence;
            note_peak(t, index);
        }
    }
    t.fresh_at = r.ts;
    announce(index, t.life.evaluate(r.ts, false, true, rules_[t.rule]), r.ts, out);
}

std::vector<alert> rule_engine::on_tick(timestamp now) {
    std::vector<alert> out;
    for (const std::uint32_t index : timed_) tick(index, now, out);
    return out;
}

void rule_engine::tick(std::uint32_t index, timestamp now, std::vector<alert>& out) {
    tracker& t = trackers_[index];
    const rule& r = rules_[t.rule];
    if (r.when.kind != condition_kind::stale) {
        announce(index, t.life.tick(now, r), now, out);
        return;
    }
    if (!t.fresh_at) t.fresh_at = now;
    const duration age = elapsed(*t.fresh_at, now);
    if (age < r.when.stale) {
        // Fresh: the last good reading set the conditions; only hold times and repeats move.
        announce(index, t.life.tick(now, r), now, out);
        return;
    }
    t.measure = seconds(age);
    t.measured = seconds(age);
    if (t.life.active()) note_peak(t, index);
    announce(index, t.life.evaluate(now, true, false, r), now, out);
}

void rule_engine::note_peak(tracker& t, std::uint32_t index) {
    if (!t.measure) return;
    if (t.peak_measure && !rules_[t.rule].when.beyond(*t.measure, *t.peak_measure)) return;
    t.peak_measure = t.measure;
    t.peak = t.measured;
    mark_dirty(index);
}

void rule_engine::announce(std::uint32_t index, alert_lifecycle::step step, timestamp now,
                           std::vector<alert>& out) {
    if (step == alert_lifecycle::step::none) return;
    tracker& t = trackers_[index];
    const condition& c = rules_[t.rule].when;
    mark_dirty(index);
    if (step == alert_lifecycle::step::cleared) {
        if (c.kind == condition_kind::stale) t.measured = t.last_silence;
        out.push_back(make_alert(t, alert_state::cleared, now));
        t.peak.reset();
        t.peak_measure.reset();
        return;
    }
    if (step == alert_lifecycle::step::raised) {
        if (c.kind == condition_kind::equals) {
            t.peak = c.target;
        } else {
            t.peak = t.measured;
            t.peak_measure = t.measure;
        }
    }
    out.push_back(make_alert(t, alert_state::raised, now));
}

alert rule_engine::make_alert(const tracker& t, alert_state state, timestamp now) const {
    const rule& r = rules_[t.rule];
    alert a;
    a.rule = r.name;
    a.device = t.device;
    a.point = t.point;
    a.state = state;
    a.severity = r.severity;
    a.measured = t.measured;
    a.threshold = r.when.threshold;
    a.ts = now;
    a.since = t.life.since();
    if (state == alert_state::cleared) {
        a.peak = t.peak;
        a.active_for = elapsed(a.since, now);
    }
    std::string unit = r.when.kind == condition_kind::stale ? "s" : t.unit;
    if (r.when.is_rate()) unit += "/s";
    message_template::fields f;
    f.rule = a.rule;
    f.device = a.device;
    f.point = a.point;
    f.state = state == alert_state::raised ? "raised" : "cleared";
    f.severity = to_string(a.severity);
    f.value = message_text(a.measured);
    f.unit = unit;
    f.threshold = threshold_text(a.threshold);
    f.since = format_iso8601(a.since);
    f.duration = message_duration(elapsed(a.since, now));
    f.peak = message_text(t.peak);
    a.message = r.message.render(f);
    return a;
}

void rule_engine::mark_dirty(std::uint32_t index) {
    tracker& t = trackers_[index];
    if (t.dirty) return;
    t.dirty = true;
    dirty_.push_back(index);
}

std::vector<alert_change> rule_engine::take_changes() {
    std::vector<alert_change> out = std::move(removed_);
    removed_.clear();
    for (const std::uint32_t index : dirty_) {
        tracker& t = trackers_[index];
        t.dirty = false;
        alert_change c;
        c.state.rule = rules_[t.rule].name;
        c.state.device = t.device;
        c.state.point = t.point;
        c.state.severity = rules_[t.rule].severity;
        c.state.since = t.life.since();
        c.state.announced = t.life.announced();
        c.state.peak = t.peak_measure;
        c.active = t.life.active();
        out.push_back(std::move(c));
    }
    dirty_.clear();
    return out;
}

}  // namespace edgegate
