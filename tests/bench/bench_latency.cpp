// Figure 3, latency: from the moment a driver hands a reading to the ingest channel to its
// arrival at an MQTT subscriber, through the real pipeline (durability full), journal,
// forwarder and a local mosquitto, at a steady rate.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <stdexcept>
#include <string>
#include <thread>

#include "gateway/forward/forwarder.hpp"
#include "gateway/journal/journal.hpp"
#include "gateway/pipeline/ingest_channel.hpp"
#include "gateway/pipeline/pipeline.hpp"
#include "tests/bench/bench.hpp"
#include "tests/bench/timing_subscriber.hpp"
#include "tests/helpers/mosquitto.hpp"
#include "tests/helpers/temp_dir.hpp"
#include "tests/helpers/wait.hpp"

namespace edgegate::bench {
namespace {

using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr const char* gateway_id = "bench-latency";
constexpr auto start_deadline = 30s;
// After the last reading was pushed, the rest must arrive within this.
constexpr auto drain_deadline = 120s;

// Nearest-rank percentile of sorted `v`, in milliseconds.
double percentile_ms(const std::vector<double>& sorted, double p) {
    if (sorted.empty()) return NAN;
    const auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(sorted.size())));
    return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

}  // namespace

void bench_latency(const options& opts, table& out) {
    out.section("3. Latency: reading pushed by a driver -> arrival at a subscriber");
    const int n = opts.latency_rate * opts.latency_seconds;
    test::mosquitto_broker broker(false);
    test::temp_dir dir;
    timing_subscriber sub(broker.uri(), std::string("edgegate/") + gateway_id + "/data/#");

    // Wired as gateway/cli/run.cpp wires the daemon, with the configuration's defaults.
    journal_section cfg;
    cfg.path = dir.file("journal.db");
    cfg.durability = durability::full;
    journal_writer journal({cfg.path, true, cfg.max_bytes, cfg.max_age});
    ack_mailbox acks;
    mqtt_section mqtt;
    mqtt.uri = broker.uri();
    mqtt.client_id = "edgegate-bench-latency";
    mqtt.window = opts.window;
    forwarder fwd(mqtt, gateway_id, cfg.path, acks, "bench");
    journal.on_commit([&fwd] { fwd.notify(); });
    ingest_channel channel(channel_capacity);
    std::atomic<bool> fatal{false};
    pipeline pipe(cfg, journal, channel, acks, [&] {
        fatal = true;
        channel.close();
    });
    pipe.start("bench");
    fwd.start();
    const bool ready = test::wait_until(
        [&] { return fatal || (fwd.stats().connected && journal.committed_seq() >= 1); },
        start_deadline);
    if (!ready || fatal) {
        channel.close();
        pipe.join();
        fwd.stop(0ms);
        throw std::runtime_error("the pipeline or the forwarder did not start");
    }

    // The feeder is the driver: it stamps each reading as read now and pushes it, on a fixed
    // schedule (the load profile, hence sleep_until). The value is the reading's index, so the
    // subscriber can match each arrival to its push time exactly (steady clock, microseconds)
    // instead of to the payload's millisecond `ts`.
    std::vector<clock_type::time_point> pushed(static_cast<std::size_t>(n));
    const auto period = std::chrono::nanoseconds(1'000'000'000LL / opts.latency_rate);
    const auto start = clock_type::now() + 10ms;
    for (int i = 0; i < n; ++i) {
        std::this_thread::sleep_until(start + i * period);
        reading r;
        r.device = "bench";
        r.point = "point_" + std::to_string(i % 10);
        r.value = static_cast<std::int64_t>(i);
        r.unit = "°C";
        r.ts = wall_clock::now();
        pushed[static_cast<std::size_t>(i)] = clock_type::now();
        if (!channel.push(std::move(r))) break;
    }
    const auto feed_end = clock_type::now();
    const bool all = test::wait_until(
        [&] { return fatal || sub.count() >= static_cast<std::size_t>(n); }, drain_deadline, 1ms);

    channel.close();
    pipe.join();
    fwd.stop(3s);
    pipe.save_acks();
    if (fatal) throw std::runtime_error("the journal failed during the latency run");

    // The first arrival of each reading counts; a re-send after a reconnect would be later.
    std::vector<bool> seen(static_cast<std::size_t>(n), false);
    std::vector<double> latencies_ms;
    latencies_ms.reserve(static_cast<std::size_t>(n));
    for (const auto& a : sub.arrivals()) {
        if (a.value < 0 || a.value >= n || seen[static_cast<std::size_t>(a.value)]) continue;
        seen[static_cast<std::size_t>(a.value)] = true;
        latencies_ms.push_back(std::chrono::duration<double, std::milli>(
                                   a.at - pushed[static_cast<std::size_t>(a.value)])
                                   .count());
    }
    std::sort(latencies_ms.begin(), latencies_ms.end());
    double sum = 0;
    for (const double l : latencies_ms) sum += l;

    out.row("readings at " + thousands(opts.latency_rate) + "/s, durability full, " +
                std::to_string(opts.latency_seconds) + " s",
            thousands(n), "readings");
    out.row("  achieved feed rate", thousands(n / seconds_between(start, feed_end)), "readings/s");
    out.row("  arrived",
            thousands(static_cast<double>(latencies_ms.size())) + (all ? "" : " (deadline passed)"),
            "readings");
    out.row("  latency p50", fixed(percentile_ms(latencies_ms, 0.50), 2), "ms");
    out.row("  latency p99", fixed(percentile_ms(latencies_ms, 0.99), 2), "ms");
    out.row("  latency p99.9", fixed(percentile_ms(latencies_ms, 0.999), 2), "ms");
    out.row("  latency max", fixed(latencies_ms.empty() ? NAN : latencies_ms.back(), 2), "ms");
    out.row("  latency mean",
            fixed(latencies_ms.empty() ? NAN : sum / static_cast<double>(latencies_ms.size()), 2),
            "ms");
}

}  // namespace edgegate::bench
