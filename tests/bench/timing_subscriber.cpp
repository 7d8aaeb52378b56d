#include "tests/bench/timing_subscriber.hpp"

#include <mqtt/async_client.h>
#include <rapidjson/document.h>

#include <optional>
#include <stdexcept>

namespace edgegate::bench {
namespace {

std::optional<std::int64_t> value_of(const std::string& payload) {
    rapidjson::Document doc;
    doc.Parse(payload.data(), payload.size());
    if (doc.HasParseError() || !doc.IsObject()) return std::nullopt;
    // HasMember rather than FindMember() == MemberEnd(): clang 14 in C++20 rejects RapidJSON's
    // iterator comparison as ambiguous (-Wambiguous-reversed-operator).
    if (!doc.HasMember("value") || !doc["value"].IsInt64()) return std::nullopt;
    return doc["value"].GetInt64();
}

}  // namespace

timing_subscriber::timing_subscriber(const std::string& uri, const std::string& topic_filter)
    : client_(std::make_unique<mqtt::async_client>(uri, "edgegate-bench-timing", nullptr)) {
    client_->set_message_callback([this](mqtt::const_message_ptr m) {
        // The arrival time is taken first, before any parsing, so it is the time Paho handed
        // the message over.
        const auto at = std::chrono::steady_clock::now();
        const auto v = value_of(m->to_string());
        if (!v) {
            ++unparsed_;
            return;
        }
        {
            std::lock_guard lock(mutex_);
            arrivals_.push_back({*v, at});
        }
        ++count_;
    });
    const auto opts = mqtt::connect_options_builder()
                          .clean_session(true)
                          .keep_alive_interval(std::chrono::seconds(30))
                          .connect_timeout(std::chrono::seconds(10))
                          .finalize();
    client_->connect(opts)->wait_for(std::chrono::seconds(10));
    if (!client_->is_connected()) throw std::runtime_error("timing_subscriber: no connection");
    if (!client_->subscribe(topic_filter, 1)->wait_for(std::chrono::seconds(10))) {
        throw std::runtime_error("timing_subscriber: no subscription");
    }
}

timing_subscriber::~timing_subscriber() {
    try {
        if (client_->is_connected()) client_->disconnect(std::chrono::seconds(1))->wait();
    } catch (const mqtt::exception&) {
        // A broker already gone leaves nothing to disconnect from.
    }
    client_.reset();
}

std::vector<timing_subscriber::arrival> timing_subscriber::arrivals() const {
    std::lock_guard lock(mutex_);
    return arrivals_;
}

}  // namespace edgegate::bench
