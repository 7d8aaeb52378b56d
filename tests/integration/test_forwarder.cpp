// The forwarder against a real journal and a real mosquitto: lane order, acks, status messages,
// a broker stopped or killed mid-stream, and stop() without a broker.
#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <chrono>
#include <iterator>
#include <optional>

#include "gateway/core/payload.hpp"
#include "gateway/forward/forwarder.hpp"
#include "gateway/journal/journal.hpp"
#include "tests/helpers/mosquitto.hpp"
#include "tests/helpers/mqtt_subscriber.hpp"
#include "tests/helpers/process.hpp"
#include "tests/helpers/temp_dir.hpp"
#include "tests/helpers/wait.hpp"

using namespace edgegate;
using namespace edgegate::test;
using namespace std::chrono_literals;

namespace {

constexpr const char* gateway_id = "fwd-gw";

mqtt_section mqtt_config(const std::string& uri, int window = 256) {
    mqtt_section m;
    m.uri = uri;
    m.client_id = "edgegate-fwd-test";
    m.qos = 1;
    m.keepalive = 5s;
    m.window = window;
    m.reconnect.min = 100ms;
    m.reconnect.max = 500ms;
    return m;
}

// A journal on a temp file, written from the test thread.
struct test_journal {
    explicit test_journal(const temp_dir& dir)
        : writer(journal_options{dir.file("journal.db"), false, 0, duration::zero()}) {}

    // Appends in one transaction and makes it durable (as the pipeline would, durability
    // normal); returns the seqs.
    std::vector<std::int64_t> append(const std::vector<event>& events) {
        const auto seqs = append_unsynced(events);
        writer.sync();
        return seqs;
    }
    std::vector<std::int64_t> append_unsynced(const std::vector<event>& events) {
        std::vector<std::int64_t> seqs;
        writer.begin();
        for (const auto& ev : events) seqs.push_back(writer.append(ev));
        writer.commit();
        return seqs;
    }

    journal_writer writer;
};

std::vector<event> readings(int n, const char* device = "boiler") {
    std::vector<event> out;
    for (int i = 0; i < n; ++i) {
        reading r;
        r.device = device;
        r.point = "p" + std::to_string(i % 7);
        r.value = std::int64_t{i};
        r.ts = wall_clock::now();
        out.push_back(make_reading_event(r));
    }
    return out;
}

std::vector<event> status_events(int n) {
    std::vector<event> out;
    for (int i = 0; i < n; ++i) {
        out.push_back(make_status_event("test", wall_clock::now(), "\"n\":" + std::to_string(i)));
    }
    return out;
}

std::vector<std::int64_t> missing(const mqtt_subscriber& sub,
                                  const std::vector<std::int64_t>& seqs) {
    const auto counts = sub.seq_counts();
    std::vector<std::int64_t> out;
    for (const auto s : seqs) {
        if (!counts.contains(s)) out.push_back(s);
    }
    return out;
}

bool all_seqs_arrived(const mqtt_subscriber& sub, const std::vector<std::int64_t>& seqs) {
    return missing(sub, seqs).empty();
}

rapidjson::Document parse(const std::string& payload) {
    rapidjson::Document doc;
    doc.Parse(payload.c_str());
    return doc;
}

std::string state_of(const mqtt_subscriber::message& m) {
    const auto doc = parse(m.payload);
    return doc.IsObject() && doc.HasMember("state") ? doc["state"].GetString() : "";
}

std::vector<mqtt_subscriber::message> on_topic(const mqtt_subscriber& sub,
                                               const std::string& topic) {
    std::vector<mqtt_subscriber::message> out;
    for (auto& m : sub.messages()) {
        if (m.topic == topic) out.push_back(m);
    }
    return out;
}

const std::string status_topic = std::string("edgegate/") + gateway_id + "/status";
const std::string events_topic = std::string("edgegate/") + gateway_id + "/events";

}  // namespace

TEST_CASE("the forwarder publishes the high lane before a normal backlog, then everything") {
    temp_dir dir;
    test_journal journal(dir);
    auto normal = journal.append(readings(2000));
    const auto high = journal.append(status_events(5));

    mosquitto_broker broker;
    mqtt_subscriber sub(broker.uri(), "edgegate/#");
    ack_mailbox acks;
    forwarder fwd(mqtt_config(broker.uri()), gateway_id, journal.writer.path(), acks, "9.9.9");
    journal.writer.on_durable([&] { fwd.notify(); });
    fwd.start();

    // Committed while the forwarder runs: reached through notify().
    const auto later = journal.append(readings(50, "cold_room"));
    normal.insert(normal.end(), later.begin(), later.end());

    auto all = normal;
    all.insert(all.end(), high.begin(), high.end());
    REQUIRE(wait_until([&] { return all_seqs_arrived(sub, all); }, 30s));
    CHECK(wait_until(
        [&] {
            return acks.get(lane::normal) == normal.back() && acks.get(lane::high) == high.back();
        },
        10s));

    const auto messages = sub.messages();
    std::size_t first_data = messages.size();
    std::size_t last_event = 0;
    for (std::size_t i = 0; i < messages.size(); ++i) {
        if (messages[i].topic.find("/data/") != std::string::npos) {
            first_data = std::min(first_data, i);
        }
        if (messages[i].topic == events_topic) last_event = i;
    }
    CHECK(last_event < first_data);

    // {"state":"online","gateway":"fwd-gw","version":"9.9.9","ts":"2026-11-26T21:05:55.123Z"}
    const auto& online = messages.front();
    CHECK(online.topic == status_topic);
    CHECK(online.payload.starts_with(R"({"state":"online","gateway":"fwd-gw","version":"9.9.9",)"
                                     R"("ts":")"));
    CHECK(online.payload.ends_with(R"(Z"})"));
    CHECK(parse(online.payload).IsObject());

    // An example payload, as published.
    const auto data = on_topic(sub, std::string("edgegate/") + gateway_id + "/data/boiler/p0");
    REQUIRE_FALSE(data.empty());
    CHECK(data.front().payload.starts_with(R"({"seq":1,"gateway":"fwd-gw","device":"boiler",)"));
    CHECK_FALSE(data.front().retained);

    {
        mqtt_subscriber late(broker.uri(), status_topic, "edgegate-test-late");
        REQUIRE(late.wait_for_count(1, 5s));
        CHECK(late.messages().front().retained);
        CHECK(state_of(late.messages().front()) == "online");
    }

    const auto stats = fwd.stats();
    CHECK(stats.connected);
    CHECK(stats.published == static_cast<std::int64_t>(all.size()));
    CHECK(stats.resent == 0);
    CHECK(stats.reconnects == 0);

    const auto before_stop = on_topic(sub, status_topic).size();
    fwd.stop(5s);
    CHECK_FALSE(fwd.stats().connected);
    REQUIRE(wait_until([&] { return on_topic(sub, status_topic).size() > before_stop; }, 5s));
    // {"state":"offline","gateway":"fwd-gw","ts":"2026-11-26T21:05:55.123Z"}
    const auto offline = on_topic(sub, status_topic).back();
    CHECK(offline.payload.starts_with(R"({"state":"offline","gateway":"fwd-gw","ts":")"));
    CHECK(offline.payload.ends_with(R"(Z"})"));
    CHECK(parse(offline.payload).IsObject());

    mqtt_subscriber after(broker.uri(), status_topic, "edgegate-test-after");
    REQUIRE(after.wait_for_count(1, 5s));
    CHECK(after.messages().front().retained);
    CHECK(state_of(after.messages().front()) == "offline");
}

namespace {

// 20,000 readings, the broker goes down after 3,000 have arrived, more events are committed
// while it is down, then it comes back on the same port. Returns the seqs that did not arrive;
// `acked_before_outage` is the forwarder's contiguous ack when it lost the connection.
struct outage_result {
    std::vector<std::int64_t> missing;
    std::int64_t acked_before_outage = 0;
};

outage_result forward_through_outage(bool sigkill) {
    temp_dir dir;
    test_journal journal(dir);
    auto normal = journal.append(readings(20000));

    mosquitto_broker broker;
    mqtt_subscriber sub(broker.uri(), "edgegate/#");
    ack_mailbox acks;
    forwarder fwd(mqtt_config(broker.uri()), gateway_id, journal.writer.path(), acks);
    journal.writer.on_durable([&] { fwd.notify(); });
    fwd.start();

    REQUIRE(sub.wait_for_count(3000, 30s));
    if (sigkill) {
        broker.kill();
    } else {
        broker.stop();
    }
    REQUIRE(wait_until([&] { return !fwd.stats().connected; }, 10s));
    // No PUBACK can arrive while disconnected: this is where the broker's responsibility ends.
    outage_result result;
    result.acked_before_outage = acks.get(lane::normal);
    // Committed during the outage: status events (high lane) and more readings.
    const auto high = journal.append(status_events(3));
    const auto more = journal.append(readings(500, "cold_room"));
    normal.insert(normal.end(), more.begin(), more.end());
    broker.start();

    auto all = normal;
    all.insert(all.end(), high.begin(), high.end());
    // What the broker never acknowledged must arrive, so the wait ends with it.
    std::vector<std::int64_t> required;
    std::copy_if(all.begin(), all.end(), std::back_inserter(required),
                 [&](std::int64_t s) { return !sigkill || s > result.acked_before_outage; });
    CHECK(wait_until([&] { return all_seqs_arrived(sub, required); }, 60s, 50ms));
    result.missing = missing(sub, all);
    CHECK(wait_until(
        [&] {
            return acks.get(lane::normal) == normal.back() && acks.get(lane::high) == high.back();
        },
        10s));
    const auto stats = fwd.stats();
    CHECK(stats.reconnects == 1);
    CHECK(stats.connected);
    CHECK(stats.published >= static_cast<std::int64_t>(all.size()));
    fwd.stop(5s);
    return result;
}

}  // namespace

TEST_CASE("a broker stopped mid-stream: every seq arrives and the acks reach the last one") {
    // mosquitto saves its sessions on SIGTERM, so nothing it acknowledged is lost either.
    const auto result = forward_through_outage(false);
    CHECK_MESSAGE(result.missing.empty(), result.missing.size() << " seqs missing");
}

TEST_CASE("a broker killed mid-stream: everything it had not acknowledged arrives") {
    // A SIGKILLed mosquitto loses what it acknowledged but had neither delivered nor autosaved:
    // at-least-once ends at the broker's PUBACK. Everything after the forwarder's last PUBACK
    // must arrive, re-sent from the journal.
    const auto result = forward_through_outage(true);
    for (const auto seq : result.missing) {
        CHECK_MESSAGE(seq <= result.acked_before_outage,
                      "seq " << seq << " was never acknowledged by the broker, yet not re-sent");
    }
}

TEST_CASE("the forwarder resumes after the persisted cursor") {
    temp_dir dir;
    test_journal journal(dir);
    const auto seqs = journal.append(readings(100));
    journal.writer.save_cursor(forwarder_cursor, lane::normal, seqs[59]);

    mosquitto_broker broker;
    mqtt_subscriber sub(broker.uri(), "edgegate/+/data/#");
    ack_mailbox acks;
    forwarder fwd(mqtt_config(broker.uri()), gateway_id, journal.writer.path(), acks);
    fwd.start();
    REQUIRE(sub.wait_for_count(40, 10s));
    fwd.stop(5s);
    const auto counts = sub.seq_counts();
    CHECK(counts.size() == 40);
    CHECK(counts.begin()->first == seqs[60]);
    CHECK(acks.get(lane::normal) == seqs.back());
}

TEST_CASE("durability normal: commits not yet synced are held back, and follow the sync") {
    temp_dir dir;
    test_journal journal(dir);
    const auto durable = journal.append(readings(50));
    // Committed, not synced: a power loss could still take these back.
    const auto pending = journal.append_unsynced(readings(30, "cold_room"));
    REQUIRE(journal.writer.durable_seq() == durable.back());
    REQUIRE(journal.writer.committed_seq() == pending.back());

    mosquitto_broker broker;
    mqtt_subscriber sub(broker.uri(), "edgegate/#");
    ack_mailbox acks;
    forwarder* current = nullptr;
    journal.writer.on_durable([&] {
        if (current != nullptr) current->notify();
    });
    const auto start = [&](forwarder& fwd) {
        fwd.publish_durable([&] { return journal.writer.durable_seq(); });
        current = &fwd;
        fwd.start();
    };
    {
        forwarder fwd(mqtt_config(broker.uri()), gateway_id, journal.writer.path(), acks);
        start(fwd);
        REQUIRE(wait_until([&] { return all_seqs_arrived(sub, durable); }, 30s));
        // stop() drains everything publishable: had the unsynced readings been published, it
        // would have waited for their acknowledgements too.
        fwd.stop(5s);
        current = nullptr;
    }
    CHECK(acks.get(lane::normal) == durable.back());
    CHECK(missing(sub, pending).size() == pending.size());

    forwarder fwd(mqtt_config(broker.uri()), gateway_id, journal.writer.path(), acks);
    start(fwd);
    journal.writer.sync();
    CHECK(journal.writer.durable_seq() == pending.back());
    CHECK(wait_until([&] { return all_seqs_arrived(sub, pending); }, 30s));
    CHECK(wait_until([&] { return acks.get(lane::normal) == pending.back(); }, 10s));
    fwd.stop(5s);
    current = nullptr;
}

TEST_CASE("QoS 0 and MQTT 5 deliver too") {
    for (const auto& variant : {std::pair{0, 4}, std::pair{1, 5}}) {
        const int qos = variant.first;
        const int version = variant.second;
        CAPTURE(qos);
        CAPTURE(version);
        temp_dir dir;
        test_journal journal(dir);
        const auto seqs = journal.append(readings(500));
        mosquitto_broker broker;
        mqtt_subscriber sub(broker.uri(), "edgegate/#");
        ack_mailbox acks;
        // A small window: the refill and ack bookkeeping at their edges.
        auto cfg = mqtt_config(broker.uri(), 3);
        cfg.qos = qos;
        cfg.version = version;
        forwarder fwd(cfg, gateway_id, journal.writer.path(), acks, "1.0");
        fwd.start();
        CHECK(wait_until([&] { return all_seqs_arrived(sub, seqs); }, 20s));
        CHECK(wait_until([&] { return acks.get(lane::normal) == seqs.back(); }, 10s));
        fwd.stop(5s);
        CHECK(wait_until(
            [&] {
                const auto st = on_topic(sub, status_topic);
                return !st.empty() && state_of(st.back()) == "offline";
            },
            5s));
    }
}

TEST_CASE("stop() is bounded when the broker is unreachable, and nothing is acknowledged") {
    temp_dir dir;
    test_journal journal(dir);
    journal.append(readings(10));
    ack_mailbox acks;
    // A free port with nobody listening: every connect is refused.
    forwarder fwd(mqtt_config("tcp://127.0.0.1:" + std::to_string(free_tcp_port())), gateway_id,
                  journal.writer.path(), acks);
    fwd.start();
    const auto t0 = std::chrono::steady_clock::now();
    fwd.stop(300ms);
    CHECK(std::chrono::steady_clock::now() - t0 < 2s);
    CHECK(acks.get(lane::normal) == 0);
    CHECK_FALSE(fwd.stats().connected);
}

TEST_CASE("stop() does not wait for a broker when nothing is left to deliver") {
    temp_dir dir;
    test_journal journal(dir);
    ack_mailbox acks;
    forwarder fwd(mqtt_config("tcp://127.0.0.1:" + std::to_string(free_tcp_port())), gateway_id,
                  journal.writer.path(), acks);
    fwd.start();
    const auto t0 = std::chrono::steady_clock::now();
    fwd.stop(10s);
    CHECK(std::chrono::steady_clock::now() - t0 < 3s);
}

namespace {

// `n` readings of each of two devices, alternating (as two devices polled together write them).
std::vector<event> two_devices(int n) {
    std::vector<event> out;
    const auto a = readings(n, "boiler");
    const auto b = readings(n, "cold_room");
    for (int i = 0; i < n; ++i) {
        out.push_back(a[i]);
        out.push_back(b[i]);
    }
    return out;
}

}  // namespace

TEST_CASE("mqtt.batch: a backlog goes out as arrays per device, live readings one by one") {
    temp_dir dir;
    test_journal journal(dir);
    const auto backlog = journal.append(two_devices(3000));

    mosquitto_broker broker;
    mqtt_subscriber sub(broker.uri(), "edgegate/#");
    ack_mailbox acks;
    auto cfg = mqtt_config(broker.uri(), 16);
    cfg.batch = 50;
    forwarder fwd(cfg, gateway_id, journal.writer.path(), acks);
    journal.writer.on_durable([&] { fwd.notify(); });
    fwd.start();
    REQUIRE(wait_until([&] { return all_seqs_arrived(sub, backlog); }, 30s));
    REQUIRE(wait_until([&] { return acks.get(lane::normal) == backlog.back(); }, 10s));

    // Caught up: what comes now goes singly.
    const auto live = journal.append(readings(5, "boiler"));
    REQUIRE(wait_until([&] { return all_seqs_arrived(sub, live); }, 10s));

    const std::string prefix = std::string("edgegate/") + gateway_id + "/";
    std::size_t batches = 0;
    std::size_t in_batches = 0;
    for (const auto& m : sub.messages()) {
        if (!m.topic.starts_with(prefix + "batch/")) continue;
        ++batches;
        CAPTURE(m.payload);
        CHECK_FALSE(m.retained);
        const auto doc = parse(m.payload);
        REQUIRE(doc.IsArray());
        CHECK(doc.Size() >= 1);
        CHECK(doc.Size() <= 50);
        in_batches += doc.Size();
        const std::string device = m.topic.substr((prefix + "batch/").size());
        for (const auto& r : doc.GetArray()) {
            // Each element is the reading's single-message payload.
            CHECK(std::string(r["gateway"].GetString()) == gateway_id);
            CHECK(std::string(r["device"].GetString()) == device);
            CHECK(r["seq"].IsInt64());
        }
    }
    // All but the last read (16 messages x 50), which meets the head of the journal, goes in
    // batches, mostly full ones.
    CHECK(in_batches >= backlog.size() - 16 * 50);
    CHECK(in_batches >= 25 * batches);
    for (const auto& received : sub.seq_counts()) {
        CAPTURE(received.first);  // the seq (a structured binding cannot be captured in clang 14)
        CHECK(received.second == 1);
    }
    const auto single = on_topic(sub, prefix + "data/boiler/p0");
    REQUIRE_FALSE(single.empty());
    CHECK(parse(single.back().payload)["seq"].GetInt64() == live.front());
    CHECK(fwd.stats().published == static_cast<std::int64_t>(backlog.size() + live.size()));
    fwd.stop(5s);
}

TEST_CASE("mqtt.rate_limit: a backlog is paced, and alerts overtake it") {
    temp_dir dir;
    test_journal journal(dir);
    const auto backlog = journal.append(readings(400));

    mosquitto_broker broker;
    mqtt_subscriber sub(broker.uri(), "edgegate/#");
    ack_mailbox acks;
    auto cfg = mqtt_config(broker.uri());
    cfg.rate_limit = 100;
    forwarder fwd(cfg, gateway_id, journal.writer.path(), acks);
    journal.writer.on_durable([&] { fwd.notify(); });
    fwd.start();
    REQUIRE(wait_until([&] { return sub.seq_counts().size() >= 150; }, 30s));
    const auto high = journal.append(status_events(3));
    REQUIRE(wait_until([&] { return all_seqs_arrived(sub, backlog); }, 30s));
    CHECK(all_seqs_arrived(sub, high));

    const auto messages = sub.messages();
    std::optional<std::chrono::steady_clock::time_point> first, last;
    std::size_t last_event = 0, last_data = 0;
    for (std::size_t i = 0; i < messages.size(); ++i) {
        if (messages[i].topic == events_topic) last_event = i;
        if (messages[i].topic.find("/data/") == std::string::npos) continue;
        last_data = i;
        if (!first) first = messages[i].received;
        last = messages[i].received;
    }
    // Alerts and status events go first: they did not wait behind the rest of the backlog.
    CHECK(last_event < last_data);
    // A second's worth (100) at once, then 100 a second: the other 300 take 3 s at least. A
    // bound from below: a slow machine only makes it longer.
    const double spread = std::chrono::duration<double>(*last - *first).count();
    CHECK(spread >= 2.5);
    fwd.stop(5s);
}

TEST_CASE("a broker that stops answering is noticed after 1.5 x keepalive, then caught up") {
    temp_dir dir;
    test_journal journal(dir);
    mosquitto_broker broker;
    mqtt_subscriber sub(broker.uri(), "edgegate/#");
    ack_mailbox acks;
    auto cfg = mqtt_config(broker.uri());
    cfg.keepalive = 4s;
    forwarder fwd(cfg, gateway_id, journal.writer.path(), acks);
    journal.writer.on_durable([&] { fwd.notify(); });
    fwd.start();
    auto seqs = journal.append(readings(100));
    REQUIRE(wait_until([&] { return all_seqs_arrived(sub, seqs); }, 10s));

    // Connections stay open, TCP still acknowledges, MQTT answers nothing: a black hole.
    broker.pause();
    const auto paused = std::chrono::steady_clock::now();
    const auto more = journal.append(readings(100, "cold_room"));
    seqs.insert(seqs.end(), more.begin(), more.end());
    REQUIRE(wait_until([&] { return !fwd.stats().connected; }, 15s, 10ms));
    const double noticed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - paused).count();
    // 1.5 x 4 s after the first publish that found the broker paused, plus the scheduling of two
    // processes on a loaded machine; Paho's own ping would take 2-3 x keepalive (8 s or more).
    CHECK(noticed <= 6.0 + 1.5);

    broker.resume();
    CHECK(wait_until([&] { return all_seqs_arrived(sub, seqs); }, 30s));
    CHECK(wait_until([&] { return acks.get(lane::normal) == seqs.back(); }, 10s));
    fwd.stop(5s);
}

TEST_CASE("mqtt.batch with mqtt.rate_limit: a paced catch-up still fills its batches") {
    temp_dir dir;
    test_journal journal(dir);
    const auto backlog = journal.append(two_devices(3000));

    mosquitto_broker broker;
    mqtt_subscriber sub(broker.uri(), "edgegate/#");
    ack_mailbox acks;
    auto cfg = mqtt_config(broker.uri(), 16);
    cfg.batch = 50;
    cfg.rate_limit = 20;
    forwarder fwd(cfg, gateway_id, journal.writer.path(), acks);
    journal.writer.on_durable([&] { fwd.notify(); });
    fwd.start();
    // Commits during the catch-up wake the forwarder with few tokens at hand.
    for (int i = 0; i < 20; ++i) journal.append(status_events(1));
    REQUIRE(wait_until([&] { return all_seqs_arrived(sub, backlog); }, 60s));

    const std::string batch_topics = std::string("edgegate/") + gateway_id + "/batch/";
    std::size_t batches = 0;
    std::size_t in_batches = 0;
    for (const auto& m : sub.messages()) {
        if (!m.topic.starts_with(batch_topics)) continue;
        ++batches;
        in_batches += parse(m.payload).Size();
    }
    // 20 messages a second carry 1,000 readings a second only when the batches are full.
    CHECK(in_batches >= backlog.size() - 16 * 50);
    CHECK(in_batches >= 40 * batches);
    fwd.stop(5s);
}
