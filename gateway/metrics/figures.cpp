#include "gateway/metrics/figures.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "gateway/metrics/exposition.hpp"

namespace edgegate {

std::uint64_t gateway_figures::readings_total() const {
    std::uint64_t total = 0;
    for (const auto& d : devices) total += d.readings;
    return total;
}

gateway_figures::journal_part journal_figures(const journal_reader::stats& stats, timestamp now) {
    gateway_figures::journal_part j;
    j.backlog = stats.undelivered();
    const auto oldest = stats.oldest_undelivered();
    // A source clock ahead of ours would make the age negative; it is then simply new.
    if (oldest)
        j.oldest_age_seconds = std::max(std::chrono::duration<double>(now - *oldest).count(), 0.0);
    j.dropped_total = stats.dropped_total;
    j.bytes = stats.bytes_used;
    return j;
}

std::vector<device_figures> device_figures_now() {
    std::vector<device_figures> out;
    for (const auto& [name, c] : every_device_counters()) {
        out.push_back({name, c->readings.load(std::memory_order_relaxed),
                       c->poll_errors.load(std::memory_order_relaxed), c->poll_duration.read()});
    }
    return out;
}

status_figures headline(const gateway_figures& f) {
    status_figures s;
    if (f.journal) {
        s.backlog = f.journal->backlog;
        s.oldest_age_seconds = f.journal->oldest_age_seconds;
        s.dropped_total = f.journal->dropped_total;
    }
    s.readings_total = f.readings_total();
    s.active_alerts = f.active_alerts;
    return s;
}

std::string render_metrics(const gateway_figures& f) {
    exposition e;
    const auto one = [&e](std::string_view name, metric_type type, std::string_view help,
                          double value) {
        e.family(name, type, help);
        e.sample(name, {}, value);
    };
    e.family("edgegate_readings_total", metric_type::counter,
             "Readings of the device that reached the pipeline since the gateway started.");
    for (const auto& d : f.devices) {
        e.sample("edgegate_readings_total", {{"device", d.name}}, static_cast<double>(d.readings));
    }
    one("edgegate_events_appended_total", metric_type::counter,
        "Events committed to the journal since the gateway started.",
        static_cast<double>(f.events_appended));
    one("edgegate_events_forwarded_total", metric_type::counter,
        "Events the broker acknowledged since the gateway started.",
        static_cast<double>(f.events_forwarded));
    if (f.journal) {
        one("edgegate_events_dropped_total", metric_type::counter,
            "Undelivered events removed by journal retention, over the journal's lifetime.",
            static_cast<double>(f.journal->dropped_total));
        one("edgegate_journal_backlog_events", metric_type::gauge,
            "Events in the journal not yet acknowledged by the broker.",
            static_cast<double>(f.journal->backlog));
        one("edgegate_journal_oldest_undelivered_age_seconds", metric_type::gauge,
            "Age of the oldest event not yet acknowledged by the broker (0 when none waits).",
            f.journal->oldest_age_seconds.value_or(0));
        one("edgegate_journal_bytes", metric_type::gauge,
            "Bytes the journal's pages in use take (what journal.max_bytes limits).",
            static_cast<double>(f.journal->bytes));
    }
    one("edgegate_broker_connected", metric_type::gauge,
        "1 while the forwarder is connected to the broker, else 0.", f.broker_connected ? 1 : 0);
    one("edgegate_broker_reconnects_total", metric_type::counter,
        "Connections to the broker after the first one since the gateway started.",
        static_cast<double>(f.reconnects));
    one("edgegate_alerts_active", metric_type::gauge, "Alerts raised and not cleared.",
        static_cast<double>(f.active_alerts));
    e.family("edgegate_poll_errors_total", metric_type::counter,
             "Polls of the device that failed wholly or partly: no answer, a garbled frame, a "
             "Modbus exception, or a link that could not be opened.");
    for (const auto& d : f.devices) {
        e.sample("edgegate_poll_errors_total", {{"device", d.name}},
                 static_cast<double>(d.poll_errors));
    }
    e.family("edgegate_poll_duration_seconds", metric_type::histogram,
             "Duration of one poll of the device, all its requests.");
    for (const auto& d : f.devices) {
        e.histogram("edgegate_poll_duration_seconds", {{"device", d.name}}, poll_duration_bounds,
                    d.poll_duration.buckets, d.poll_duration.sum_seconds);
    }
    return e.text();
}

figures_source::figures_source(const pipeline& pipe, const forwarder& fwd, std::string journal_path)
    : pipe_(pipe), fwd_(fwd), journal_path_(std::move(journal_path)) {}

gateway_figures figures_source::collect() {
    gateway_figures f;
    f.events_appended = pipe_.events_appended();
    f.active_alerts = pipe_.active_alerts();
    const forwarder_stats fs = fwd_.stats();
    f.events_forwarded = fs.published;
    f.broker_connected = fs.connected;
    f.reconnects = fs.reconnects;
    f.devices = device_figures_now();
    std::lock_guard lock(mutex_);
    try {
        if (!reader_) reader_.emplace(journal_path_);
        f.journal = journal_figures(reader_->read_stats(), wall_clock::now());
        if (journal_failing_) spdlog::info("metrics: the journal can be read again");
        journal_failing_ = false;
    } catch (const std::exception& e) {
        reader_.reset();
        if (!journal_failing_) {
            spdlog::error("metrics: reading the journal's figures failed: {}", e.what());
        }
        journal_failing_ = true;
    }
    return f;
}

}  // namespace edgegate
