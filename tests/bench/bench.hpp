#pragma once

#include <chrono>
#include <cstdint>
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
    int latency_rate = 1000;
    int latency_seconds = 20;
    int gateway_seconds = 30;
    std::string config;  // the demo configuration the gateway figure runs
    std::vector<std::string> only;
};

// The figure table: rows are printed as soon as they are measured, so a long run shows its
// progress and an interrupted one keeps what it got.
class table {
  public:
    void section(std::string_view title);
    void row(std::string_view name, std::string_view value, std::string_view unit);
    void note(std::string_view text);
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
// "<unit>, median of N (min..max)", or just `unit` after a single round.
std::string unit_with_range(std::string_view unit, const spread& s, std::size_t rounds);

double seconds_between(std::chrono::steady_clock::time_point a,
                       std::chrono::steady_clock::time_point b);

// `n` readings of one device with ten points, as the simulated driver would deliver them.
std::vector<reading> make_readings(int n, const std::string& device);

// The ingest channel's capacity in the gateway (gateway/cli/run.cpp); the figures use the same.
inline constexpr std::size_t channel_capacity = 10000;

void bench_ingest(const options& opts, table& out);
void bench_forward(const options& opts, table& out);
void bench_latency(const options& opts, table& out);
void bench_gateway(const options& opts, table& out);
void bench_modbus(const options& opts, table& out);
void bench_rules(const options& opts, table& out);

}  // namespace edgegate::bench
