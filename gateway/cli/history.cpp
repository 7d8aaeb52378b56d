// `edgegate events` and `edgegate replay`: the journal as local history. Both read it through a
// read-only connection (WAL), page by page, so a running gateway is neither slowed nor blocked
// and a million events never sit in memory.

#include <mqtt/async_client.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <deque>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <thread>

#include "gateway/cli/commands.hpp"
#include "gateway/config/config.hpp"
#include "gateway/core/diagnostics.hpp"
#include "gateway/core/names.hpp"
#include "gateway/core/payload.hpp"
#include "gateway/core/units.hpp"
#include "gateway/journal/journal.hpp"

namespace edgegate {

namespace {

// Events read from the journal at a time.
constexpr int page_size = 500;
// Publishes of a replay awaiting their PUBACK: well below Paho's in-flight limit, which stalls
// the sender when reached (DESIGN.md, paho-mqtt-c trap).
constexpr std::size_t replay_window = 64;
constexpr auto connect_timeout = std::chrono::seconds(10);
// A publish the broker has not acknowledged by then fails the replay.
constexpr auto ack_timeout = std::chrono::seconds(30);
constexpr auto ack_poll = std::chrono::milliseconds(100);
constexpr auto disconnect_timeout = std::chrono::seconds(2);

// What the user got wrong on the command line: exit code 1.
class bad_arguments : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// The broker refused, went away or did not acknowledge: exit code 3.
class broker_failure : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

std::optional<timestamp> time_bound(const std::string& text, const char* option, timestamp now) {
    if (text.empty()) return std::nullopt;
    if (const auto ago = parse_duration(text)) return now - *ago;
    if (const auto at = parse_iso8601(text)) return *at;
    throw bad_arguments(std::string(option) + ": '" + text +
                        "' is neither a duration ago (10m, 2h, 7d) nor an ISO 8601 time "
                        "(2026-11-26T21:05:00Z, 2026-11-26T22:05:00+01:00)");
}

std::optional<std::string> name_filter(const std::string& text, const char* option) {
    if (text.empty()) return std::nullopt;
    if (!is_valid_name(text)) {
        throw bad_arguments(std::string(option) + ": '" + text +
                            "' is not a device or point name ([A-Za-z0-9_.-])");
    }
    return text;
}

event_filter make_filter(const history_query& q) {
    const timestamp now = wall_clock::now();
    event_filter f;
    f.since = time_bound(q.since, "--since", now);
    f.until = time_bound(q.until, "--until", now);
    if (f.since && f.until && *f.since >= *f.until) {
        throw bad_arguments("--since " + format_iso8601(*f.since) + " is not before --until " +
                            format_iso8601(*f.until));
    }
    f.device = name_filter(q.device, "--device");
    f.point = name_filter(q.point, "--point");
    if (q.kind == "reading") {
        f.kind = event_kind::reading;
    } else if (q.kind == "alert") {
        f.kind = event_kind::alert;
    } else if (q.kind == "event") {
        f.kind = event_kind::status;
    } else if (!q.kind.empty()) {
        throw bad_arguments("--kind: '" + q.kind + "' is not one of reading, alert, event");
    }
    if (q.limit < 0) throw bad_arguments("--limit must not be negative");
    return f;
}

// What both commands need of the configuration.
struct history_source {
    std::string journal_path;
    std::string gateway_id;
    mqtt_section mqtt;
};

// Prints the errors and returns nullopt when the configuration cannot be used.
std::optional<history_source> load_source(const std::string& config_path) {
    try {
        gateway_config cfg = load_config(config_path);
        return history_source{cfg.journal.path, cfg.gateway.id, std::move(cfg.mqtt)};
    } catch (const config_exception& e) {
        for (const auto& err : e.errors()) std::cerr << err.to_string() << '\n';
    } catch (const config_unreadable& e) {
        std::cerr << e.what() << '\n';
    }
    return std::nullopt;
}

// The published payload with the topic put first, so that `jq` reaches every member at the top
// level and `del(.topic)` gives back exactly what was published (no payload has a "topic").
std::string history_line(std::string_view topic, std::string_view payload) {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    w.String(topic.data(), static_cast<rapidjson::SizeType>(topic.size()));
    std::string line = "{\"topic\":";
    line.append(buf.GetString(), buf.GetSize());
    line += ',';
    line += payload.substr(1);
    return line;
}

// Calls `fn(stored_event)` for every selected event, in seq order; returns how many.
template <typename Fn>
std::int64_t for_each_selected(journal_reader& reader, const event_filter& filter,
                               std::int64_t limit, Fn&& fn) {
    event_selection selection(reader, filter);
    std::int64_t n = 0;
    while (limit == 0 || n < limit) {
        const int want =
            limit == 0 ? page_size : static_cast<int>(std::min<std::int64_t>(page_size, limit - n));
        const auto page = selection.next(want);
        if (page.empty()) break;
        for (const auto& se : page) fn(se);
        n += static_cast<std::int64_t>(page.size());
    }
    return n;
}

// One MQTT connection of its own for a replay (the gateway's session stays untouched), QoS 1
// publishes with at most `replay_window` unacknowledged. Main thread; Paho's threads only set
// `lost_`.
class replay_publisher {
  public:
    explicit replay_publisher(const mqtt_section& m)
        : uri_(m.uri),
          client_(m.uri, m.client_id + "-replay",
                  mqtt::create_options(m.version == 5 ? MQTTVERSION_5 : MQTTVERSION_3_1_1),
                  nullptr) {
        client_.set_connection_lost_handler([this](const std::string&) { lost_ = true; });
        mqtt::connect_options opts;
        if (m.tls) {
            mqtt::ssl_options ssl;
            if (!m.tls->ca_file.empty()) ssl.set_trust_store(m.tls->ca_file);
            if (!m.tls->cert_file.empty()) {
                ssl.set_key_store(m.tls->cert_file);
                ssl.set_private_key(m.tls->key_file);
            }
            ssl.set_enable_server_cert_auth(m.tls->verify);
            ssl.set_verify(m.tls->verify);
            opts.set_ssl(std::move(ssl));
        }
        if (!m.username.empty()) opts.set_user_name(m.username);
        if (!m.password.empty()) opts.set_password(m.password.reveal());
        opts.set_keep_alive_interval(m.keepalive);
        opts.set_connect_timeout(connect_timeout);
        opts.set_automatic_reconnect(false);
        opts.set_max_inflight(static_cast<int>(2 * replay_window + 16));
        if (m.version == 5) {
            opts.set_mqtt_version(MQTTVERSION_5);
            opts.set_clean_start(true);
        } else {
            opts.set_mqtt_version(MQTTVERSION_3_1_1);
            opts.set_clean_session(true);
        }
        try {
            client_.connect(opts)->wait();
        } catch (const mqtt::exception& e) {
            throw broker_failure("cannot connect to " + uri_ + ": " + e.what());
        }
    }

    ~replay_publisher() {
        try {
            if (client_.is_connected()) client_.disconnect()->wait_for(disconnect_timeout);
        } catch (const mqtt::exception&) {
            // Leaving anyway: every publish that mattered was acknowledged or reported.
        }
    }

    replay_publisher(const replay_publisher&) = delete;
    replay_publisher& operator=(const replay_publisher&) = delete;

    void publish(const std::string& topic, const std::string& payload) {
        while (in_flight_.size() >= replay_window) await_oldest();
        try {
            in_flight_.push_back(client_.publish(topic, payload.data(), payload.size(), 1, false));
        } catch (const mqtt::exception& e) {
            throw broker_failure("publish to " + topic + " failed: " + e.what());
        }
    }

    // Waits for every outstanding PUBACK.
    void finish() {
        while (!in_flight_.empty()) await_oldest();
    }

    std::int64_t acknowledged() const { return acknowledged_; }

  private:
    void await_oldest() {
        const auto tok = in_flight_.front();
        const auto deadline = std::chrono::steady_clock::now() + ack_timeout;
        try {
            while (!tok->wait_for(ack_poll)) {
                if (lost_) throw broker_failure("connection to " + uri_ + " lost");
                if (std::chrono::steady_clock::now() >= deadline) {
                    throw broker_failure("no acknowledgement from " + uri_ + " within " +
                                         format_duration(ack_timeout));
                }
            }
        } catch (const mqtt::exception& e) {
            throw broker_failure("publish to " + uri_ + " failed: " + e.what());
        }
        in_flight_.pop_front();
        ++acknowledged_;
    }

    const std::string uri_;
    std::atomic<bool> lost_{false};
    std::deque<mqtt::delivery_token_ptr> in_flight_;
    std::int64_t acknowledged_ = 0;
    mqtt::async_client client_;  // last: destroyed first, so no callback finds members gone
};

// Spaces publishes `1/rate` s apart on average, from a fixed start so that slow steps catch up.
class pacer {
  public:
    explicit pacer(int rate)
        : interval_(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
              std::chrono::duration<double>(1.0 / rate))) {}

    void wait_turn() {
        std::this_thread::sleep_until(start_ + interval_ * sent_);
        ++sent_;
    }

  private:
    const std::chrono::steady_clock::duration interval_;
    const std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
    std::int64_t sent_ = 0;
};

}  // namespace

int show_events(const std::string& config_path, const history_query& query) {
    try {
        const event_filter filter = make_filter(query);
        const auto source = load_source(config_path);
        if (!source) return 2;
        journal_reader reader(source->journal_path);
        const std::string& prefix = source->mqtt.topic_prefix;
        const std::string& gw = source->gateway_id;
        for_each_selected(reader, filter, query.limit, [&](const stored_event& se) {
            std::cout << history_line(full_topic(prefix, gw, se.ev.topic),
                                      finalize_payload(se.seq, gw, se.ev.body))
                      << '\n';
        });
        std::cout.flush();
        if (!std::cout) {
            std::cerr << "edgegate events: cannot write the output\n";
            return 2;
        }
        return 0;
    } catch (const bad_arguments& e) {
        std::cerr << "edgegate events: " << e.what() << '\n';
        return 1;
    } catch (const std::exception& e) {
        std::cerr << e.what() << '\n';
        return 2;
    }
}

int replay_events(const std::string& config_path, const history_query& query,
                  const replay_options& options) {
    std::int64_t replayed = 0;
    try {
        if (options.rate < 1) throw bad_arguments("--rate must be at least 1 per second");
        const event_filter filter = make_filter(query);
        const auto source = load_source(config_path);
        if (!source) return 2;
        journal_reader reader(source->journal_path);
        const std::string& prefix = source->mqtt.topic_prefix;
        const std::string& gw = source->gateway_id;
        const std::string target = full_topic(prefix, gw, "replay/");
        if (options.dry_run) {
            const auto n = for_each_selected(reader, filter, query.limit, [&](const auto& se) {
                std::cout << history_line(full_topic(prefix, gw, "replay/" + se.ev.topic),
                                          finalize_payload(se.seq, gw, se.ev.body))
                          << '\n';
            });
            std::cout.flush();
            std::cerr << "would replay " << n << " event(s) to " << target << "...\n";
            return 0;
        }
        replay_publisher publisher(source->mqtt);
        pacer pace(options.rate);
        for_each_selected(reader, filter, query.limit, [&](const stored_event& se) {
            pace.wait_turn();
            publisher.publish(full_topic(prefix, gw, "replay/" + se.ev.topic),
                              finalize_payload(se.seq, gw, se.ev.body));
            replayed = publisher.acknowledged();
        });
        publisher.finish();
        replayed = publisher.acknowledged();
        std::cout << "replayed " << replayed << " event(s) to " << target << "... on "
                  << source->mqtt.uri << "\n";
        return 0;
    } catch (const bad_arguments& e) {
        std::cerr << "edgegate replay: " << e.what() << '\n';
        return 1;
    } catch (const broker_failure& e) {
        std::cerr << "edgegate replay: " << e.what() << " (" << replayed
                  << " event(s) acknowledged before)\n";
        return 3;
    } catch (const std::exception& e) {
        std::cerr << e.what() << '\n';
        return 2;
    }
}

}  // namespace edgegate
