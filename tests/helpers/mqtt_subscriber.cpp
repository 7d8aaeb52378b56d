#include "tests/helpers/mqtt_subscriber.hpp"

#include <mqtt/async_client.h>
#include <rapidjson/document.h>

#include <stdexcept>
#include <vector>

#include "tests/helpers/wait.hpp"

namespace edgegate::test {
namespace {

constexpr auto connect_deadline = std::chrono::seconds(10);
constexpr auto retry_interval = std::chrono::milliseconds(100);

// The "seq" of a payload: a top-level integer "seq" of an object, or those of the objects of an
// array (a batch of readings).
std::vector<std::int64_t> seqs_of(const std::string& payload) {
    rapidjson::Document doc;
    doc.Parse<rapidjson::kParseStopWhenDoneFlag>(payload.data(), payload.size());
    std::vector<std::int64_t> out;
    if (doc.HasParseError()) return out;
    const auto take = [&](const rapidjson::Value& v) {
        if (v.IsObject() && v.HasMember("seq") && v["seq"].IsInt64()) {
            out.push_back(v["seq"].GetInt64());
        }
    };
    if (doc.IsArray()) {
        for (const auto& element : doc.GetArray()) take(element);
    } else {
        take(doc);
    }
    return out;
}

// Marks the subscriber connected once the broker has confirmed the subscription, so a test that
// publishes right after construction cannot race the SUBSCRIBE.
class subscribe_listener : public mqtt::iaction_listener {
  public:
    explicit subscribe_listener(std::atomic<bool>& connected) : connected_(connected) {}
    void on_success(const mqtt::token&) override { connected_ = true; }
    void on_failure(const mqtt::token&) override {}

  private:
    std::atomic<bool>& connected_;
};

}  // namespace

mqtt_subscriber::mqtt_subscriber(std::string uri, std::string topic_filter, std::string client_id)
    : uri_(std::move(uri)),
      topic_filter_(std::move(topic_filter)),
      subscribed_(std::make_unique<subscribe_listener>(connected_)),
      options_(
          // MQTT 3.1.1 named, never Paho's default "3.1.1, then 3.1": Paho C 1.3.12 calls a
          // failed connect's onFailure once per version tried (eclipse-paho/paho.mqtt.c#1341),
          // the second time on a token the retry loop has already freed.
          std::make_unique<mqtt::connect_options>(mqtt::connect_options_builder()
                                                      .mqtt_version(MQTTVERSION_3_1_1)
                                                      .clean_session(false)
                                                      .keep_alive_interval(std::chrono::seconds(5))
                                                      .connect_timeout(std::chrono::seconds(2))
                                                      .finalize())),
      client_(std::make_unique<mqtt::async_client>(uri_, client_id, nullptr)) {
    // Every connect, first or not: the broker may have lost the session (no persistence, or
    // killed before its autosave).
    client_->set_connected_handler([this](const std::string&) {
        try {
            client_->subscribe(topic_filter_, 1, nullptr, *subscribed_);
        } catch (const mqtt::exception&) {
            // The connection dropped again; the next connect subscribes.
        }
    });
    client_->set_connection_lost_handler([this](const std::string&) {
        connected_ = false;
        std::lock_guard lock(link_mutex_);
        lost_ = true;
        link_cv_.notify_all();
    });
    client_->set_message_callback([this](mqtt::const_message_ptr m) {
        on_message(m->get_topic(), m->to_string(), m->is_retained());
    });

    // The broker is normally up already; retrying covers one that is still starting.
    const auto end = std::chrono::steady_clock::now() + connect_deadline;
    while (true) {
        try {
            connect_tokens_.push_back(client_->connect(*options_));
            connect_tokens_.back()->wait();
            break;
        } catch (const mqtt::exception& e) {
            if (std::chrono::steady_clock::now() >= end) {
                throw std::runtime_error("mqtt_subscriber: cannot connect to " + uri_ + ": " +
                                         e.what());
            }
        }
        std::this_thread::sleep_for(retry_interval);
    }
    if (!wait_until([&] { return connected_.load(); }, connect_deadline)) {
        throw std::runtime_error("mqtt_subscriber: no subscription on " + uri_);
    }
    reconnector_ = std::thread([this] { reconnect_loop(); });
}

mqtt_subscriber::~mqtt_subscriber() {
    {
        std::lock_guard lock(link_mutex_);
        stopping_ = true;
        link_cv_.notify_all();
    }
    reconnector_.join();
    try {
        if (client_->is_connected()) client_->disconnect(std::chrono::seconds(1))->wait();
    } catch (const mqtt::exception&) {
        // The broker may already be gone; nothing is left to clean up then.
    }
    // Destroying the client stops its callbacks before the members they use (and the tokens)
    // go away.
    client_.reset();
    connect_tokens_.clear();
}

void mqtt_subscriber::reconnect_loop() {
    std::unique_lock lock(link_mutex_);
    while (true) {
        link_cv_.wait(lock, [&] { return lost_ || stopping_; });
        if (stopping_) return;
        lock.unlock();
        bool ok = false;
        try {
            // Bounded by the connect timeout; a closed port fails at once.
            connect_tokens_.push_back(client_->connect(*options_));
            connect_tokens_.back()->wait();
            ok = true;
        } catch (const mqtt::exception&) {
            // Still down; try again shortly.
        }
        lock.lock();
        if (ok) {
            lost_ = false;
        } else {
            link_cv_.wait_for(lock, retry_interval, [&] { return stopping_; });
        }
    }
}

void mqtt_subscriber::on_message(std::string topic, std::string payload, bool retained) {
    const auto seqs = seqs_of(payload);
    std::lock_guard lock(mutex_);
    messages_.push_back(
        {std::move(topic), std::move(payload), retained, std::chrono::steady_clock::now()});
    seqs_.insert(seqs_.end(), seqs.begin(), seqs.end());
}

std::size_t mqtt_subscriber::count() const {
    std::lock_guard lock(mutex_);
    return messages_.size();
}

std::vector<mqtt_subscriber::message> mqtt_subscriber::messages() const {
    std::lock_guard lock(mutex_);
    return messages_;
}

bool mqtt_subscriber::wait_for_count(std::size_t n, std::chrono::milliseconds deadline) const {
    return wait_until([&] { return count() >= n; }, deadline);
}

std::map<std::int64_t, int> mqtt_subscriber::seq_counts() const {
    std::vector<std::int64_t> seqs;
    {
        std::lock_guard lock(mutex_);
        seqs = seqs_;
    }
    std::map<std::int64_t, int> counts;
    for (const auto s : seqs) ++counts[s];
    return counts;
}

}  // namespace edgegate::test
