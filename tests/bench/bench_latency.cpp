// Figure 3, latency: from the moment a driver hands a reading to the ingest channel to the arrival,
// at an MQTT subscriber, of the alert that reading raised or cleared, through the real pipeline
// (rules, durability full), journal, forwarder and a local mosquitto, at a steady rate. Beside
// it, on the same broker, a bare Paho client publishes at the same rate and the same subscriber
// times its messages the same way.
#include <mqtt/async_client.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <functional>
#include <stdexcept>
#include <string>
#include <thread>

#include "gateway/core/diagnostics.hpp"
#include "gateway/forward/forwarder.hpp"
#include "gateway/journal/journal.hpp"
#include "gateway/pipeline/ingest_channel.hpp"
#include "gateway/pipeline/pipeline.hpp"
#include "rules/rule_parser.hpp"
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
constexpr int points = 10;
constexpr auto start_deadline = 30s;
// After the last reading was pushed, the rest must arrive within this.
constexpr auto drain_deadline = 120s;

// One rule over the ten points, and readings that alternate above and below it on every point:
// every reading raises or clears an alert, so every reading is timed.
constexpr const char* rule_yaml =
    "- { name: latency, match: \"bench/*\", above: 0.5, clear_below: 0, severity: critical }";

// Reading i carries +-(i + 1): its sign decides raise or clear, its magnitude says which
// reading an alert belongs to (the alert's "value" is the reading's).
double reading_value(int i) {
    const bool raise = (i / points) % 2 == 0;
    return raise ? i + 1.0 : -(i + 1.0);
}

// Nearest-rank percentile of sorted `v`, in milliseconds.
double percentile_ms(const std::vector<double>& sorted, double p) {
    if (sorted.empty()) return NAN;
    const auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(sorted.size())));
    return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

struct feed_result {
    std::vector<clock_type::time_point> pushed;
    double rate = 0;  // achieved
};

// The load profile: `send(i)` on a fixed schedule of `rate` per second (hence sleep_until),
// noting the steady clock just before each. Stops early when `send` returns false.
feed_result feed(int n, int rate, const std::function<bool(int)>& send) {
    feed_result r;
    r.pushed.resize(static_cast<std::size_t>(n));
    const auto period = std::chrono::nanoseconds(1'000'000'000LL / rate);
    const auto start = clock_type::now() + 10ms;
    int sent = 0;
    for (; sent < n; ++sent) {
        std::this_thread::sleep_until(start + sent * period);
        r.pushed[static_cast<std::size_t>(sent)] = clock_type::now();
        if (!send(sent)) break;
    }
    r.rate = sent / seconds_between(start, clock_type::now());
    return r;
}

struct latencies {
    std::vector<double> ms;  // sorted
    double rate = 0;
    bool complete = false;

    double p(double q) const { return percentile_ms(ms, q); }
    double max() const { return ms.empty() ? NAN : ms.back(); }
    double mean() const {
        double sum = 0;
        for (const double l : ms) sum += l;
        return ms.empty() ? NAN : sum / static_cast<double>(ms.size());
    }
};

// Matches each arrival to its send by |value| - 1; the first arrival counts (a re-send after a
// reconnect would be later).
latencies match(const feed_result& f, const timing_subscriber& sub, bool complete) {
    const auto n = f.pushed.size();
    std::vector<bool> seen(n, false);
    latencies out;
    out.rate = f.rate;
    out.complete = complete;
    for (const auto& a : sub.arrivals()) {
        if (!std::isfinite(a.value)) continue;
        const auto i = static_cast<long long>(std::llround(std::fabs(a.value))) - 1;
        if (i < 0 || static_cast<std::size_t>(i) >= n || seen[static_cast<std::size_t>(i)]) {
            continue;
        }
        seen[static_cast<std::size_t>(i)] = true;
        out.ms.push_back(
            std::chrono::duration<double, std::milli>(a.at - f.pushed[static_cast<std::size_t>(i)])
                .count());
    }
    std::sort(out.ms.begin(), out.ms.end());
    return out;
}

// The gateway, wired in process as gateway/cli/run.cpp wires the daemon with the
// configuration's defaults and the one rule above.
latencies run_gateway(const options& opts, const test::mosquitto_broker& broker) {
    const int n = opts.latency_rate * opts.latency_seconds;
    test::temp_dir dir;
    timing_subscriber sub(broker.uri(), std::string("edgegate/") + gateway_id + "/alerts/#",
                          "edgegate-bench-latency-sub");
    diagnostics diag("bench");
    const auto rules = parse_rules(YAML::Load(rule_yaml), "rules", diag, rule_yaml);
    if (!diag.ok()) throw std::runtime_error("bench rule: " + diag.errors()[0].to_string());

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
    journal.on_durable([&fwd] { fwd.notify(); });
    fwd.publish_durable([&journal] { return journal.durable_seq(); });
    ingest_channel channel(channel_capacity);
    std::atomic<bool> fatal{false};
    pipeline pipe(
        cfg, journal, channel, acks,
        [&] {
            fatal = true;
            channel.close();
        },
        rules);
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

    // The feeder is the driver: it stamps each reading as read now and pushes it.
    const auto f = feed(n, opts.latency_rate, [&](int i) {
        reading r;
        r.device = "bench";
        r.point = "point_" + std::to_string(i % points);
        r.value = reading_value(i);
        r.unit = "°C";
        r.ts = wall_clock::now();
        return channel.push(std::move(r));
    });
    const bool all = test::wait_until(
        [&] { return fatal || sub.count() >= static_cast<std::size_t>(n); }, drain_deadline, 1ms);
    channel.close();
    pipe.join();
    fwd.stop(3s);
    pipe.save_acks();
    if (fatal) throw std::runtime_error("the journal failed during the latency run");
    return match(f, sub, all && !fatal);
}

// The baseline: a Paho client publishing QoS 1 messages of about the alert's size straight to
// the broker on the same schedule, timed by the same subscriber code. Paho's limits are high
// enough that it never waits for a PUBACK: the figure is the broker's and the clients' floor.
latencies run_bare(const options& opts, const test::mosquitto_broker& broker) {
    const int n = opts.latency_rate * opts.latency_seconds;
    const std::string topic = "bench/bare/latency";
    timing_subscriber sub(broker.uri(), topic, "edgegate-bench-bare-sub");
    mqtt::async_client client(broker.uri(), "edgegate-bench-bare-latency",
                              mqtt::create_options(MQTTVERSION_3_1_1, 65535), nullptr);
    client
        .connect(mqtt::connect_options_builder()
                     .mqtt_version(MQTTVERSION_3_1_1)
                     .clean_session(true)
                     .connect_timeout(std::chrono::seconds(10))
                     .max_inflight(65535)
                     .finalize())
        ->wait();
    const std::string filler(200, 'x');
    const auto f = feed(n, opts.latency_rate, [&](int i) {
        const std::string payload = "{\"seq\":" + std::to_string(i + 1) +
                                    ",\"value\":" + fixed(reading_value(i), 0) + ",\"message\":\"" +
                                    filler + "\"}";
        client.publish(topic, payload.data(), payload.size(), 1, false);
        return true;
    });
    const bool all = test::wait_until([&] { return sub.count() >= static_cast<std::size_t>(n); },
                                      drain_deadline, 1ms);
    client.disconnect()->wait();
    return match(f, sub, all);
}

void rows(table& out, const std::string& label, const latencies& l, int n) {
    out.row(label,
            thousands(static_cast<double>(l.ms.size())) + (l.complete ? "" : " (deadline passed)"),
            "of " + thousands(n) + " arrived");
    out.row("  achieved send rate", thousands(l.rate), "per second");
    out.row("  latency p50", fixed(l.p(0.50), 2), "ms");
    out.row("  latency p99", fixed(l.p(0.99), 2), "ms");
    out.row("  latency p99.9", fixed(l.p(0.999), 2), "ms");
    out.row("  latency max", fixed(l.max(), 2), "ms");
    out.row("  latency mean", fixed(l.mean(), 2), "ms");
}

std::string summary(const latencies& l) {
    return "p50 " + fixed(l.p(0.50), 2) + " / p99 " + fixed(l.p(0.99), 2) + " / max " +
           fixed(l.max(), 2) + " ms";
}

}  // namespace

void bench_latency(const options& opts, table& out) {
    out.section("3. Latency: reading pushed by a driver -> its alert at a subscriber");
    const int n = opts.latency_rate * opts.latency_seconds;
    test::mosquitto_broker broker(false);
    const auto gw = run_gateway(opts, broker);
    const auto bare = run_bare(opts, broker);
    rows(out,
         "gateway: readings at " + thousands(opts.latency_rate) + "/s, each raising or clearing",
         gw, n);
    out.note("gateway: durability full, one rule over 10 points, " +
             std::to_string(opts.latency_seconds) +
             " s; bare: QoS 1 messages of about the "
             "alert's size, never waiting for a PUBACK");
    rows(out, "bare Paho publish -> same subscriber, same rate", bare, n);
    out.row("ratio gateway / bare, p50", ratio_text(gw.p(0.50), bare.p(0.50)), "");
    out.row("ratio gateway / bare, p99", ratio_text(gw.p(0.99), bare.p(0.99)), "");
    out.add_headline({"latency, reading -> its alert at a subscriber, " +
                          thousands(opts.latency_rate) + " readings/s, durability full",
                      summary(gw), summary(bare) + " (bare Paho publish -> subscriber)",
                      ratio_text(gw.p(0.50), bare.p(0.50)) + " (p50), " +
                          ratio_text(gw.p(0.99), bare.p(0.99)) + " (p99)",
                      rerun_command(opts, "latency")});
}

}  // namespace edgegate::bench
