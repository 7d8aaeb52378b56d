#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "gateway/core/clock.hpp"
#include "gateway/core/device_counters.hpp"
#include "gateway/forward/forwarder.hpp"
#include "gateway/journal/journal.hpp"
#include "gateway/pipeline/pipeline.hpp"

namespace edgegate {

// One device's figures at one moment.
struct device_figures {
    std::string name;
    std::uint64_t readings = 0;
    std::uint64_t poll_errors = 0;
    duration_histogram::snapshot poll_duration;
};

// Everything /metrics shows, at one moment (README "Metrics" names and defines each figure).
struct gateway_figures {
    std::uint64_t events_appended = 0;
    std::int64_t events_forwarded = 0;
    bool broker_connected = false;
    std::int64_t reconnects = 0;
    std::uint64_t active_alerts = 0;
    // From the journal; absent when it could not be read.
    struct journal_part {
        std::int64_t backlog = 0;
        std::optional<double> oldest_age_seconds;  // none when nothing waits
        std::int64_t dropped_total = 0;
        std::uint64_t bytes = 0;
    };
    std::optional<journal_part> journal;
    std::vector<device_figures> devices;  // by name

    std::uint64_t readings_total() const;
};

// The journal's share of the figures, from a read_stats() snapshot taken at `now`.
gateway_figures::journal_part journal_figures(const journal_reader::stats& stats, timestamp now);

// Every device counter of this process (device_counters_of), by name.
std::vector<device_figures> device_figures_now();

// The status message's headline figures out of the gateway's figures.
status_figures headline(const gateway_figures& f);

// The Prometheus text exposition of `f`. Pure; any thread.
std::string render_metrics(const gateway_figures& f);

// Gathers the figures of a running gateway: the pipeline's and forwarder's atomics and the
// journal's statistics through a reader connection of its own (opened again after a failure).
// Any thread: the journal read is serialised by a mutex and may block for as long as it takes
// (index lookups and counts; milliseconds on a large journal). Never throws; a journal that
// cannot be read leaves the journal part empty and is logged.
class figures_source {
  public:
    figures_source(const pipeline& pipe, const forwarder& fwd, std::string journal_path);

    gateway_figures collect();

  private:
    const pipeline& pipe_;
    const forwarder& fwd_;
    const std::string journal_path_;
    std::mutex mutex_;
    std::optional<journal_reader> reader_;
    bool journal_failing_ = false;  // logged once per failure, not once per scrape
};

}  // namespace edgegate
