#include "gateway/pipeline/pipeline.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <iterator>
#include <variant>

#include "gateway/core/payload.hpp"

namespace edgegate {

namespace {

// How long the pipeline thread waits for a reading before it looks at acks and retention.
constexpr auto idle_wait = std::chrono::milliseconds(200);
constexpr auto retention_every = std::chrono::seconds(1);
// How often the rules engine hears the time: the resolution of `for`, `clear_for`, `stale` and
// `repeat` (readings are evaluated as they come).
constexpr auto tick_every = std::chrono::milliseconds(100);
// With durability normal, commits become durable (and so publishable) by a sync of the journal
// (an fsync): readings within sync_every of their commit, alerts and other high-lane events
// within alert_sync_every. So at most 5 fsyncs a second, 50 while alerts keep coming, however
// many commits.
constexpr auto sync_every = std::chrono::milliseconds(200);
constexpr auto alert_sync_every = std::chrono::milliseconds(20);
// A failing commit (disk full, I/O error) is retried: the batch stays in memory and the drivers
// are held back by the full channel meanwhile.
constexpr auto retry_wait = std::chrono::seconds(1);
// At shutdown a journal that keeps failing cannot take the last events; give up after this
// many attempts so the process exits (non-zero) instead of hanging.
constexpr int shutdown_attempts = 5;

}  // namespace

pipeline::pipeline(const journal_section& cfg, journal_writer& journal, ingest_channel& channel,
                   ack_mailbox& acks, std::function<void()> on_fatal, std::vector<rule> rules)
    : cfg_(cfg),
      journal_(journal),
      channel_(channel),
      acks_(acks),
      on_fatal_(std::move(on_fatal)),
      engine_(std::move(rules)) {
    for (int l = 0; l < lane_count; ++l) saved_acks_[l] = acks_.get(static_cast<lane>(l));
}

pipeline::~pipeline() {
    if (thread_.joinable()) thread_.join();
}

void pipeline::start(std::string_view version) {
    std::string extra = "\"version\":\"";
    extra += version;
    extra += '"';
    const timestamp now = wall_clock::now();
    std::vector<event> first{make_status_event("started", now, extra)};
    const auto saved = journal_.load_alerts();
    if (!saved.empty()) spdlog::info("{} alert(s) active at the last stop", saved.size());
    for (const auto& a : saved) active_keys_.emplace(a.rule, a.device, a.point);
    active_alerts_ = active_keys_.size();
    add_alerts(engine_.restore(saved, now), first);
    take_changes();
    thread_ = std::thread([this, first = std::move(first)]() mutable {
        try {
            commit_batch(first);
            run();
        } catch (const std::exception& e) {
            spdlog::critical("pipeline stopped: {}", e.what());
            on_fatal_();
        }
    });
}

void pipeline::join() {
    if (thread_.joinable()) thread_.join();
}

bool pipeline::acks_changed() const {
    for (int l = 0; l < lane_count; ++l) {
        if (acks_.get(static_cast<lane>(l)) != saved_acks_[l]) return true;
    }
    return false;
}

void pipeline::save_acks() {
    if (!acks_changed()) return;
    journal_.begin();
    for (int l = 0; l < lane_count; ++l) {
        const std::int64_t acked = acks_.get(static_cast<lane>(l));
        journal_.save_cursor(forwarder_cursor, static_cast<lane>(l), acked);
        saved_acks_[l] = acked;
    }
    journal_.commit();
}

void pipeline::apply_retention(std::vector<event>& batch) {
    try {
        const std::int64_t dropped = journal_.enforce_retention(wall_clock::now(), &acks_);
        if (dropped > 0) {
            spdlog::warn("journal full: {} undelivered events dropped by retention", dropped);
            batch.push_back(make_status_event("dropped", wall_clock::now(),
                                              "\"count\":" + std::to_string(dropped)));
        }
    } catch (const journal_error& e) {
        // Not fatal: the commit that follows reports a journal that stays broken.
        spdlog::error("journal retention failed: {}", e.what());
    }
}

void pipeline::add_alerts(std::vector<alert> alerts, std::vector<event>& batch) {
    for (const auto& a : alerts) {
        spdlog::info("alert {}: {}", a.state == alert_state::raised ? "raised" : "cleared",
                     a.message);
        batch.push_back(make_alert_event(a));
    }
}

void pipeline::take_changes() {
    auto changes = engine_.take_changes();
    changes_.insert(changes_.end(), std::make_move_iterator(changes.begin()),
                    std::make_move_iterator(changes.end()));
}

// One transaction: the batch, the alert states that changed with it and the latest acks. On
// failure the batch and the states are kept for a retry.
void pipeline::commit_batch(std::vector<event>& batch) {
    for (int attempt = 1;; ++attempt) {
        progress_ = std::chrono::steady_clock::now();
        try {
            journal_.begin();
            for (const auto& ev : batch) journal_.append(ev);
            for (const auto& c : changes_) {
                if (c.active) {
                    journal_.save_alert(c.state);
                } else {
                    journal_.remove_alert(c.state.rule, c.state.device, c.state.point);
                }
            }
            std::array<std::int64_t, lane_count> acked{};
            for (int l = 0; l < lane_count; ++l) {
                acked[l] = acks_.get(static_cast<lane>(l));
                if (acked[l] != saved_acks_[l]) {
                    journal_.save_cursor(forwarder_cursor, static_cast<lane>(l), acked[l]);
                }
            }
            journal_.commit();
            saved_acks_ = acked;
            events_appended_.fetch_add(batch.size(), std::memory_order_relaxed);
            note_committed_changes();
            batch.clear();
            changes_.clear();
            return;
        } catch (const journal_error& e) {
            if (attempt == 1 || attempt % 60 == 0) {
                spdlog::error("journal commit failed ({} events waiting, attempt {}): {}",
                              batch.size(), attempt, e.what());
            }
            if (channel_.finished() && attempt >= shutdown_attempts) throw;
            // Room may come back from retention (a full disk) or from outside. On a full disk
            // retention usually made it: the first retry goes at once, later ones wait.
            apply_retention(batch);
            // What was committed before still reaches the broker meanwhile: an fsync needs no
            // room.
            sync_journal(std::chrono::steady_clock::now());
            if (!e.disk_full() || attempt > 1) std::this_thread::sleep_for(retry_wait);
        }
    }
}

void pipeline::note_committed_changes() {
    for (const auto& c : changes_) {
        auto key = std::make_tuple(c.state.rule, c.state.device, c.state.point);
        if (c.active) {
            active_keys_.insert(std::move(key));
        } else {
            active_keys_.erase(key);
        }
    }
    active_alerts_ = active_keys_.size();
}

void pipeline::count_reading(const std::string& device) {
    auto it = device_counters_.find(device);
    if (it == device_counters_.end()) {
        it = device_counters_.emplace(device, &device_counters_of(device)).first;
    }
    it->second->readings.fetch_add(1, std::memory_order_relaxed);
}

void pipeline::replace_rules(std::vector<rule> rules) {
    std::lock_guard lock(next_rules_mutex_);
    next_rules_ = std::move(rules);
}

void pipeline::swap_rules(std::vector<event>& batch) {
    std::optional<std::vector<rule>> rules;
    {
        std::lock_guard lock(next_rules_mutex_);
        rules.swap(next_rules_);
    }
    if (!rules) return;
    // The journal's alert states must be the engine's latest before they seed the new engine.
    take_changes();
    commit_batch(batch);
    const auto saved = journal_.load_alerts();
    engine_ = rule_engine(std::move(*rules));
    add_alerts(engine_.restore(saved, wall_clock::now()), batch);
    take_changes();
    spdlog::info("rules reloaded: {} rule(s), {} alert(s) kept active", engine_.rules().size(),
                 saved.size() - changes_.size());
}

void pipeline::run() {
    const auto batch_max = static_cast<std::size_t>(cfg_.commit_batch);
    std::vector<ingest_item> readings;
    std::vector<event> batch;
    readings.reserve(batch_max);
    batch.reserve(batch_max + 1);
    auto next_retention = std::chrono::steady_clock::now() + retention_every;
    auto next_tick = std::chrono::steady_clock::now() + tick_every;
    while (true) {
        const auto loop_start = std::chrono::steady_clock::now();
        progress_ = loop_start;
        swap_rules(batch);
        const bool ticking = !engine_.rules().empty();
        std::chrono::milliseconds wait = ticking ? tick_every : idle_wait;
        if (const auto due = sync_due()) {
            // Commits wait for their sync: no longer than it is due.
            wait = std::clamp(std::chrono::ceil<std::chrono::milliseconds>(*due - loop_start),
                              std::chrono::milliseconds(0), wait);
        }
        readings.clear();
        channel_.pop(readings, batch_max, wait);
        // Group commit: keep taking what is already queued, without waiting, until the channel
        // is empty or the batch is full or old enough. At low load this adds no latency.
        const auto tx_start = std::chrono::steady_clock::now();
        while (!readings.empty() && readings.size() < batch_max &&
               std::chrono::steady_clock::now() - tx_start < cfg_.commit_interval) {
            if (channel_.pop(readings, batch_max - readings.size(), {}) == 0) break;
        }
        for (const auto& item : readings) {
            if (const auto* r = std::get_if<reading>(&item)) {
                count_reading(r->device);
                batch.push_back(make_reading_event(*r));
                add_alerts(engine_.on_reading(*r), batch);
            } else if (const auto* s = std::get_if<device_status>(&item)) {
                batch.push_back(make_device_event(*s));
            } else {
                for (auto& ev : make_command_events(std::get<command_outcome>(item))) {
                    batch.push_back(std::move(ev));
                }
            }
        }

        const auto now = std::chrono::steady_clock::now();
        if (ticking && now >= next_tick) {
            next_tick = now + tick_every;
            add_alerts(engine_.on_tick(wall_clock::now()), batch);
        }
        if (now >= next_retention) {
            next_retention = now + retention_every;
            apply_retention(batch);
        }
        take_changes();
        const bool alerting = std::any_of(batch.begin(), batch.end(),
                                          [](const event& ev) { return ev.lane == lane::high; });
        if (!batch.empty() || !changes_.empty() || acks_changed()) commit_batch(batch);
        if (alerting) alert_waiting_ = true;
        const bool finished = readings.empty() && channel_.finished();
        const auto due = sync_due();
        if (due && (finished || now >= *due)) sync_journal(now);
        if (finished) return;
    }
}

std::optional<std::chrono::steady_clock::time_point> pipeline::sync_due() const {
    if (journal_.durable_seq() >= journal_.committed_seq()) return std::nullopt;
    return last_sync_ + (alert_waiting_ ? alert_sync_every : sync_every);
}

// A failed sync is retried when the next one is due; meanwhile the forwarder holds back what it
// covers.
void pipeline::sync_journal(std::chrono::steady_clock::time_point now) {
    last_sync_ = now;
    try {
        journal_.sync();
        alert_waiting_ = false;
        if (sync_failing_) spdlog::info("journal sync works again");
        sync_failing_ = false;
    } catch (const journal_error& e) {
        if (!sync_failing_) spdlog::error("journal sync failed, retrying: {}", e.what());
        sync_failing_ = true;
    }
}

}  // namespace edgegate
