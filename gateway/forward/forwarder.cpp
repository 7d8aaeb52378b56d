#include "gateway/forward/forwarder.hpp"

#include <mqtt/async_client.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <functional>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <utility>

#include "gateway/core/backoff.hpp"
#include "gateway/core/payload.hpp"
#include "gateway/core/token_bucket.hpp"
#include "gateway/forward/tls_probe.hpp"

namespace edgegate {

namespace {

// A safety net only: commits wake the thread through notify(), acks through their callbacks.
constexpr auto idle_poll = std::chrono::seconds(1);
// An unreachable host (no RST) fails a connect only after this; a refused one fails at once.
constexpr auto connect_timeout = std::chrono::seconds(10);
// How often a pending connect looks at stop().
constexpr auto connect_poll = std::chrono::milliseconds(100);
// The handshake that explains a failed TLS connect (once per outage); stop() may wait for it.
constexpr auto tls_probe_timeout = std::chrono::seconds(3);
// The offline status and the DISCONNECT at stop(), each.
constexpr auto farewell_timeout = std::chrono::seconds(2);
// Publishes waiting this many keep-alive intervals for any acknowledgement mean a dead link
// (what a broker allows a silent client); Paho's own ping notices only after about 2-3.
constexpr double dead_link_keepalives = 1.5;
// Rows of one lane per journal read at most: bounds memory when window x batch is large.
constexpr std::size_t max_read_rows = 10000;

using seconds_f = std::chrono::duration<double>;

// What the online status says beyond state, gateway and ts.
struct online_details {
    const std::string& version;
    timestamp connected_since;
    std::int64_t forwarded_total;
    std::optional<status_figures> figures;
};

void write_string(rapidjson::Writer<rapidjson::StringBuffer>& w, std::string_view text) {
    w.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
}

std::string status_json(std::string_view state, std::string_view gateway,
                        const online_details* online) {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    w.StartObject();
    w.Key("state");
    write_string(w, state);
    w.Key("gateway");
    write_string(w, gateway);
    if (online != nullptr) {
        w.Key("version");
        write_string(w, online->version);
    }
    const std::string ts = format_iso8601(wall_clock::now());
    w.Key("ts");
    write_string(w, ts);
    if (online != nullptr) {
        w.Key("forwarded_total");
        w.Int64(online->forwarded_total);
        if (const auto& f = online->figures) {
            w.Key("backlog");
            w.Int64(f->backlog);
            w.Key("oldest_undelivered_age_s");
            if (f->oldest_age_seconds) {
                w.Double(*f->oldest_age_seconds);
            } else {
                w.Null();
            }
            w.Key("readings_total");
            w.Uint64(f->readings_total);
            w.Key("dropped_total");
            w.Int64(f->dropped_total);
            w.Key("active_alerts");
            w.Uint64(f->active_alerts);
        }
        w.Key("connected_since");
        write_string(w, format_iso8601(online->connected_since));
    }
    w.EndObject();
    return {buf.GetString(), buf.GetSize()};
}

const char* protocol_name(int version) { return version == 5 ? "MQTT 5" : "MQTT 3.1.1"; }

// HOST:PORT of a broker URI, for messages about the connection to it.
std::string_view server_of(std::string_view uri) {
    const auto scheme = uri.find("://");
    return scheme == std::string_view::npos ? uri : uri.substr(scheme + 3);
}

// Paho reports a failed TLS connect only as a generic connect failure; some causes show in its
// trace: its host-name check after the handshake, and a broker that drops the session after the
// handshake (a TLS 1.3 broker refusing a missing client certificate). So while a TLS connect is
// in progress the trace is on and the few lines that tell these apart are kept; otherwise it stays
// off. It also shows whether Paho got past the TCP connect to its TLS layer at all.
// The trace is process-wide: two forwarders connecting at the same moment would share what it saw,
// which the daemon, with one forwarder, never does. Left alone when the user traces Paho
// (MQTT_C_CLIENT_TRACE).
class tls_trace {
  public:
    struct seen {
        bool tls_began = false;  // Paho set up TLS (or failed to) on a connected socket
        bool handshake_done = false;
        bool host_mismatch = false;
        std::string alert;  // the last fatal alert the broker sent, as OpenSSL names it
    };

    // Connect attempts of this process in progress; any thread.
    class scope {
      public:
        scope() { tls_trace::get().begin(); }
        ~scope() { tls_trace::get().end(); }
        scope(const scope&) = delete;
        scope& operator=(const scope&) = delete;
    };

    static seen take() {
        std::lock_guard lock(get().mutex_);
        return std::exchange(get().seen_, {});
    }

  private:
    static tls_trace& get() {
        static tls_trace trace;
        return trace;
    }

    tls_trace() : enabled_(std::getenv("MQTT_C_CLIENT_TRACE") == nullptr) {
        if (!enabled_) return;
        MQTTAsync_setTraceLevel(MQTTASYNC_TRACE_FATAL);
        MQTTAsync_setTraceCallback(&tls_trace::on_trace);
    }

    void begin() {
        if (!enabled_) return;
        std::lock_guard lock(mutex_);
        if (connecting_++ == 0) {
            seen_ = {};
            // Minimum, not protocol: the address check's result is traced at that level.
            MQTTAsync_setTraceLevel(MQTTASYNC_TRACE_MINIMUM);
        }
    }

    void end() {
        if (!enabled_) return;
        std::lock_guard lock(mutex_);
        if (--connecting_ == 0) MQTTAsync_setTraceLevel(MQTTASYNC_TRACE_FATAL);
    }

    // On whichever Paho thread traces; must not call into Paho.
    static void on_trace(MQTTASYNC_TRACE_LEVELS, char* message) {
        const std::string_view line(message);
        // Paho checks the host as a name, and when that fails, as an IP address.
        constexpr std::string_view name_failed = "X509_check_host for hostname ";
        constexpr std::string_view address_passed = "rc from X509_check_ip_asc is 1";
        constexpr std::string_view alert = "SSL alert read:fatal:";
        // Paho's TLS layer: a handshake starting, or loading the settings failing.
        constexpr std::string_view started = "SSL handshake started";
        constexpr std::string_view tls_failed = "SSLSocket error";
        constexpr std::string_view done = "SSL negotiation finished successfully";
        const bool mismatch = line.find(name_failed) != std::string_view::npos;
        const bool address = line.find(address_passed) != std::string_view::npos;
        const bool begun = line.find(started) != std::string_view::npos ||
                           line.find(tls_failed) != std::string_view::npos;
        const bool handshake = line.find(done) != std::string_view::npos;
        const auto at = line.find(alert);
        if (!mismatch && !address && !begun && !handshake && at == std::string_view::npos) return;
        tls_trace& t = get();
        std::lock_guard lock(t.mutex_);
        if (begun) t.seen_.tls_began = true;
        if (handshake) t.seen_.handshake_done = true;
        if (mismatch) t.seen_.host_mismatch = true;
        if (address) t.seen_.host_mismatch = false;
        if (at != std::string_view::npos) t.seen_.alert = line.substr(at + alert.size());
    }

    const bool enabled_;
    std::mutex mutex_;
    int connecting_ = 0;
    seen seen_;
};

// HOST of a broker URI (HOST:PORT after the scheme, HOST possibly a bracketed IPv6 address).
std::string_view host_of(std::string_view server) {
    if (server.starts_with('[')) return server.substr(0, server.find(']') + 1);
    return server.substr(0, server.rfind(':'));
}

// Asked for the cause of a failed TLS handshake when nothing else tells it; may block a few
// seconds (tls_probe.hpp). Nothing: unknown.
using handshake_diagnosis = std::function<std::optional<std::string>()>;

// A refused connect in words a user can act on. Paho reports an MQTT 3.1.1 CONNACK refusal as
// the return code (1..5) and an MQTT 5 one as the reason code; a failed TLS handshake only as a
// generic connect failure, its cause coming from the trace or, failing that, from `diagnose`.
std::string connect_failure(const mqtt::exception& e, std::string_view server,
                            const tls_trace::seen& trace, bool client_certificate,
                            const handshake_diagnosis& diagnose) {
    const std::string refused = "broker " + std::string(server) + " refused the connection: ";
    switch (e.get_reason_code()) {
        case mqtt::ReasonCode::BAD_USER_NAME_OR_PASSWORD:
            return refused + "bad user name or password";
        case mqtt::ReasonCode::NOT_AUTHORIZED:
            return refused + "not authorized (wrong user name or password, or not allowed)";
        default:
            break;
    }
    switch (e.get_return_code()) {
        case 1:
            return refused + "unacceptable protocol version";
        case 2:
            return refused + "client identifier rejected";
        case 3:
            return refused + "server unavailable";
        case 4:
            return refused + "bad user name or password";
        case 5:
            return refused + "not authorized (wrong user name or password, or not allowed)";
        default:
            break;
    }
    const std::string handshake = "TLS handshake with " + std::string(server) + " failed: ";
    if (trace.host_mismatch) {
        return handshake + "the broker's certificate does not name " + std::string(host_of(server));
    }
    // OpenSSL 3.0 has no name for TLS 1.3's "certificate required" alert (116).
    if (!trace.alert.empty() && trace.alert != "unknown") {
        return "TLS session with " + std::string(server) + " refused by the broker (alert '" +
               trace.alert + "')";
    }
    // TLS 1.3 completes the client's side of the handshake before the broker has looked at the
    // client's certificate; a broker that wants one then sends that alert or, as often, resets
    // the connection before the CONNECT arrives.
    if (trace.handshake_done) {
        std::string closed =
            "TLS session with " + std::string(server) + " closed by the broker after the handshake";
        if (!client_certificate) {
            closed +=
                ": it probably requires a client certificate (set mqtt.tls.cert_file and "
                "key_file)";
        }
        return closed;
    }
    if (const auto reason = diagnose()) return handshake + *reason;
    return e.what();
}

}  // namespace

// Threads: the forwarder thread owns the journal reader and the Paho client calls (connect,
// publish, disconnect); Paho's threads deliver the token and connection-lost callbacks; main
// calls notify() (via the writer thread), stop() and stats(). Everything shared is guarded by
// mutex_, which is never held across a call into Paho (Paho may hold its own lock while it
// calls back into us).
struct forwarder::impl : mqtt::iaction_listener {
    impl(const mqtt_section& cfg, std::string gateway_id, std::string journal_path,
         ack_mailbox& acks, std::string version);
    ~impl() override;

    void run();
    bool connect(std::string& error, bool explain);
    void on_connected();
    // Publishes the retained online status with the current figures; forwarder thread.
    void publish_online_status();
    void subscribe_commands();
    void pump(journal_reader& reader);
    struct message;
    std::vector<message> plan_messages(std::vector<stored_event>& high,
                                       std::vector<stored_event>& normal, std::size_t free,
                                       bool batching);
    bool publish(message& m);
    void new_client();
    void drop_link(std::uint64_t generation, std::string reason);
    void drop_current_link(std::string reason);
    void reset_window();
    // Tells retention (through the mailbox) what is on its way: each lane's read position.
    // Under mutex_.
    void post_sent();
    void wait_before_retry(backoff& delays, journal_reader* reader);
    void confirm_drained(journal_reader& reader);
    // The highest seq that may be published (the journal's durable_seq(), when set).
    std::int64_t publishable() const {
        return durable_ ? durable_() : std::numeric_limits<std::int64_t>::max();
    }
    void farewell();
    mqtt::ssl_options tls_options() const;
    void end_catch_up(std::int64_t delivered);

    // Delivery tokens (Paho's threads).
    void on_success(const mqtt::token& tok) override;
    void on_failure(const mqtt::token& tok) override;

    struct in_flight {
        std::int64_t seq;
        bool done;
    };
    struct lane_state {
        std::int64_t acked = 0;  // every event of the lane up to here was delivered
        std::int64_t read = 0;   // the last seq handed to Paho on this connection
        std::int64_t max_sent = 0;
        std::deque<in_flight> window;  // in seq order
    };
    // One MQTT message: an event, or a batch of one device's readings (their seqs ascending).
    struct message {
        lane l;
        std::string topic;
        std::string payload;
        bool retain;
        std::vector<std::int64_t> seqs;
    };
    struct pending_publish {
        lane l;
        std::vector<std::int64_t> seqs;
    };

    const mqtt_section cfg_;
    const std::string gateway_;
    const std::string journal_path_;
    const std::string version_;
    ack_mailbox& acks_;
    const std::string status_topic_;
    const std::string command_prefix_;  // "<prefix>/<gw>/cmd/"
    command_handler commands_;          // set before start(), then read-only
    status_source status_source_;       // set before start(), then read-only
    durable_source durable_;            // set before start(), then read-only
    const std::size_t window_;
    // Messages worth a read of the normal lane while a backlog remains: a quarter of the window,
    // or a second's worth of the rate limit when that is less (room for a batch per device).
    const std::size_t round_mark_;
    const std::size_t batch_;  // readings per message while catching up (1: no batches)
    // Publishes that wait longer than this for an acknowledgement mean a dead link.
    const std::chrono::steady_clock::duration dead_link_after_;

    mutable std::mutex mutex_;
    std::condition_variable wake_cv_;  // the forwarder thread waits here
    std::condition_variable idle_cv_;  // stop() waits here
    bool wake_ = true;                 // something may be committed that was not read yet
    bool more_ = false;                // the last read filled the window: a backlog remains
    bool link_up_ = false;
    std::string link_error_;
    bool draining_ = false;  // stop() waits for everything to be acknowledged
    bool drained_ = false;
    bool stopping_ = false;
    std::array<lane_state, lane_count> lanes_;
    // Publishes of the current connection by id (the token's user context). Ids are never
    // reused, and the map is emptied when a connection ends, so a late callback from an earlier
    // connection finds nothing and is ignored.
    std::unordered_map<std::uintptr_t, pending_publish> pending_;
    std::uintptr_t next_id_ = 1;
    // Since when pending_ has waited without any acknowledgement.
    std::chrono::steady_clock::time_point awaiting_since_;
    // Paho runs acknowledgements and messages on one thread: while a command handler blocks
    // there (a full ingest channel, a reload swapping the drivers), acknowledgements wait
    // behind it, which says nothing about the link.
    int commands_running_ = 0;
    // One per Paho client, so a connection-lost callback of a client already replaced cannot
    // take down the next connection.
    std::uint64_t generation_ = 0;
    std::int64_t acked_since_connect_ = 0;
    forwarder_stats stats_;
    std::atomic<std::chrono::steady_clock::time_point> progress_{std::chrono::steady_clock::now()};

    // Forwarder thread only: the catch-up after a connect ends at the first idle moment.
    bool catching_up_ = false;
    std::optional<token_bucket> rate_;  // `mqtt.rate_limit`, when set
    bool report_catch_up_ = false;
    std::chrono::steady_clock::time_point connected_at_;
    std::chrono::steady_clock::time_point next_status_;  // the online status is due again

    // Forwarder thread only. Last: destroyed first, so no Paho callback runs into members
    // already gone.
    std::unique_ptr<mqtt::async_client> client_;
    bool client_fresh_ = false;  // not used for a connect attempt yet
    std::thread thread_;
};

forwarder::impl::impl(const mqtt_section& cfg, std::string gateway_id, std::string journal_path,
                      ack_mailbox& acks, std::string version)
    : cfg_(cfg),
      gateway_(std::move(gateway_id)),
      journal_path_(std::move(journal_path)),
      version_(std::move(version)),
      acks_(acks),
      status_topic_(full_topic(cfg_.topic_prefix, gateway_, "status")),
      command_prefix_(full_topic(cfg_.topic_prefix, gateway_, "cmd/")),
      window_(static_cast<std::size_t>(std::max(cfg_.window, 1))),
      round_mark_(
          std::min(std::max<std::size_t>(window_ / 4, 1),
                   cfg_.rate_limit > 0 ? static_cast<std::size_t>(cfg_.rate_limit) : window_)),
      batch_(static_cast<std::size_t>(std::max(cfg_.batch, 1))),
      dead_link_after_(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
          cfg_.keepalive * dead_link_keepalives)) {
    // A second's worth of burst: a full window after an idle moment would be one burst more.
    if (cfg_.rate_limit > 0) rate_.emplace(cfg_.rate_limit, cfg_.rate_limit);
    new_client();
}

forwarder::impl::~impl() = default;

// A fresh Paho client for every connection attempt after the first: nothing queued in the old
// one (a DISCONNECT still pending after a broken connection, say) can reach the new connection.
void forwarder::impl::new_client() {
    client_.reset();
    std::uint64_t generation = 0;
    {
        std::lock_guard lock(mutex_);
        generation = ++generation_;
    }
    // No Paho persistence: the journal is the persistence, and whatever was in flight is sent
    // again from it after a reconnect. Paho refuses a publish (MQTTASYNC_MAX_BUFFERED_MESSAGES)
    // while `maxBufferedMessages` (default 100) publishes wait in its queue, so the limit must
    // sit above our window. Off-line buffering stays off: a publish on a dead connection must
    // fail rather than wait in a client that is about to be replaced.
    mqtt::create_options create(cfg_.version == 5 ? MQTTVERSION_5 : MQTTVERSION_3_1_1);
    create.set_max_buffered_messages(static_cast<int>(2 * window_ + 16));
    create.set_send_while_disconnected(false);
    client_ = std::make_unique<mqtt::async_client>(cfg_.uri, cfg_.client_id, create, nullptr);
    client_fresh_ = true;
    client_->set_connection_lost_handler([this, generation](const std::string& cause) {
        drop_link(generation, cause.empty() ? "connection lost" : "connection lost: " + cause);
    });
    client_->set_message_callback([this, generation](mqtt::const_message_ptr msg) {
        {
            std::lock_guard lock(mutex_);
            if (generation != generation_ || !commands_) return;
        }
        const std::string& topic = msg->get_topic();
        if (!topic.starts_with(command_prefix_)) return;
        // The subscription is cmd/+/+: exactly a device and a point level follow.
        const std::string_view rest = std::string_view(topic).substr(command_prefix_.size());
        const auto slash = rest.find('/');
        if (slash == std::string_view::npos) return;
        {
            std::lock_guard lock(mutex_);
            ++commands_running_;
        }
        commands_(rest.substr(0, slash), rest.substr(slash + 1), msg->get_payload(),
                  msg->is_retained());
        std::lock_guard lock(mutex_);
        --commands_running_;
        awaiting_since_ = std::chrono::steady_clock::now();
    });
    // MQTT 5 brokers may say why they close the connection.
    client_->set_disconnected_handler(
        [this, generation](const mqtt::properties&, mqtt::ReasonCode rc) {
            drop_link(generation,
                      "disconnected by the broker: " + mqtt::exception::reason_code_str(rc));
        });
}

void forwarder::impl::drop_link(std::uint64_t generation, std::string reason) {
    std::lock_guard lock(mutex_);
    if (generation != generation_ || !link_up_) return;
    link_up_ = false;
    link_error_ = std::move(reason);
    wake_cv_.notify_all();
}

void forwarder::impl::drop_current_link(std::string reason) {
    std::uint64_t generation = 0;
    {
        std::lock_guard lock(mutex_);
        generation = generation_;
    }
    drop_link(generation, std::move(reason));
}

void forwarder::impl::on_success(const mqtt::token& tok) {
    const auto id = reinterpret_cast<std::uintptr_t>(tok.get_user_context());
    std::lock_guard lock(mutex_);
    const auto it = pending_.find(id);
    if (it == pending_.end()) return;
    const pending_publish done = std::move(it->second);
    pending_.erase(it);
    awaiting_since_ = std::chrono::steady_clock::now();
    lane_state& ls = lanes_[static_cast<int>(done.l)];
    for (const std::int64_t seq : done.seqs) {
        const auto w =
            std::lower_bound(ls.window.begin(), ls.window.end(), seq,
                             [](const in_flight& f, std::int64_t s) { return f.seq < s; });
        if (w != ls.window.end() && w->seq == seq) w->done = true;
    }
    // The cursor moves only over a contiguous run of deliveries.
    bool advanced = false;
    while (!ls.window.empty() && ls.window.front().done) {
        ls.acked = ls.window.front().seq;
        ls.window.pop_front();
        advanced = true;
    }
    if (advanced) acks_.post(done.l, ls.acked);
    const auto events = static_cast<std::int64_t>(done.seqs.size());
    stats_.published += events;
    acked_since_connect_ += events;
    if (pending_.empty()) {
        // Nothing in flight: look once more, to confirm the journal is drained (catch-up over,
        // or stop() may go on).
        wake_ = true;
        wake_cv_.notify_all();
    } else if (window_ - pending_.size() == round_mark_) {
        wake_cv_.notify_all();
    }
}

void forwarder::impl::on_failure(const mqtt::token& tok) {
    const auto id = reinterpret_cast<std::uintptr_t>(tok.get_user_context());
    const int rc = tok.get_return_code();
    std::lock_guard lock(mutex_);
    // Only publishes of the current connection are in pending_.
    const auto it = pending_.find(id);
    if (it == pending_.end() || !link_up_) return;
    link_up_ = false;
    link_error_ =
        "delivery of seq " + std::to_string(it->second.seqs.front()) + " failed: " +
        mqtt::exception::printable_error(rc, tok.get_reason_code(), mqtt::exception::error_str(rc));
    wake_cv_.notify_all();
}

// Verification on (the default) means both OpenSSL's check of the chain against the trust
// store and Paho's post-handshake check that the certificate names the host of the URI.
// No error handler: Paho would call it through a dangling pointer (forwarder.hpp).
mqtt::ssl_options forwarder::impl::tls_options() const {
    const tls_section& tls = *cfg_.tls;
    mqtt::ssl_options ssl;
    // Without a CA file Paho loads OpenSSL's default verify paths: the system store.
    if (!tls.ca_file.empty()) ssl.set_trust_store(tls.ca_file);
    if (!tls.cert_file.empty()) {
        ssl.set_key_store(tls.cert_file);
        ssl.set_private_key(tls.key_file);
    }
    ssl.set_enable_server_cert_auth(tls.verify);
    ssl.set_verify(tls.verify);
    return ssl;
}

// `explain`: this failure is the one logged (the first of an outage), so a TLS failure of unknown
// cause is worth a probe of a few seconds; a retry never probes, so a dead broker is not probed in
// a loop.
bool forwarder::impl::connect(std::string& error, bool explain) {
    if (!client_fresh_) new_client();
    client_fresh_ = false;
    mqtt::connect_options opts;
    if (cfg_.tls) opts.set_ssl(tls_options());
    if (!cfg_.username.empty()) opts.set_user_name(cfg_.username);
    if (!cfg_.password.empty()) opts.set_password(cfg_.password.reveal());
    opts.set_keep_alive_interval(cfg_.keepalive);
    opts.set_connect_timeout(connect_timeout);
    // Our own reconnect loop decides when and logs how; Paho's would retry behind our back.
    opts.set_automatic_reconnect(false);
    // paho-mqtt-c 1.3.12 stalls about 1 s when its in-flight window is full (DESIGN.md), so
    // ours must never reach it.
    opts.set_max_inflight(static_cast<int>(2 * window_ + 16));
    opts.set_will(
        mqtt::will_options(status_topic_, status_json("offline", gateway_, nullptr), 1, true));
    // A clean session: the broker's copy of our in-flight messages is worthless to us, since
    // everything unacknowledged is re-sent from the journal anyway. The version is always named:
    // with Paho's default (3.1.1, then 3.1) paho-mqtt-c 1.3.12 may call a failed connect's
    // onFailure twice, the second time on a token already freed (eclipse-paho/paho.mqtt.c#1341).
    if (cfg_.version == 5) {
        opts.set_mqtt_version(MQTTVERSION_5);
        opts.set_clean_start(true);
    } else {
        opts.set_clean_session(true);
        opts.set_mqtt_version(MQTTVERSION_3_1_1);
    }
    std::optional<tls_trace::scope> tracing;
    if (cfg_.tls) tracing.emplace();
    try {
        const auto tok = client_->connect(opts);
        while (!tok->wait_for(connect_poll)) {
            progress_ = std::chrono::steady_clock::now();
            std::lock_guard lock(mutex_);
            if (stopping_) {
                error = "stopped while connecting";
                return false;
            }
        }
        return true;
    } catch (const mqtt::exception& e) {
        const auto trace = cfg_.tls ? tls_trace::take() : tls_trace::seen{};
        const std::string_view server = server_of(cfg_.uri);
        // With verify off, verification cannot be the cause; a broker that refused the TCP
        // connect (or a host that does not resolve) is not worth a probe either.
        const bool probe = explain && cfg_.tls && cfg_.tls->verify && trace.tls_began;
        const handshake_diagnosis diagnose = [&]() -> std::optional<std::string> {
            if (!probe) return std::nullopt;
            progress_ = std::chrono::steady_clock::now();
            return tls_handshake_failure(server, *cfg_.tls, tls_probe_timeout);
        };
        error =
            connect_failure(e, server, trace, cfg_.tls && !cfg_.tls->cert_file.empty(), diagnose);
        return false;
    }
}

void forwarder::impl::reset_window() {
    pending_.clear();
    for (auto& ls : lanes_) {
        ls.window.clear();
        ls.read = ls.acked;
    }
    more_ = false;
    post_sent();
}

void forwarder::impl::post_sent() {
    for (int l = 0; l < lane_count; ++l) acks_.post_sent(static_cast<lane>(l), lanes_[l].read);
}

void forwarder::impl::on_connected() {
    {
        std::lock_guard lock(mutex_);
        reset_window();
        link_up_ = true;
        link_error_.clear();
        wake_ = true;
        acked_since_connect_ = 0;
        stats_.connected = true;
        stats_.connected_since = wall_clock::now();
    }
    if (commands_) subscribe_commands();
    publish_online_status();
}

// Not waited for: a status lost with the connection is published again at the next connect.
void forwarder::impl::publish_online_status() {
    next_status_ = std::chrono::steady_clock::now() + cfg_.status_interval;
    std::optional<status_figures> figures;
    if (status_source_) figures = status_source_();
    std::string payload;
    {
        std::lock_guard lock(mutex_);
        const online_details online{version_, stats_.connected_since.value_or(wall_clock::now()),
                                    stats_.published, std::move(figures)};
        payload = status_json("online", gateway_, &online);
    }
    try {
        client_->publish(status_topic_, payload, 1, true);
    } catch (const mqtt::exception& e) {
        drop_current_link(std::string("publishing the online status failed: ") + e.what());
    }
}

// Commands are not persisted for us across connections (a clean session): one sent while the
// gateway was away is gone, which is what a relay should do with a stale order anyway.
void forwarder::impl::subscribe_commands() {
    const std::string filter = command_prefix_ + "+/+";
    try {
        const auto tok = client_->subscribe(filter, 1);
        if (!tok->wait_for(connect_timeout)) {
            spdlog::error("mqtt: no answer to the subscription to {}; commands are not received",
                          filter);
        }
    } catch (const mqtt::exception& e) {
        spdlog::error("mqtt: subscribing to {} failed: {}; commands are not received", filter,
                      e.what());
    }
}

// The messages of one round, at most `free`: the high lane's events one by one, then the normal
// lane's. While `batching` (catching up: the normal lane's read came back full, more waits
// behind it) each device's readings go `batch_` to a message, a JSON array of their payloads on
// "<prefix>/<gw>/batch/<device>"; at the head of the journal every reading goes alone. Events
// that would need a message beyond `free` are left for the next round, so the messages cover a
// prefix of each lane's read (the window tracks seqs in order). Forwarder thread.
std::vector<forwarder::impl::message> forwarder::impl::plan_messages(
    std::vector<stored_event>& high, std::vector<stored_event>& normal, std::size_t free,
    bool batching) {
    std::vector<message> out;
    const auto single = [&](stored_event& se) {
        out.push_back({se.ev.lane,
                       full_topic(cfg_.topic_prefix, gateway_, se.ev.topic),
                       finalize_payload(se.seq, gateway_, se.ev.body),
                       se.ev.retain,
                       {se.seq}});
    };
    for (auto& se : high) single(se);
    const std::size_t left = free - high.size();
    // The message of each device whose batch still has room, by index into `out`.
    std::unordered_map<std::string_view, std::size_t> open;
    std::vector<std::size_t> batches;
    std::size_t used = 0;
    std::size_t taken = 0;
    for (auto& se : normal) {
        std::string_view device;
        constexpr std::string_view data = "data/";  // a reading's topic: data/<device>/<point>
        if (batching && se.ev.kind == event_kind::reading && se.ev.topic.starts_with(data)) {
            device = std::string_view(se.ev.topic).substr(data.size());
            device = device.substr(0, device.find('/'));
            if (const auto it = open.find(device); it != open.end()) {
                message& m = out[it->second];
                m.payload += ',';
                m.payload += finalize_payload(se.seq, gateway_, se.ev.body);
                m.seqs.push_back(se.seq);
                if (m.seqs.size() == batch_) open.erase(it);
                ++taken;
                continue;
            }
        }
        if (used == left) break;
        ++used;
        ++taken;
        if (device.empty()) {
            single(se);
            continue;
        }
        open.emplace(device, out.size());
        batches.push_back(out.size());
        out.push_back({se.ev.lane,
                       full_topic(cfg_.topic_prefix, gateway_, "batch/" + std::string(device)),
                       "[" + finalize_payload(se.seq, gateway_, se.ev.body),
                       false,
                       {se.seq}});
    }
    normal.resize(taken);
    for (const std::size_t b : batches) out[b].payload += ']';
    return out;
}

// Registers the message's seqs as in flight and hands it to Paho; false when the link is down.
bool forwarder::impl::publish(message& m) {
    auto msg = mqtt::make_message(std::move(m.topic), std::move(m.payload), cfg_.qos, m.retain);
    std::uintptr_t id = 0;
    {
        std::lock_guard lock(mutex_);
        if (!link_up_) return false;
        // Registered before Paho has it: its callback may run before publish() returns.
        id = next_id_++;
        if (pending_.empty()) awaiting_since_ = std::chrono::steady_clock::now();
        pending_.emplace(id, pending_publish{m.l, std::move(m.seqs)});
    }
    try {
        client_->publish(std::move(msg), reinterpret_cast<void*>(id), *this);
        return true;
    } catch (const mqtt::exception& e) {
        drop_current_link(std::string("publish failed: ") + e.what());
        return false;
    }
}

// Keeps the window full while the link is up and the rate limit allows: high lane first, then
// the normal lane, each from where this connection has read so far. Returns when the link is
// down (or presumed dead: publishes without any acknowledgement for 1.5 x keep-alive) or stop()
// is final.
void forwarder::impl::pump(journal_reader& reader) {
    while (true) {
        auto now = std::chrono::steady_clock::now();
        progress_ = now;
        if (now >= next_status_) publish_online_status();
        // Messages the rate limit allows now.
        std::size_t allowed = window_;
        if (rate_) allowed = std::min(allowed, static_cast<std::size_t>(rate_->available(now)));
        std::size_t free = 0;
        bool normal_too = true;
        std::array<std::int64_t, lane_count> from{};
        {
            std::unique_lock lock(mutex_);
            auto until = std::min(now + idle_poll, next_status_);
            if (link_up_ && !pending_.empty() && commands_running_ == 0) {
                const auto deadline = awaiting_since_ + dead_link_after_;
                if (now >= deadline) {
                    link_up_ = false;
                    link_error_ = fmt::format(
                        "no acknowledgement for {:.1f} s ({} x mqtt.keepalive): the link is "
                        "presumed dead",
                        seconds_f(now - awaiting_since_).count(), dead_link_keepalives);
                    return;
                }
                until = std::min(until, deadline);
            }
            // While a backlog remains, only round_mark_ free messages are worth a read of the
            // normal lane (a batch per device needs room); fewer serve the high lane alone, so
            // an alert committed meanwhile still overtakes the backlog at once. Without a
            // backlog only a commit (wake_) is worth a read: an idle forwarder sleeps.
            const std::size_t mark = more_ ? round_mark_ : 1;
            if (rate_ && allowed < mark) until = std::min(until, rate_->ready_at(now, mark));
            const auto slots = [&] { return std::min(window_ - pending_.size(), allowed); };
            const auto ready = [&] {
                const std::size_t n = slots();
                return stopping_ || !link_up_ || (n > 0 && (wake_ || (more_ && n >= mark)));
            };
            if (!wake_cv_.wait_until(lock, until, ready)) {
                // A safety net, tokens or a status that came due, a deadline to check: look
                // again.
                wake_ = true;
                continue;
            }
            if (stopping_ || !link_up_) return;
            now = std::chrono::steady_clock::now();
            free = slots();
            normal_too = free >= mark;
            wake_ = false;
            for (int l = 0; l < lane_count; ++l) from[l] = lanes_[l].read;
        }

        // The journal is read outside the lock: acks keep flowing meanwhile. Retention removes
        // no undelivered row from here until the rows read are posted sent (ack_mailbox).
        std::unique_lock in_transit(acks_.transit());
        const std::int64_t through = publishable();
        auto high = reader.read_after(lane::high, from[0], static_cast<int>(free), through);
        std::vector<stored_event> normal;
        std::size_t normal_limit = 0;
        if (normal_too && high.size() < free) {
            normal_limit = std::min((free - high.size()) * batch_, max_read_rows);
            normal =
                reader.read_after(lane::normal, from[1], static_cast<int>(normal_limit), through);
        }
        // On their way from here (what is read but does not fit is next anyway); the exact
        // positions follow with the window below.
        if (!high.empty()) acks_.post_sent(lane::high, high.back().seq);
        if (!normal.empty()) acks_.post_sent(lane::normal, normal.back().seq);
        in_transit.unlock();
        // More waits behind a read that came back full.
        const bool behind = normal_limit > 0 && normal.size() == normal_limit;
        const std::size_t read = high.size() + normal.size();
        auto messages = plan_messages(high, normal, free, behind && batch_ > 1);
        if (rate_) rate_->take(now, static_cast<std::int64_t>(messages.size()));
        bool idle = false;
        std::int64_t delivered = 0;
        {
            std::lock_guard lock(mutex_);
            more_ = high.size() == free || behind || high.size() + normal.size() < read ||
                    (!normal_too && more_);
            idle = messages.empty() && pending_.empty() && !more_;
            if (idle) {
                // Everything publishable (committed, durable) is acknowledged.
                if (draining_ && !drained_) {
                    drained_ = true;
                    idle_cv_.notify_all();
                }
                delivered = acked_since_connect_;
            }
            // In flight in seq order per lane, whatever message carries each.
            for (const auto* events : {&high, &normal}) {
                for (const auto& se : *events) {
                    lane_state& ls = lanes_[static_cast<int>(se.ev.lane)];
                    ls.window.push_back({se.seq, false});
                    ls.read = se.seq;
                    if (se.seq <= ls.max_sent) {
                        ++stats_.resent;
                    } else {
                        ls.max_sent = se.seq;
                    }
                }
            }
            post_sent();
        }
        if (idle && catching_up_) end_catch_up(delivered);
        for (auto& m : messages) {
            if (!publish(m)) return;
        }
    }
}

// While disconnected: waits out the delay, which stop() may cut short; and once nothing is left
// to deliver, stop() need not wait for a broker that may never come back.
void forwarder::impl::wait_before_retry(backoff& delays, journal_reader* reader) {
    const auto until = std::chrono::steady_clock::now() + delays.next();
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        progress_ = std::chrono::steady_clock::now();
        if (draining_ && !drained_ && reader != nullptr) {
            lock.unlock();
            confirm_drained(*reader);
            lock.lock();
        }
        const auto now = std::chrono::steady_clock::now();
        if (now >= until) return;
        // Wake every poll even in a long delay: while draining to look at the journal again,
        // always to show the watchdog this thread is alive. Otherwise only stop() (or the start
        // of a drain) interrupts the delay.
        const bool was_draining = draining_;
        const auto next = std::min(until, now + idle_poll);
        wake_cv_.wait_until(lock, next, [&] { return stopping_ || draining_ != was_draining; });
    }
}

void forwarder::impl::confirm_drained(journal_reader& reader) {
    std::array<std::int64_t, lane_count> acked{};
    {
        std::lock_guard lock(mutex_);
        for (int l = 0; l < lane_count; ++l) acked[l] = lanes_[l].acked;
    }
    const std::int64_t through = publishable();
    for (int l = 0; l < lane_count; ++l) {
        if (!reader.read_after(static_cast<lane>(l), acked[l], 1, through).empty()) return;
    }
    std::lock_guard lock(mutex_);
    drained_ = true;
    idle_cv_.notify_all();
}

// The first idle moment after a connect ends the catch-up. It is reported when it delivered
// something after an outage, or more than a window's worth after a routine start.
void forwarder::impl::end_catch_up(std::int64_t delivered) {
    catching_up_ = false;
    if (delivered == 0) return;
    if (!report_catch_up_ && delivered <= static_cast<std::int64_t>(window_)) return;
    spdlog::info("mqtt: caught up: {} events in {:.1f} s", delivered,
                 seconds_f(std::chrono::steady_clock::now() - connected_at_).count());
}

void forwarder::impl::farewell() {
    try {
        if (!client_->is_connected()) return;
        client_->publish(status_topic_, status_json("offline", gateway_, nullptr), 1, true)
            ->wait_for(farewell_timeout);
        client_->disconnect()->wait_for(farewell_timeout);
        spdlog::info("mqtt: offline status published; disconnected");
    } catch (const mqtt::exception& e) {
        spdlog::warn("mqtt: clean disconnect failed: {}", e.what());
    }
}

void forwarder::impl::run() {
    backoff delays(cfg_.reconnect.min, cfg_.reconnect.max);
    std::optional<journal_reader> reader;
    bool ever_connected = false;
    // An outage is logged once when it starts and once when it ends, not per attempt.
    bool in_outage = false;
    auto outage_start = std::chrono::steady_clock::now();
    int attempts = 0;
    const auto start_outage = [&](const std::string& why, const char* what) {
        if (in_outage) return;
        in_outage = true;
        outage_start = std::chrono::steady_clock::now();
        attempts = 0;
        spdlog::warn("mqtt: {}: {}; retrying", what, why);
    };
    const auto drop_connection = [&] {
        try {
            if (client_->is_connected()) client_->disconnect(0)->wait_for(farewell_timeout);
        } catch (const mqtt::exception&) {
            // Already gone: that is what we are recovering from.
        }
    };

    while (true) {
        progress_ = std::chrono::steady_clock::now();
        {
            std::lock_guard lock(mutex_);
            if (stopping_) break;
        }
        try {
            if (!reader) {
                reader.emplace(journal_path_);
                std::lock_guard lock(mutex_);
                for (int l = 0; l < lane_count; ++l) {
                    auto& ls = lanes_[l];
                    const auto persisted = reader->cursor(forwarder_cursor, static_cast<lane>(l));
                    ls.acked = std::max({ls.acked, persisted, acks_.get(static_cast<lane>(l))});
                    ls.read = ls.acked;
                }
                post_sent();
            }
            std::string error;
            ++attempts;
            // Only the first failure of an outage is logged, so only it is explained.
            if (!connect(error, !in_outage)) {
                start_outage(error, "cannot connect to the broker");
                wait_before_retry(delays, &*reader);
                continue;
            }
            if (!ever_connected) {
                spdlog::info("mqtt: connected to {} as {} ({})", cfg_.uri, cfg_.client_id,
                             protocol_name(cfg_.version));
            } else {
                spdlog::info("mqtt: reconnected to {} after {:.1f} s ({} attempts)", cfg_.uri,
                             seconds_f(std::chrono::steady_clock::now() - outage_start).count(),
                             attempts);
            }
            catching_up_ = true;
            report_catch_up_ = in_outage;
            connected_at_ = std::chrono::steady_clock::now();
            if (ever_connected) {
                std::lock_guard lock(mutex_);
                ++stats_.reconnects;
            }
            ever_connected = true;
            in_outage = false;
            on_connected();

            pump(*reader);

            std::string why;
            {
                std::lock_guard lock(mutex_);
                stats_.connected = false;
                stats_.connected_since.reset();
                link_up_ = false;
                if (stopping_) break;
                why = link_error_;
                // Only a connection that delivered something, or lasted, resets the backoff:
                // one the broker accepts and then drops at the first publish (an ACL refusing
                // the topic, say) is retried ever more slowly, not in a tight loop.
                if (acked_since_connect_ > 0 ||
                    std::chrono::steady_clock::now() - connected_at_ >= cfg_.reconnect.max) {
                    delays.reset();
                }
                // Whatever is unacknowledged is read again on the next connection; callbacks
                // still due for this one find nothing.
                reset_window();
            }
            start_outage(why, "connection to the broker lost");
            drop_connection();
        } catch (const std::exception& e) {
            // A journal error, or anything else: never leave the thread; reopen and retry.
            {
                std::lock_guard lock(mutex_);
                stats_.connected = false;
                stats_.connected_since.reset();
                link_up_ = false;
                reset_window();
            }
            start_outage(e.what(), "forwarder error");
            reader.reset();
            drop_connection();
            wait_before_retry(delays, nullptr);
        }
    }
    farewell();
}

forwarder::forwarder(const mqtt_section& mqtt, std::string gateway_id, std::string journal_path,
                     ack_mailbox& acks, std::string version)
    : impl_(std::make_unique<impl>(mqtt, std::move(gateway_id), std::move(journal_path), acks,
                                   std::move(version))) {}

forwarder::~forwarder() { stop(std::chrono::milliseconds(0)); }

void forwarder::start() {
    for (const auto& w : impl_->cfg_.warnings) spdlog::warn("mqtt: {}", w);
    impl_->thread_ = std::thread([this] {
        try {
            impl_->run();
        } catch (const std::exception& e) {
            spdlog::critical("mqtt: forwarder thread ended: {}", e.what());
        }
    });
}

void forwarder::notify() {
    std::lock_guard lock(impl_->mutex_);
    impl_->wake_ = true;
    impl_->wake_cv_.notify_all();
}

void forwarder::stop(std::chrono::milliseconds grace) {
    auto& m = *impl_;
    if (!m.thread_.joinable()) return;
    {
        std::unique_lock lock(m.mutex_);
        m.draining_ = true;
        m.drained_ = false;
        m.wake_ = true;
        m.wake_cv_.notify_all();
        if (!m.idle_cv_.wait_for(lock, grace, [&] { return m.drained_; })) {
            spdlog::warn(
                "mqtt: stopping before everything was acknowledged ({} ms grace); the rest stays "
                "in the journal and is sent after the next start",
                grace.count());
        }
        m.stopping_ = true;
        m.wake_cv_.notify_all();
    }
    m.thread_.join();
}

void forwarder::on_commands(command_handler handler) {
    std::lock_guard lock(impl_->mutex_);
    impl_->commands_ = std::move(handler);
}

void forwarder::on_status(status_source source) { impl_->status_source_ = std::move(source); }

void forwarder::publish_durable(durable_source source) { impl_->durable_ = std::move(source); }

forwarder_stats forwarder::stats() const {
    std::lock_guard lock(impl_->mutex_);
    return impl_->stats_;
}

std::chrono::steady_clock::time_point forwarder::last_progress() const {
    return impl_->progress_.load();
}

}  // namespace edgegate
