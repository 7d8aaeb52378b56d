#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace mqtt {
class async_client;
}  // namespace mqtt

namespace edgegate::bench {

// A QoS 1 subscriber that notes, in Paho's message callback, when each message arrived and the
// integer "value" of its JSON payload. The test helper's subscriber keeps payloads but not
// arrival times, which the latency figure needs. The constructor connects and subscribes (10 s
// at most, else throws). Accessors: any thread.
class timing_subscriber {
  public:
    struct arrival {
        std::int64_t value = 0;
        std::chrono::steady_clock::time_point at;
    };

    timing_subscriber(const std::string& uri, const std::string& topic_filter);
    ~timing_subscriber();
    timing_subscriber(const timing_subscriber&) = delete;
    timing_subscriber& operator=(const timing_subscriber&) = delete;

    std::size_t count() const { return count_.load(); }
    // Messages whose payload had no integer "value".
    std::size_t unparsed() const { return unparsed_.load(); }
    std::vector<arrival> arrivals() const;

  private:
    mutable std::mutex mutex_;
    std::vector<arrival> arrivals_;
    std::atomic<std::size_t> count_{0};
    std::atomic<std::size_t> unparsed_{0};
    // Last, so it is destroyed first: its destructor stops the callback that uses the above.
    std::unique_ptr<mqtt::async_client> client_;
};

}  // namespace edgegate::bench
