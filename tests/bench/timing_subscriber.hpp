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

// A QoS 1 subscriber that notes, in Paho's message callback, when each message arrived, the
// numeric "value" and the "seq" of its JSON payload, and which seqs it has seen (those of every
// element of a JSON array payload, a batch, too). The test
// helper's subscriber keeps whole payloads and no arrival times; the latency figure needs the
// times, and the backlog figure a million seqs without a million payloads. The constructor
// connects with a clean session and subscribes (10 s at most, else throws). Accessors: any
// thread.
class timing_subscriber {
  public:
    struct arrival {
        // Of a batch: its last reading's.
        double value = 0;      // NaN when the payload had no numeric "value"
        std::int64_t seq = 0;  // 0 when it had no "seq"
        std::chrono::steady_clock::time_point at;
    };

    timing_subscriber(const std::string& uri, const std::string& topic_filter,
                      const std::string& client_id);
    ~timing_subscriber();
    timing_subscriber(const timing_subscriber&) = delete;
    timing_subscriber& operator=(const timing_subscriber&) = delete;

    std::size_t count() const { return count_.load(); }
    // The largest N such that every seq 1..N has arrived.
    std::int64_t seq_prefix() const { return prefix_.load(); }
    // Arrivals of a seq already seen (at-least-once re-sends).
    std::int64_t duplicates() const;
    std::vector<arrival> arrivals() const;

  private:
    void note_seq(std::int64_t seq);

    mutable std::mutex mutex_;
    std::vector<arrival> arrivals_;
    std::vector<bool> seen_;  // by seq
    std::int64_t duplicates_ = 0;
    std::atomic<std::int64_t> prefix_{0};
    std::atomic<std::size_t> count_{0};
    // Last, so it is destroyed first: its destructor stops the callback that uses the above.
    std::unique_ptr<mqtt::async_client> client_;
};

}  // namespace edgegate::bench
