#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/core/reading.hpp"

namespace edgegate::bench {

// What `edgegate_bench` measures and how much of it; every count is a command-line flag.
struct options {
    // The ingest and forward pairs run this many times, alternating the two sides, and report
    // medians: on a small shared machine one run alone can be off by a third.
    int rounds = 3;
    int ingest_full = 200000;
    int ingest_normal = 200000;
    int commit_batch = 1000;  // the journal's default
    int forward_events = 100000;
    int window = 256;  // the forwarder's default
    int batch = 50;    // mqtt.batch of the forward and backlog lines with batch mode on
    // mqtt.rate_limit of the rate-limit line (messages/s), held for `rate_seconds` of measuring.
    int rate_limit = 1000;
    int rate_seconds = 5;
    int latency_rate = 1000;
    int latency_seconds = 20;
    int gateway_seconds = 20;
    int modbus_points = 100;  // the footprint figure's device, polled every 100 ms
    int backlog_events = 1000000;
    // Every count above scaled down for a run of a minute or two (figures less steady).
    bool quick = false;
    std::vector<std::string> only;
    // Where the Markdown report goes (BENCHMARKS.md for `make bench`); empty: none.
    std::string report;
};

// `bash tests/bench/run.sh build/release --only <figure>`, with --quick when this run had it:
// the command that reruns one line of the report.
std::string rerun_command(const options& opts, std::string_view figure);

// One line of the summary table: the figure, its baseline from the same run, their ratio.
struct headline {
    std::string line;
    std::string figure;
    std::string baseline;
    std::string ratio;
    std::string command;
};

// The figure table: rows are printed as soon as they are measured, so a long run shows its
// progress and an interrupted one keeps what it got. Everything printed is also kept for the
// Markdown report, with the summary lines. Main thread only.
class table {
  public:
    // A line as it is (the machine header).
    void text(std::string_view line);
    void section(std::string_view title);
    void row(std::string_view name, std::string_view value, std::string_view unit);
    void note(std::string_view text);
    void add_headline(headline h);

    // A figure a later one is compared with (the forward rate predicts the backlog's drain).
    void remember(const std::string& key, double value) { remembered_[key] = value; }
    std::optional<double> recall(const std::string& key) const;

    const std::string& transcript() const { return transcript_; }
    const std::vector<headline>& headlines() const { return headlines_; }

  private:
    void print(const std::string& line);

    std::string transcript_;
    std::vector<headline> headlines_;
    std::map<std::string, double> remembered_;
};

// 1234567.8 -> "1,234,568"
std::string thousands(double v);
// Fixed-point with `decimals` digits.
std::string fixed(double v, int decimals);

// The median and range of repeated measurements.
struct spread {
    double median = 0;
    double min = 0;
    double max = 0;
};
spread summarize(std::vector<double> values);
// A ratio a / b with two decimals, "n/a" when either is unknown.
std::string ratio_text(double a, double b);
// "<unit>, median of N (min..max)", or just `unit` after a single round.
std::string unit_with_range(std::string_view unit, const spread& s, std::size_t rounds);

double seconds_between(std::chrono::steady_clock::time_point a,
                       std::chrono::steady_clock::time_point b);

// `n` readings of devices with ten points each, as the simulated driver would deliver them: one
// device named `device`, or `devices` of them named `<device>-0`, `<device>-1`, ... taking turns
// poll by poll (ten readings each), as a gateway with several devices journals them.
std::vector<reading> make_readings(int n, const std::string& device, int devices = 1);

// The ingest channel's capacity in the gateway (gateway/cli/run.cpp); the figures use the same.
inline constexpr std::size_t channel_capacity = 10000;

void bench_ingest(const options& opts, table& out);
void bench_forward(const options& opts, table& out);
void bench_latency(const options& opts, table& out);
void bench_gateway(const options& opts, table& out);
void bench_modbus(const options& opts, table& out);
void bench_rules(const options& opts, table& out);
// Start-up and backlog share one journal of `backlog_events` undelivered events.
void bench_journal_figures(const options& opts, table& out);

}  // namespace edgegate::bench
