#include "tests/bench/bare_publisher.hpp"

#include <mqtt/async_client.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>

namespace edgegate::bench {
namespace {

// Counts completed delivery tokens and lets the publishing loop wait for room in its window,
// the same flow control the forwarder has, minus the journal.
class window_listener : public mqtt::iaction_listener {
  public:
    void on_success(const mqtt::token&) override { done(true); }
    void on_failure(const mqtt::token&) override { done(false); }

    void acquire(int window) {
        std::unique_lock lock(mutex_);
        room_.wait(lock, [&] { return in_flight_ < window; });
        ++in_flight_;
    }
    void release_unsent() {
        std::lock_guard lock(mutex_);
        --in_flight_;
    }
    void wait_all() {
        std::unique_lock lock(mutex_);
        room_.wait(lock, [&] { return in_flight_ == 0; });
    }
    bare_publish_result result() {
        std::lock_guard lock(mutex_);
        return result_;
    }

  private:
    void done(bool ok) {
        {
            std::lock_guard lock(mutex_);
            --in_flight_;
            ++(ok ? result_.succeeded : result_.failed);
        }
        room_.notify_all();
    }

    std::mutex mutex_;
    std::condition_variable room_;
    int in_flight_ = 0;
    bare_publish_result result_;
};

}  // namespace

bare_publish_result bare_publish(const std::string& uri, const std::vector<mqtt_message>& messages,
                                 int window) {
    // No Paho persistence, MQTT 3.1.1, clean session: as the forwarder connects (its journal is
    // its persistence). Paho's own in-flight limit stays above the window so the
    // paho-mqtt-c 1.3.12 full-window stall (DESIGN.md) is not what gets measured. Paho also
    // refuses a publish (MQTTASYNC_MAX_BUFFERED_MESSAGES) while more than maxBufferedMessages
    // (default 100) publishes wait in its command queue, connected or not, so a window
    // published at once needs that limit above the window too.
    const int paho_limit = 2 * window + 16;
    // The listener outlives the client, whose destructor is what stops Paho's callbacks.
    window_listener listener;
    mqtt::async_client client(uri, "edgegate-bench-bare",
                              mqtt::create_options(MQTTVERSION_3_1_1, paho_limit), nullptr);
    const auto opts = mqtt::connect_options_builder()
                          .mqtt_version(MQTTVERSION_3_1_1)
                          .clean_session(true)
                          .keep_alive_interval(std::chrono::seconds(30))
                          .connect_timeout(std::chrono::seconds(5))
                          .max_inflight(paho_limit)
                          .finalize();
    client.connect(opts)->wait();
    const auto connected_at = std::chrono::steady_clock::now();

    for (const auto& m : messages) {
        listener.acquire(window);
        try {
            client.publish(m.topic, m.payload.data(), m.payload.size(), 1, false, nullptr,
                           listener);
        } catch (const mqtt::exception&) {
            listener.release_unsent();
            throw;
        }
    }
    listener.wait_all();
    client.disconnect()->wait();
    auto result = listener.result();
    result.connected_at = connected_at;
    return result;
}

}  // namespace edgegate::bench
