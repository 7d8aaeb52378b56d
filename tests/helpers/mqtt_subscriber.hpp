#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace mqtt {
class async_client;
class connect_options;
class iaction_listener;
class token;
}  // namespace mqtt

namespace edgegate::test {

// A real MQTT subscriber for integration tests: Paho async client, QoS 1, a persistent session
// (clean_session=false, fixed client id) so QoS 1 messages queued while it was cut off arrive
// after it reconnects. It reconnects by itself (a broker killed and restarted on the same port)
// and subscribes again on every connect in case the broker lost the session. It collects every
// message. The constructor connects (10 s at most, else throws). Accessors: any thread.
// Reconnecting is its own loop (every 100 ms) rather than Paho's, whose retry intervals are
// whole seconds and would make every broker-restart test seconds slower.
class mqtt_subscriber {
  public:
    struct message {
        std::string topic;
        std::string payload;
        bool retained = false;
        // When on_message ran: delivery gaps during an outage are measured from these.
        std::chrono::steady_clock::time_point received{};
    };

    mqtt_subscriber(std::string uri, std::string topic_filter,
                    std::string client_id = "edgegate-test-sub");
    ~mqtt_subscriber();
    mqtt_subscriber(const mqtt_subscriber&) = delete;
    mqtt_subscriber& operator=(const mqtt_subscriber&) = delete;

    std::size_t count() const;
    std::vector<message> messages() const;
    // Waits until count() >= n or `deadline` passed; returns whether it got there.
    bool wait_for_count(std::size_t n, std::chrono::milliseconds deadline) const;
    // The "seq" member of every JSON payload that has one, and of every element of a JSON array
    // payload (a batch) -> how many times it was received.
    std::map<std::int64_t, int> seq_counts() const;
    // Connected and subscribed (the broker confirmed the subscription).
    bool connected() const { return connected_.load(); }

  private:
    void on_message(std::string topic, std::string payload, bool retained);
    void reconnect_loop();

    std::string uri_;
    std::string topic_filter_;
    std::atomic<bool> connected_{false};
    std::unique_ptr<mqtt::iaction_listener> subscribed_;
    std::unique_ptr<mqtt::connect_options> options_;
    // Every connect's token, kept until the client is gone: Paho C++ 1.2.0 signals a token's
    // waiters before it is done with the token (token::on_failure unlocks, then notifies and
    // calls remove_token), so one freed when the next connect replaces it can still be in use
    // on Paho's thread. Constructor, then the reconnect thread.
    std::vector<std::shared_ptr<mqtt::token>> connect_tokens_;
    std::unique_ptr<mqtt::async_client> client_;

    std::mutex link_mutex_;
    std::condition_variable link_cv_;
    bool lost_ = false;
    bool stopping_ = false;
    std::thread reconnector_;

    mutable std::mutex mutex_;
    std::vector<message> messages_;
    std::vector<std::int64_t> seqs_;
};

}  // namespace edgegate::test
