// Figure 1, ingest: readings through ingest_channel -> pipeline -> journal_writer, beside a bare
// SQLite loop writing the same rows in transactions of the same size, in the same run.
#include <atomic>
#include <cmath>
#include <stdexcept>
#include <string>

#include "gateway/core/payload.hpp"
#include "gateway/journal/journal.hpp"
#include "gateway/pipeline/ingest_channel.hpp"
#include "gateway/pipeline/pipeline.hpp"
#include "tests/bench/bench.hpp"
#include "tests/bench/raw_sqlite.hpp"
#include "tests/helpers/temp_dir.hpp"
#include "tests/helpers/wait.hpp"

namespace edgegate::bench {
namespace {

using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

struct pipeline_run {
    double seconds = 0;
    std::int64_t commits = 0;
};

// The gateway's ingest path exactly as gateway/cli/run.cpp wires it, fed from this thread as
// fast as the channel takes readings. The readings are built beforehand so the figure is the
// channel + pipeline + journal, not the making of test data.
pipeline_run run_pipeline(const std::string& path, durability d, int commit_batch,
                          std::vector<reading> readings) {
    journal_section cfg;
    cfg.path = path;
    cfg.durability = d;
    cfg.commit_batch = commit_batch;
    // Retention must not delete anything during the run: the raw loop keeps every row too.
    cfg.max_bytes = 1ull << 40;
    journal_writer journal({cfg.path, d == durability::full, cfg.max_bytes, cfg.max_age});
    std::atomic<std::int64_t> commits{0};
    journal.on_commit([&commits] { commits.fetch_add(1, std::memory_order_relaxed); });

    ack_mailbox acks;
    ingest_channel channel(channel_capacity);
    std::atomic<bool> fatal{false};
    // A failing journal would leave this thread blocked on a full channel; closing it lets the
    // feeding loop end so the failure is reported.
    pipeline pipe(cfg, journal, channel, acks, [&] {
        fatal = true;
        channel.close();
    });
    pipe.start("bench");
    // The `started` status event is the first commit; the clock starts after it.
    if (!test::wait_until([&] { return journal.committed_seq() >= 1 || fatal; }, 30s, 1ms) ||
        fatal) {
        channel.close();
        pipe.join();
        throw std::runtime_error("the pipeline did not commit its started event");
    }

    const std::int64_t commits_before = commits.load();
    const auto t0 = clock_type::now();
    for (auto& r : readings) {
        if (!channel.push(std::move(r))) break;
    }
    channel.close();
    pipe.join();
    const auto t1 = clock_type::now();
    if (fatal) throw std::runtime_error("the journal failed during the ingest run");
    const auto expected = static_cast<std::int64_t>(readings.size()) + 1;
    if (journal.committed_seq() != expected) {
        throw std::runtime_error("journal ended at seq " + std::to_string(journal.committed_seq()) +
                                 ", expected " + std::to_string(expected));
    }
    return {seconds_between(t0, t1), commits.load() - commits_before};
}

void one_durability(durability d, int n, const options& opts, table& out) {
    const bool full = d == durability::full;
    const std::string label = full ? "full" : "normal";
    const auto readings = make_readings(n, "bench");
    std::vector<event> events;
    events.reserve(readings.size());
    for (const auto& r : readings) events.push_back(make_reading_event(r));

    std::vector<double> piped_eps;
    std::vector<double> raw_eps;
    std::vector<double> ratios;
    std::vector<double> commits;
    for (int round = 0; round < opts.rounds; ++round) {
        test::temp_dir dir;
        const auto piped = run_pipeline(dir.file("journal.db"), d, opts.commit_batch, readings);
        // The raw loop commits as often as the pipeline did: with `full` the fsync per commit
        // is most of the cost, so equal transaction counts are what makes the two comparable.
        const double mean_batch =
            piped.commits > 0 ? static_cast<double>(n) / static_cast<double>(piped.commits) : n;
        const int raw_batch = std::max(1, static_cast<int>(std::lround(mean_batch)));
        const double raw_seconds =
            raw_sqlite_insert(dir.file("journal.db"), dir.file("raw.db"), full, events, raw_batch);
        piped_eps.push_back(n / piped.seconds);
        raw_eps.push_back(n / raw_seconds);
        ratios.push_back(piped_eps.back() / raw_eps.back());
        commits.push_back(static_cast<double>(piped.commits));
    }

    const auto rounds = static_cast<std::size_t>(opts.rounds);
    const auto piped = summarize(piped_eps);
    const auto raw = summarize(raw_eps);
    const auto commit_count = summarize(commits);
    out.row("durability " + label + ": readings", thousands(n), "readings");
    out.row("  pipeline + journal", thousands(piped.median),
            unit_with_range("events/s", piped, rounds));
    out.row("  raw SQLite loop (same rows, same batch)", thousands(raw.median),
            unit_with_range("events/s", raw, rounds));
    out.row("  ratio pipeline / raw", fixed(summarize(ratios).median, 2),
            rounds > 1 ? "median of the rounds' ratios" : "");
    out.row("  pipeline transactions (mean size)",
            thousands(commit_count.median) + " (" + fixed(n / commit_count.median, 0) + ")",
            "commits (events)");
    out.add_headline({"ingest, durability " + label + ", " + thousands(n) + " readings",
                      thousands(piped.median) + " events/s",
                      thousands(raw.median) + " events/s (raw batched SQLite insert loop)",
                      fixed(summarize(ratios).median, 2), rerun_command(opts, "ingest")});
}

}  // namespace

void bench_ingest(const options& opts, table& out) {
    out.section("1. Ingest: ingest_channel + pipeline + journal_writer vs raw SQLite (WAL)");
    one_durability(durability::full, opts.ingest_full, opts, out);
    one_durability(durability::normal, opts.ingest_normal, opts, out);
}

}  // namespace edgegate::bench
