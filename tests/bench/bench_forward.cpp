// Figure 2, forward: a pre-filled journal relayed by the forwarder to a local mosquitto at QoS 1,
// beside a bare Paho publish loop of the same messages, each counted at a subscriber.
#include <cmath>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>

#include "gateway/core/payload.hpp"
#include "gateway/forward/forwarder.hpp"
#include "gateway/journal/journal.hpp"
#include "tests/bench/bare_publisher.hpp"
#include "tests/bench/bench.hpp"
#include "tests/helpers/gateway_run.hpp"
#include "tests/helpers/mosquitto.hpp"
#include "tests/helpers/mqtt_subscriber.hpp"
#include "tests/helpers/temp_dir.hpp"
#include "tests/helpers/wait.hpp"

namespace edgegate::bench {
namespace {

using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr const char* gateway_id = "bench-gw";
constexpr const char* prefix = "edgegate";
// Polling the subscriber's count every millisecond bounds the timing error to about that.
constexpr auto count_poll = 1ms;

// A sender slower than 1,000 events/s (plus a minute of slack) is reported from what arrived
// by then rather than waited for.
std::chrono::milliseconds arrival_deadline(std::size_t n) {
    return 60s + std::chrono::milliseconds(n);
}

struct delivery {
    double seconds = 0;        // until every seq arrived at the subscriber
    double acked_seconds = 0;  // until the broker had acknowledged every publish
    std::int64_t arrived = 0;  // distinct seqs 1..n, in a row
    std::int64_t duplicates = 0;
    bool complete = false;
};

std::string data_filter() { return std::string(prefix) + "/" + gateway_id + "/data/#"; }

// Waits until every seq 1..n has arrived at `sub`; `t0` is when the sender started. The cheap
// message count gates the costlier seq check, which only runs once enough messages arrived
// (more than n when some were re-sent). `all_acked` tells when the sender had every PUBACK;
// the first poll that sees it dates it.
delivery await_all(const test::mqtt_subscriber& sub, std::size_t n, clock_type::time_point t0,
                   const std::function<bool()>& all_acked) {
    std::optional<clock_type::time_point> acked_at;
    const auto all_there = [&] {
        if (!acked_at && all_acked()) acked_at = clock_type::now();
        return sub.count() >= n &&
               test::contiguous_prefix(sub.seq_counts()) >= static_cast<std::int64_t>(n);
    };
    const bool complete = test::wait_until(all_there, arrival_deadline(n), count_poll);
    const auto t1 = clock_type::now();
    const auto seqs = sub.seq_counts();
    return {seconds_between(t0, t1), acked_at ? seconds_between(t0, *acked_at) : NAN,
            test::contiguous_prefix(seqs), test::duplicates(seqs), complete};
}

void fill_journal(const std::string& path, int n) {
    journal_writer journal({path, false, 1ull << 40, std::chrono::hours(24 * 365)});
    const auto readings = make_readings(n, "bench");
    constexpr std::size_t batch = 1000;
    for (std::size_t i = 0; i < readings.size(); i += batch) {
        journal.begin();
        for (std::size_t j = i; j < std::min(readings.size(), i + batch); ++j) {
            journal.append(make_reading_event(readings[j]));
        }
        journal.commit();
    }
}

// What the forwarder will publish, built from the same journal rows.
std::vector<mqtt_message> journal_messages(const std::string& path) {
    journal_reader reader(path);
    std::vector<mqtt_message> out;
    std::int64_t after = 0;
    while (true) {
        const auto rows = reader.read_after(lane::normal, after, 10000);
        if (rows.empty()) break;
        for (const auto& row : rows) {
            out.push_back({full_topic(prefix, gateway_id, row.ev.topic),
                           finalize_payload(row.seq, gateway_id, row.ev.body)});
        }
        after = rows.back().seq;
    }
    return out;
}

// A broker of its own for each sender, so neither inherits the other's queues or sessions.
delivery run_forwarder(const std::string& journal_path, std::size_t n, int window,
                       forwarder_stats& stats) {
    test::mosquitto_broker broker(false);
    test::mqtt_subscriber sub(broker.uri(), data_filter(), "edgegate-bench-sub-fwd");
    mqtt_section mqtt;
    mqtt.uri = broker.uri();
    mqtt.client_id = "edgegate-bench-fwd";
    mqtt.topic_prefix = prefix;
    mqtt.window = window;
    mqtt.qos = 1;
    ack_mailbox acks;
    forwarder fwd(mqtt, gateway_id, journal_path, acks, "bench");
    fwd.start();
    fwd.notify();
    // The clock starts at the CONNACK, for both senders: with another Paho client already in
    // the process (the subscriber), paho-mqtt-c 1.3.12 takes about 2 s to connect a second one
    // (its receive thread notices the new socket only when its select() times out), which is
    // a property of this test set-up, not of either sender. The forwarder publishes right after
    // it marks itself connected, so the 1 ms poll dates the start to within about 1 ms.
    if (!test::wait_until([&] { return fwd.stats().connected; }, 30s, count_poll)) {
        throw std::runtime_error("the forwarder did not connect to " + broker.uri());
    }
    const auto t0 = clock_type::now();
    const auto last_seq = static_cast<std::int64_t>(n);
    const auto result = await_all(sub, n, t0, [&] { return acks.get(lane::normal) >= last_seq; });
    fwd.stop(5s);
    stats = fwd.stats();
    return result;
}

delivery run_bare(const std::vector<mqtt_message>& messages, int window,
                  bare_publish_result& published) {
    test::mosquitto_broker broker(false);
    test::mqtt_subscriber sub(broker.uri(), data_filter(), "edgegate-bench-sub-bare");
    published = bare_publish(broker.uri(), messages, window);
    // bare_publish returns once every delivery token completed.
    const auto acked_at = clock_type::now();
    const auto t0 = published.connected_at;
    auto result = await_all(sub, messages.size(), t0, [] { return true; });
    result.acked_seconds = seconds_between(t0, acked_at);
    return result;
}

}  // namespace

void bench_forward(const options& opts, table& out) {
    out.section("2. Forward: pre-filled journal -> forwarder -> mosquitto (QoS 1) vs bare Paho");
    test::temp_dir dir;
    const std::string path = dir.file("journal.db");
    fill_journal(path, opts.forward_events);
    const auto messages = journal_messages(path);
    const auto n = messages.size();

    // A run that missed its deadline still gives a rate: what arrived in the time it had.
    const auto rate = [](const delivery& d) { return static_cast<double>(d.arrived) / d.seconds; };
    const auto acked_rate = [n](const delivery& d) {
        return static_cast<double>(n) / d.acked_seconds;
    };
    std::vector<double> fwd_eps, bare_eps, fwd_acked, bare_acked, ratios;
    std::int64_t fwd_duplicates = 0, fwd_reconnects = 0, bare_duplicates = 0, bare_failed = 0;
    std::string fwd_incomplete, bare_incomplete;
    for (int round = 0; round < opts.rounds; ++round) {
        forwarder_stats stats;
        const auto fwd = run_forwarder(path, n, opts.window, stats);
        bare_publish_result published;
        const auto bare = run_bare(messages, opts.window, published);
        fwd_eps.push_back(rate(fwd));
        bare_eps.push_back(rate(bare));
        fwd_acked.push_back(acked_rate(fwd));
        bare_acked.push_back(acked_rate(bare));
        ratios.push_back(fwd_eps.back() / bare_eps.back());
        fwd_duplicates += fwd.duplicates;
        fwd_reconnects += stats.reconnects;
        bare_duplicates += bare.duplicates;
        bare_failed += published.failed;
        const auto incomplete = [n](const delivery& d) {
            return d.complete
                       ? std::string()
                       : "; deadline passed with " + thousands(static_cast<double>(d.arrived)) +
                             " of " + thousands(static_cast<double>(n));
        };
        fwd_incomplete = incomplete(fwd);
        bare_incomplete = incomplete(bare);
        // Another round of a sender that cannot keep up only repeats the same minutes.
        if (!fwd.complete || !bare.complete) break;
    }

    const auto rounds = fwd_eps.size();
    const auto fwd_s = summarize(fwd_eps);
    const auto bare_s = summarize(bare_eps);
    out.row("events in the journal (window " + std::to_string(opts.window) + ")",
            thousands(static_cast<double>(n)), "events");
    out.row("  forwarder, all arrived at the subscriber", thousands(fwd_s.median),
            unit_with_range("events/s", fwd_s, rounds) + fwd_incomplete);
    out.row("  bare Paho loop, same messages and window", thousands(bare_s.median),
            unit_with_range("events/s", bare_s, rounds) + bare_incomplete);
    out.row("  ratio forwarder / bare", fixed(summarize(ratios).median, 2),
            rounds > 1 ? "median of the rounds' ratios" : "");
    out.row("  forwarder, every publish acknowledged by the broker",
            thousands(summarize(fwd_acked).median), "events/s");
    out.row("  bare Paho loop, every publish acknowledged by the broker",
            thousands(summarize(bare_acked).median), "events/s");
    out.row("  forwarder: duplicates at the subscriber / reconnects",
            thousands(static_cast<double>(fwd_duplicates)) + " / " +
                thousands(static_cast<double>(fwd_reconnects)),
            "all rounds");
    out.row("  bare loop: duplicates / failed delivery tokens",
            thousands(static_cast<double>(bare_duplicates)) + " / " +
                thousands(static_cast<double>(bare_failed)),
            "all rounds");
    out.remember("forward_eps", fwd_s.median);
    out.add_headline({"forward, QoS 1 to mosquitto, counted at a subscriber",
                      thousands(fwd_s.median) + " events/s",
                      thousands(bare_s.median) + " events/s (bare Paho publish loop, same window)",
                      fixed(summarize(ratios).median, 2), rerun_command(opts, "forward")});
    out.add_headline({"forward, batch mode (mqtt.batch)",
                      "not measured (mqtt.batch lands separately)", "", "", ""});
}

}  // namespace edgegate::bench
