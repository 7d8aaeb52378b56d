// Figure 2, forward: a pre-filled journal relayed by the forwarder to a local mosquitto at QoS 1,
// beside a bare Paho publish loop of the same messages, each counted at a subscriber; then the
// same journal with `mqtt.batch` on, and with `mqtt.rate_limit` holding the publish rate.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>

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
// The journal holds readings of this many devices taking turns, as a gateway with a few devices
// journals them: batches (one device's readings per message) then form as they do in the field.
constexpr int journal_devices = 4;
// The rate-limit line measures after this: the bucket's first second's worth goes out at once.
constexpr auto rate_burst = 1s;

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
    std::size_t messages = 0;  // MQTT messages at the subscriber
    std::size_t batches = 0;   // of them on batch/<device> (counted only with batch mode on)
};

std::string data_filter() { return std::string(prefix) + "/" + gateway_id + "/data/#"; }
// Batch mode publishes on batch/<device> as well as data/...; the retained status that also
// arrives carries no seq.
std::string all_filter() { return std::string(prefix) + "/" + gateway_id + "/#"; }

// Waits until every seq 1..n has arrived at `sub`; `t0` is when the sender started. The cheap
// message count gates the costlier seq check, which only runs once `min_messages` arrived:
// n for single messages (more when some were re-sent). Batches carry many seqs a message, so
// with fewer than n messages the broker's last PUBACK must have come too. `all_acked` tells when
// the sender had every PUBACK; the first poll that sees it dates it.
delivery await_all(const test::mqtt_subscriber& sub, std::size_t n, std::size_t min_messages,
                   clock_type::time_point t0, const std::function<bool()>& all_acked) {
    std::optional<clock_type::time_point> acked_at;
    const auto all_there = [&] {
        if (!acked_at && all_acked()) acked_at = clock_type::now();
        const std::size_t count = sub.count();
        if (count < min_messages || (count < n && !acked_at)) return false;
        return test::contiguous_prefix(sub.seq_counts()) >= static_cast<std::int64_t>(n);
    };
    const bool complete = test::wait_until(all_there, arrival_deadline(n), count_poll);
    const auto t1 = clock_type::now();
    const auto seqs = sub.seq_counts();
    return {seconds_between(t0, t1),
            acked_at ? seconds_between(t0, *acked_at) : NAN,
            test::contiguous_prefix(seqs),
            test::duplicates(seqs),
            complete,
            sub.count()};
}

void fill_journal(const std::string& path, int n) {
    journal_writer journal({path, false, 1ull << 40, std::chrono::hours(24 * 365)});
    const auto readings = make_readings(n, "bench", journal_devices);
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

mqtt_section forwarder_settings(const std::string& uri, int window) {
    mqtt_section mqtt;
    mqtt.uri = uri;
    mqtt.client_id = "edgegate-bench-fwd";
    mqtt.topic_prefix = prefix;
    mqtt.window = window;
    mqtt.qos = 1;
    return mqtt;
}

// The clock starts at the CONNACK, for both senders: with another Paho client already in the
// process (the subscriber), paho-mqtt-c 1.3.12 takes about 2 s to connect a second one (its
// receive thread notices the new socket only when its select() times out), which is a property
// of this test set-up, not of either sender. The forwarder publishes right after it marks itself
// connected, so the 1 ms poll dates the start to within about 1 ms.
clock_type::time_point await_connected(const forwarder& fwd, const std::string& uri) {
    if (!test::wait_until([&] { return fwd.stats().connected; }, 30s, count_poll)) {
        throw std::runtime_error("the forwarder did not connect to " + uri);
    }
    return clock_type::now();
}

// A broker of its own for each sender, so neither inherits the other's queues or sessions.
// `batch` is mqtt.batch (1: off).
delivery run_forwarder(const std::string& journal_path, std::size_t n, int window, int batch,
                       forwarder_stats& stats) {
    test::mosquitto_broker broker(false);
    test::mqtt_subscriber sub(broker.uri(), batch > 1 ? all_filter() : data_filter(),
                              "edgegate-bench-sub-fwd");
    auto mqtt = forwarder_settings(broker.uri(), window);
    mqtt.batch = batch;
    ack_mailbox acks;
    forwarder fwd(mqtt, gateway_id, journal_path, acks, "bench");
    fwd.start();
    fwd.notify();
    const auto t0 = await_connected(fwd, broker.uri());
    const auto last_seq = static_cast<std::int64_t>(n);
    const std::size_t min_messages = (n + static_cast<std::size_t>(batch) - 1) / batch;
    auto result =
        await_all(sub, n, min_messages, t0, [&] { return acks.get(lane::normal) >= last_seq; });
    fwd.stop(5s);
    stats = fwd.stats();
    if (batch > 1) {
        const std::string batch_topics = std::string(prefix) + "/" + gateway_id + "/batch/";
        const auto messages = sub.messages();
        result.batches = static_cast<std::size_t>(
            std::count_if(messages.begin(), messages.end(),
                          [&](const auto& m) { return m.topic.starts_with(batch_topics); }));
    }
    return result;
}

struct rate_measurement {
    std::size_t first_second = 0;  // messages that arrived in the burst period
    double seconds = 0;            // measured after it
    double messages_per_second = 0;
};

// The forwarder with mqtt.rate_limit on a journal holding more than it may send meanwhile:
// messages arriving per second once the bucket's initial second's worth has gone out. The two
// pauses are the measuring periods themselves, not a wait for a condition.
rate_measurement run_rate_limited(const std::string& journal_path, int window, int rate,
                                  int seconds) {
    test::mosquitto_broker broker(false);
    test::mqtt_subscriber sub(broker.uri(), data_filter(), "edgegate-bench-sub-rate");
    auto mqtt = forwarder_settings(broker.uri(), window);
    mqtt.rate_limit = rate;
    ack_mailbox acks;
    forwarder fwd(mqtt, gateway_id, journal_path, acks, "bench");
    fwd.start();
    fwd.notify();
    const auto t0 = await_connected(fwd, broker.uri());
    std::this_thread::sleep_until(t0 + rate_burst);
    const auto ta = clock_type::now();
    const auto count_a = sub.count();
    std::this_thread::sleep_until(ta + std::chrono::seconds(seconds));
    const auto count_b = sub.count();
    const auto tb = clock_type::now();
    // The rest of the journal would take minutes at this rate; it is left undelivered, which
    // the forwarder rightly warns about at stop(). That warning is not news here.
    const auto level = spdlog::get_level();
    spdlog::set_level(spdlog::level::err);
    fwd.stop(0ms);
    spdlog::set_level(level);
    const double measured = seconds_between(ta, tb);
    return {count_a, measured, static_cast<double>(count_b - count_a) / measured};
}

delivery run_bare(const std::vector<mqtt_message>& messages, int window,
                  bare_publish_result& published) {
    test::mosquitto_broker broker(false);
    test::mqtt_subscriber sub(broker.uri(), data_filter(), "edgegate-bench-sub-bare");
    published = bare_publish(broker.uri(), messages, window);
    // bare_publish returns once every delivery token completed.
    const auto acked_at = clock_type::now();
    const auto t0 = published.connected_at;
    auto result = await_all(sub, messages.size(), messages.size(), t0, [] { return true; });
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
    const auto incomplete = [n](const delivery& d) {
        return d.complete ? std::string()
                          : "; deadline passed with " + thousands(static_cast<double>(d.arrived)) +
                                " of " + thousands(static_cast<double>(n));
    };
    std::vector<double> fwd_eps, bare_eps, batch_eps, fwd_acked, bare_acked, batch_acked, ratios,
        batch_ratios, batch_gains;
    std::int64_t fwd_duplicates = 0, fwd_reconnects = 0, bare_duplicates = 0, bare_failed = 0;
    std::int64_t batch_duplicates = 0, batch_reconnects = 0;
    std::string fwd_incomplete, bare_incomplete, batch_incomplete;
    delivery last_batched;
    for (int round = 0; round < opts.rounds; ++round) {
        forwarder_stats stats;
        const auto fwd = run_forwarder(path, n, opts.window, 1, stats);
        bare_publish_result published;
        const auto bare = run_bare(messages, opts.window, published);
        forwarder_stats batch_stats;
        const auto batched = run_forwarder(path, n, opts.window, opts.batch, batch_stats);
        fwd_eps.push_back(rate(fwd));
        bare_eps.push_back(rate(bare));
        batch_eps.push_back(rate(batched));
        fwd_acked.push_back(acked_rate(fwd));
        bare_acked.push_back(acked_rate(bare));
        batch_acked.push_back(acked_rate(batched));
        ratios.push_back(fwd_eps.back() / bare_eps.back());
        batch_ratios.push_back(batch_eps.back() / bare_eps.back());
        batch_gains.push_back(batch_eps.back() / fwd_eps.back());
        fwd_duplicates += fwd.duplicates;
        fwd_reconnects += stats.reconnects;
        bare_duplicates += bare.duplicates;
        bare_failed += published.failed;
        batch_duplicates += batched.duplicates;
        batch_reconnects += batch_stats.reconnects;
        fwd_incomplete = incomplete(fwd);
        bare_incomplete = incomplete(bare);
        batch_incomplete = incomplete(batched);
        last_batched = batched;
        // Another round of a sender that cannot keep up only repeats the same minutes.
        if (!fwd.complete || !bare.complete || !batched.complete) break;
    }

    const auto rounds = fwd_eps.size();
    const auto fwd_s = summarize(fwd_eps);
    const auto bare_s = summarize(bare_eps);
    const auto batch_s = summarize(batch_eps);
    const std::string batch_name = "mqtt.batch: " + std::to_string(opts.batch);
    out.row("events in the journal (window " + std::to_string(opts.window) + ", " +
                std::to_string(journal_devices) + " devices)",
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
    out.row("forwarder with " + batch_name + ", all arrived", thousands(batch_s.median),
            unit_with_range("events/s", batch_s, rounds) + batch_incomplete);
    out.row("  ratio batch / bare", fixed(summarize(batch_ratios).median, 2),
            rounds > 1 ? "median of the rounds' ratios" : "");
    out.row("  ratio batch / forwarder without batch", fixed(summarize(batch_gains).median, 2),
            rounds > 1 ? "median of the rounds' ratios" : "");
    out.row("  every publish acknowledged by the broker", thousands(summarize(batch_acked).median),
            "events/s");
    out.row("  messages at the subscriber / of them batches",
            thousands(static_cast<double>(last_batched.messages)) + " / " +
                thousands(static_cast<double>(last_batched.batches)),
            "last round");
    out.row("  duplicates at the subscriber / reconnects",
            thousands(static_cast<double>(batch_duplicates)) + " / " +
                thousands(static_cast<double>(batch_reconnects)),
            "all rounds");
    // The forwarder batches only while a read of its free window slots x batch readings comes
    // back full: a journal that is short for that goes one reading a message.
    if (opts.batch > 1 && last_batched.batches == 0) {
        out.note(
            "nothing was batched: the journal is too short for batch mode, raise "
            "--forward-events");
    }
    out.remember("forward_eps", fwd_s.median);
    out.remember("forward_batch_eps", batch_s.median);
    const std::string bare_baseline =
        thousands(bare_s.median) + " events/s (bare Paho publish loop, same window)";
    out.add_headline({"forward, QoS 1 to mosquitto, counted at a subscriber",
                      thousands(fwd_s.median) + " events/s", bare_baseline,
                      fixed(summarize(ratios).median, 2), rerun_command(opts, "forward")});
    out.add_headline({"forward with " + batch_name + ", " + std::to_string(journal_devices) +
                          " devices, counted at a subscriber",
                      thousands(batch_s.median) + " events/s in " +
                          thousands(static_cast<double>(last_batched.messages)) + " messages",
                      bare_baseline, fixed(summarize(batch_ratios).median, 2),
                      rerun_command(opts, "forward")});

    const std::string rate_name = "mqtt.rate_limit: " + std::to_string(opts.rate_limit);
    // The journal must outlast the measurement: the burst, a second of it, the seconds measured,
    // and a second to spare.
    const int rate_seconds = std::min(
        opts.rate_seconds, static_cast<int>(n / static_cast<std::size_t>(opts.rate_limit)) - 3);
    if (rate_seconds < 1) {
        out.note(rate_name + " not measured: the journal holds less than " +
                 thousands(4.0 * opts.rate_limit) + " events (4 s at that rate)");
        out.add_headline({"forward with " + rate_name + ", messages/s at a subscriber",
                          "not measured (too few --forward-events)", "", "",
                          rerun_command(opts, "forward")});
        return;
    }
    const auto limited = run_rate_limited(path, opts.window, opts.rate_limit, rate_seconds);
    const double limit = opts.rate_limit;
    out.row("forwarder with " + rate_name + " (batch off)", thousands(limited.messages_per_second),
            "messages/s at the subscriber over " + fixed(limited.seconds, 1) +
                " s, after the first second");
    out.row("  the limit", thousands(limit), "messages/s");
    out.row("  ratio measured / limit", ratio_text(limited.messages_per_second, limit), "");
    out.row("  arrived in the first second (a full bucket, then the limit)",
            thousands(static_cast<double>(limited.first_second)), "messages");
    out.add_headline({"forward with " + rate_name + ", messages/s at a subscriber",
                      thousands(limited.messages_per_second) + " messages/s",
                      thousands(limit) + " messages/s (the limit)",
                      ratio_text(limited.messages_per_second, limit),
                      rerun_command(opts, "forward")});
}

}  // namespace edgegate::bench
