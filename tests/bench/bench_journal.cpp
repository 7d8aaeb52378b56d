// Figures 7 and 8, on one journal of a million undelivered events (as an outage leaves it):
// 8. backlog: the real `edgegate` binary drains it to a local mosquitto while a simulated device
//    keeps producing live readings; its drain rate is set beside the forward figure's rate (the
//    drain time that figure predicts) and its peak RSS is sampled throughout; then a copy of the
//    same journal is drained with mqtt.batch, beside the drain without;
// 7. start-up: exec to READY=1 on that journal, beside the same on an empty journal.
#include <algorithm>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "gateway/core/payload.hpp"
#include "gateway/journal/journal.hpp"
#include "tests/bench/bench.hpp"
#include "tests/bench/gateway_process.hpp"
#include "tests/bench/process_sampler.hpp"
#include "tests/bench/timing_subscriber.hpp"
#include "tests/helpers/mosquitto.hpp"
#include "tests/helpers/process.hpp"
#include "tests/helpers/temp_dir.hpp"
#include "tests/helpers/wait.hpp"

namespace edgegate::bench {
namespace {

using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr const char* gateway_id = "bench-backlog";
constexpr auto ready_deadline = 120s;
// After the backlog, the live readings journaled meanwhile must arrive within this.
constexpr auto live_deadline = 60s;

// Live readings while the backlog drains: ten points every 100 ms (100 readings/s).
std::string live_device() {
    std::string yaml = "  - name: live\n    driver: simulated\n    poll: 100ms\n    points:\n";
    for (int i = 0; i < 10; ++i) {
        yaml += "      - { name: c" + std::to_string(i) + ", signal: counter }\n";
    }
    return yaml;
}

// `n` readings of `devices` devices committed in transactions of 1,000 with durability normal:
// seqs 1..n, all undelivered (no forwarder cursor yet). Built in slices so the bench does not
// hold them all.
double fill_journal(const std::string& path, int n, int devices) {
    const auto t0 = clock_type::now();
    journal_writer journal({path, false, 1ull << 40, std::chrono::hours(24 * 3650)});
    constexpr int slice = 10000;
    constexpr int batch = 1000;
    for (int done = 0; done < n; done += slice) {
        const auto readings = make_readings(std::min(slice, n - done), "backlog", devices);
        for (std::size_t i = 0; i < readings.size(); i += batch) {
            journal.begin();
            for (std::size_t j = i; j < std::min(readings.size(), i + batch); ++j) {
                journal.append(make_reading_event(readings[j]));
            }
            journal.commit();
        }
    }
    if (journal.committed_seq() != n) throw std::runtime_error("the backlog journal is short");
    return seconds_between(t0, clock_type::now());
}

// Exec to READY=1 with the broker unreachable (nothing listens on its port), so the journal
// stays undelivered for the next run, and the gateway stopped right after.
double start_once(const std::string& dir, const std::string& journal, const std::string& name) {
    const std::string uri = "tcp://127.0.0.1:" + std::to_string(test::free_tcp_port());
    const auto config = write_config(dir, name, gateway_id, journal, uri, live_device());
    gateway_process gw(config, dir);
    const auto ready = gw.wait_ready(ready_deadline);
    const auto stopped = gw.stop();
    if (!ready) throw std::runtime_error("edgegate sent no READY=1 (log: " + gw.log() + ")");
    if (stopped.exit_code != 0) {
        throw std::runtime_error("edgegate did not stop cleanly (log: " + gw.log() + ")");
    }
    return *ready;
}

void startup(const options& opts, table& out, const std::string& journal, int n) {
    out.section("7. Start-up: exec to READY=1, " + thousands(n) + "-event journal vs an empty one");
    std::vector<double> full_s, empty_s, ratios;
    for (int round = 0; round < opts.rounds; ++round) {
        test::temp_dir empty_dir;
        test::temp_dir full_dir;
        empty_s.push_back(start_once(empty_dir.path(), empty_dir.file("journal.db"), "empty"));
        full_s.push_back(start_once(full_dir.path(), journal, "full"));
        ratios.push_back(full_s.back() / empty_s.back());
    }
    const auto rounds = static_cast<std::size_t>(opts.rounds);
    const auto full = summarize(full_s);
    const auto empty = summarize(empty_s);
    const auto ms = [](const spread& s) {
        return spread{s.median * 1000, s.min * 1000, s.max * 1000};
    };
    out.row("journal with " + thousands(n) + " undelivered events", fixed(full.median * 1000, 1),
            unit_with_range("ms", ms(full), rounds));
    out.row("empty journal (created at start)", fixed(empty.median * 1000, 1),
            unit_with_range("ms", ms(empty), rounds));
    out.row("ratio full / empty", fixed(summarize(ratios).median, 2),
            rounds > 1 ? "median of the rounds' ratios" : "");
    out.note("broker unreachable, so nothing is delivered between runs; one simulated device");
    out.add_headline({"start-up, exec to READY=1, " + thousands(n) + "-event journal",
                      fixed(full.median * 1000, 1) + " ms",
                      fixed(empty.median * 1000, 1) + " ms (empty journal)",
                      fixed(summarize(ratios).median, 2), rerun_command(opts, "startup")});
}

// One drain of the backlog journal by the real binary, with `mqtt.batch: batch`.
struct drain_result {
    std::int64_t last_before = 0;  // undelivered events at the start
    double ready_s = 0;
    double drain_s = 0;  // exec until every backlog seq arrived
    std::int64_t drained = 0;
    bool done = false;
    long peak_rss_kib = 0;
    double cpu_share = 0;  // CPU time / drain time
    std::int64_t live_events = 0;
    double live_s = 0;
    bool live_done = false;
    std::int64_t duplicates = 0;
    gateway_process::stopped stopped;

    double rate() const { return static_cast<double>(drained) / drain_s; }
};

drain_result drain(const std::string& journal, int n, int batch) {
    test::mosquitto_broker broker(false);
    test::temp_dir dir;
    timing_subscriber sub(broker.uri(), std::string("edgegate/") + gateway_id + "/#",
                          "edgegate-bench-backlog-sub");
    const std::string mqtt_yaml = batch > 1 ? "  batch: " + std::to_string(batch) + "\n" : "";
    const auto config = write_config(dir.path(), "backlog", gateway_id, journal, broker.uri(),
                                     live_device(), mqtt_yaml);
    drain_result d;
    d.last_before = journal_reader(journal).read_stats().last_seq;

    gateway_process gw(config, dir.path());
    const auto t0 = clock_type::now();
    const auto ready = gw.wait_ready(ready_deadline);
    if (!ready) throw std::runtime_error("edgegate sent no READY=1 (log: " + gw.log() + ")");
    d.ready_s = *ready;
    // A drain slower than 1,000 events/s (plus a minute) is reported from what had arrived.
    const auto deadline = t0 + 60s + std::chrono::milliseconds(d.last_before);
    const auto drained = sample_process(gw.pid(), deadline, [&] { return sub.seq_prefix() >= n; });
    d.drain_s = seconds_between(t0, clock_type::now());
    d.drained = std::min<std::int64_t>(sub.seq_prefix(), n);
    d.done = drained.done;
    // Everything the gateway journaled meanwhile (live readings, its status events) comes after
    // the backlog in seq order; how long until that too has arrived.
    const auto last_during = journal_reader(journal).read_stats().last_seq;
    d.live_events = last_during - d.last_before;
    const auto t1 = clock_type::now();
    const auto live = sample_process(gw.pid(), t1 + live_deadline,
                                     [&] { return sub.seq_prefix() >= last_during; });
    d.live_s = seconds_between(t1, clock_type::now());
    d.live_done = live.done;
    d.stopped = gw.stop();
    if (drained.exited || live.exited) {
        throw std::runtime_error("edgegate exited during the drain (log: " + gw.log() + ")");
    }
    d.peak_rss_kib = std::max(drained.peak_rss_kib, live.peak_rss_kib);
    d.cpu_share = drained.cpu_seconds / drained.wall_seconds;
    d.duplicates = sub.duplicates();
    return d;
}

void drain_rows(table& out, const drain_result& d) {
    out.row("  exec to READY=1", fixed(d.ready_s, 2), "s");
    out.row("  exec to every backlog event at the subscriber", fixed(d.drain_s, 1),
            d.done ? "s"
                   : "s (deadline passed with " + thousands(static_cast<double>(d.drained)) + ")");
    out.row("  drain rate", thousands(d.rate()), "events/s");
    out.row("  peak RSS during the drain (VmHWM)", thousands(static_cast<double>(d.peak_rss_kib)),
            "KiB");
    out.row("  CPU time / drain time", fixed(100.0 * d.cpu_share, 1), "% of one core");
    out.row("  events journaled during the drain (live readings, status)",
            thousands(static_cast<double>(d.live_events)), "events");
    out.row("  ... all of them arrived after the backlog within", fixed(d.live_s, 2),
            d.live_done ? "s" : "s (deadline passed)");
    out.row("  duplicates at the subscriber", thousands(static_cast<double>(d.duplicates)),
            "messages");
    out.row("  SIGTERM to exit (exit code " +
                (d.stopped.exit_code ? std::to_string(*d.stopped.exit_code) : "none") + ")",
            fixed(d.stopped.seconds, 2), "s");
}

// Figures of the forward line `key` of this run, set beside a drain: the drain time its rate
// predicts and the ratio of the rates. {baseline, ratio} for the summary, n/a without it.
std::pair<std::string, std::string> forward_baseline(table& out, const std::string& key,
                                                     const drain_result& d, int n) {
    const auto forward_rate = out.recall(key);
    if (!forward_rate) return {"n/a (run with the forward figure)", "n/a"};
    const double predicted = static_cast<double>(n) / *forward_rate;
    out.row("  drain time predicted by the forward figure's rate", fixed(predicted, 1),
            "s (" + thousands(*forward_rate) + " events/s)");
    out.row("  ratio drain rate / forward rate", ratio_text(d.rate(), *forward_rate), "");
    return {fixed(predicted, 1) + " s predicted by the forward rate (" + thousands(*forward_rate) +
                " events/s)",
            ratio_text(d.rate(), *forward_rate)};
}

std::string drain_figure(const drain_result& d) {
    return fixed(d.drain_s, 1) + " s (" + thousands(d.rate()) + " events/s), peak RSS " +
           thousands(static_cast<double>(d.peak_rss_kib)) + " KiB";
}

// The drain without batches, then the same journal (copied before the first drain delivered
// it) drained with `mqtt.batch`.
void backlog(const options& opts, table& out, const std::string& journal, int n) {
    out.section("8. Backlog: edgegate drains " + thousands(n) +
                " journaled events while live readings flow");
    // A closed journal is its file alone (the last connection removed the -wal).
    if (std::filesystem::exists(journal + "-wal")) {
        throw std::runtime_error("the backlog journal was not closed cleanly: " + journal + "-wal");
    }
    const std::string batch_journal = journal + "-batch.db";
    std::filesystem::copy_file(journal, batch_journal);

    const auto plain = drain(journal, n, 1);
    out.row("undelivered events at start (backlog " + thousands(n) + ")",
            thousands(static_cast<double>(plain.last_before)), "events");
    drain_rows(out, plain);
    const auto [baseline, ratio] = forward_baseline(out, "forward_eps", plain, n);
    out.add_headline({"backlog, drain " + thousands(n) + " events with live readings flowing",
                      drain_figure(plain), baseline, ratio,
                      rerun_command(opts, "forward,backlog")});

    const std::string batch_name = "mqtt.batch: " + std::to_string(opts.batch);
    const auto batched = drain(batch_journal, n, opts.batch);
    std::filesystem::remove(batch_journal);
    out.row("the same backlog with " + batch_name,
            thousands(static_cast<double>(batched.last_before)), "events");
    drain_rows(out, batched);
    forward_baseline(out, "forward_batch_eps", batched, n);
    out.row("  ratio drain rate with / without batch", ratio_text(batched.rate(), plain.rate()),
            "");
    out.add_headline({"backlog with " + batch_name + ", drain " + thousands(n) + " events",
                      drain_figure(batched),
                      fixed(plain.drain_s, 1) + " s (" + thousands(plain.rate()) +
                          " events/s, the same drain without batch)",
                      ratio_text(batched.rate(), plain.rate()), rerun_command(opts, "backlog")});
}

bool wants(const options& opts, const std::string& figure) {
    return opts.only.empty() ||
           std::find(opts.only.begin(), opts.only.end(), figure) != opts.only.end();
}

}  // namespace

void bench_journal_figures(const options& opts, table& out) {
    test::temp_dir dir;
    const std::string journal = dir.file("journal.db");
    const int n = opts.backlog_events;
    // A few devices, as in the forward figure, so that batches form as they do in the field.
    const double fill_s = fill_journal(journal, n, 4);
    out.text("");
    out.text("(a journal of " + thousands(n) + " undelivered readings filled in " +
             fixed(fill_s, 1) + " s for the backlog and start-up figures)");
    // Start-up first: it leaves the journal undelivered (no broker) for the drain.
    if (wants(opts, "startup")) startup(opts, out, journal, n);
    if (wants(opts, "backlog")) backlog(opts, out, journal, n);
}

}  // namespace edgegate::bench
