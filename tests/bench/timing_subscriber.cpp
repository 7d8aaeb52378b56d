#include "tests/bench/timing_subscriber.hpp"

#include <mqtt/async_client.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

namespace edgegate::bench {

timing_subscriber::timing_subscriber(const std::string& uri, const std::string& topic_filter,
                                     const std::string& client_id)
    : client_(std::make_unique<mqtt::async_client>(uri, client_id, nullptr)) {
    client_->set_message_callback([this](mqtt::const_message_ptr m) {
        // The arrival time is taken first, before any parsing, so it is the time Paho handed
        // the message over.
        arrival a{NAN, 0, std::chrono::steady_clock::now()};
        const auto& payload = m->get_payload_ref();
        rapidjson::Document doc;
        doc.Parse(payload.data(), payload.size());
        std::vector<std::int64_t> seqs;
        // HasMember rather than FindMember() == MemberEnd(): clang 14 in C++20 rejects
        // RapidJSON's iterator comparison as ambiguous (-Wambiguous-reversed-operator).
        const auto take = [&](const rapidjson::Value& v) {
            if (!v.IsObject()) return;
            if (v.HasMember("value") && v["value"].IsNumber()) a.value = v["value"].GetDouble();
            if (v.HasMember("seq") && v["seq"].IsInt64()) {
                a.seq = v["seq"].GetInt64();
                seqs.push_back(a.seq);
            }
        };
        if (!doc.HasParseError()) {
            if (doc.IsArray()) {
                for (const auto& element : doc.GetArray()) take(element);
            } else {
                take(doc);
            }
        }
        {
            std::lock_guard lock(mutex_);
            arrivals_.push_back(a);
            for (const auto seq : seqs) {
                if (seq > 0) note_seq(seq);
            }
        }
        ++count_;
    });
    // MQTT 3.1.1 named, as in tests/helpers/mqtt_subscriber.cpp (Paho C's version fallback).
    const auto opts = mqtt::connect_options_builder()
                          .mqtt_version(MQTTVERSION_3_1_1)
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

void timing_subscriber::note_seq(std::int64_t seq) {
    const auto i = static_cast<std::size_t>(seq);
    if (i >= seen_.size()) seen_.resize(std::max(i + 1, 2 * seen_.size()), false);
    if (seen_[i]) {
        ++duplicates_;
        return;
    }
    seen_[i] = true;
    auto p = static_cast<std::size_t>(prefix_.load());
    while (p + 1 < seen_.size() && seen_[p + 1]) ++p;
    prefix_.store(static_cast<std::int64_t>(p));
}

std::int64_t timing_subscriber::duplicates() const {
    std::lock_guard lock(mutex_);
    return duplicates_;
}

std::vector<timing_subscriber::arrival> timing_subscriber::arrivals() const {
    std::lock_guard lock(mutex_);
    return arrivals_;
}

}  // namespace edgegate::bench
