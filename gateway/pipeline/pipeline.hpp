#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "gateway/config/config.hpp"
#include "gateway/core/device_counters.hpp"
#include "gateway/journal/journal.hpp"
#include "gateway/pipeline/ingest_channel.hpp"
#include "rules/rule_engine.hpp"

namespace edgegate {

// The pipeline thread: takes readings from the ingest channel, encodes them as events, runs
// them through the rules engine, and appends readings and alerts to the journal in group
// commits (a transaction closes as soon as the channel is empty, or at `commit_batch` events or
// `commit_interval`). Each commit also carries the alert states that changed with its alerts and
// the forwarder's latest acks. It ticks the engine every 100 ms and applies retention. It owns
// the journal writer while it runs.
class pipeline {
  public:
    // `on_fatal` is called (on the pipeline thread) when the journal fails for good; main then
    // stops the gateway with a non-zero exit.
    pipeline(const journal_section& cfg, journal_writer& journal, ingest_channel& channel,
             ack_mailbox& acks, std::function<void()> on_fatal, std::vector<rule> rules = {});
    ~pipeline();

    // Main thread: restore the active alerts from the journal and launch the thread. The first
    // commit is a `started` status event, with a clear for every restored alert whose rule is
    // gone. Throws journal_error when the alert state cannot be read.
    void start(std::string_view version);
    // Main thread: returns once the channel is closed and drained into a last commit.
    void join();
    // Main thread, after join(): persist the latest acks (the writer is main's again).
    void save_acks();
    // Main thread, while the pipeline runs (a configuration reload). Never blocks. The pipeline
    // thread takes the rules at its next iteration: it commits what it holds, then restores the
    // alert states saved in the journal into an engine with the new rules, exactly as at a
    // start: an alert whose rule still exists stays active without a second raise, one whose
    // rule is gone (or no longer matches) is cleared.
    void replace_rules(std::vector<rule> rules);
    // Any thread, never blocks: when the pipeline thread last began a loop iteration, the
    // watchdog's sign of life. It does so at least every 200 ms while it runs (every second
    // while a failing commit is retried), so only a thread stuck inside one call falls behind.
    std::chrono::steady_clock::time_point last_progress() const { return progress_.load(); }

    // Any thread, never blocks (atomic loads), for /metrics and the status message. Events this
    // process committed to the journal (readings, alerts, status events, command records).
    std::uint64_t events_appended() const { return events_appended_.load(); }
    // Alerts active as of the last commit, as the journal's alert_state holds them.
    std::uint64_t active_alerts() const { return active_alerts_.load(); }

  private:
    void run();
    void commit_batch(std::vector<event>& batch);
    void add_alerts(std::vector<alert> alerts, std::vector<event>& batch);
    // Moves the engine's changed alert states into changes_, for the next commit.
    void take_changes();
    // Applies max_bytes/max_age; announces undelivered drops with a status event in `batch`.
    void apply_retention(std::vector<event>& batch);
    bool acks_changed() const;
    // Pipeline thread: counts a reading of its device (device_counters.readings).
    void count_reading(const std::string& device);
    // Pipeline thread, after a commit: the committed alert changes update active_keys_.
    void note_committed_changes();
    // Pipeline thread: installs rules passed to replace_rules(), if any.
    void swap_rules(std::vector<event>& batch);
    // Pipeline thread, durability normal: when the commits not yet durable are due for a sync
    // (none: everything committed is durable), and the sync, a failure logged once until it
    // works again.
    std::optional<std::chrono::steady_clock::time_point> sync_due() const;
    void sync_journal(std::chrono::steady_clock::time_point now);

    journal_section cfg_;
    journal_writer& journal_;
    ingest_channel& channel_;
    ack_mailbox& acks_;
    std::function<void()> on_fatal_;
    std::array<std::int64_t, lane_count> saved_acks_{};
    rule_engine engine_;
    // Alert states not yet committed; kept across a failed commit like the batch.
    std::vector<alert_change> changes_;
    std::mutex next_rules_mutex_;
    std::optional<std::vector<rule>> next_rules_;
    std::atomic<std::chrono::steady_clock::time_point> progress_{std::chrono::steady_clock::now()};
    // The pipeline thread's own index of device counters: no lock per reading.
    std::map<std::string, device_counters*, std::less<>> device_counters_;
    // (rule, device, point) of every active alert as committed.
    std::set<std::tuple<std::string, std::string, std::string>> active_keys_;
    std::atomic<std::uint64_t> events_appended_{0};
    std::atomic<std::uint64_t> active_alerts_{0};
    // Pipeline thread: the last sync, whether a committed high-lane event waits for the next.
    std::chrono::steady_clock::time_point last_sync_{};
    bool alert_waiting_ = false;
    bool sync_failing_ = false;
    std::thread thread_;
};

}  // namespace edgegate
