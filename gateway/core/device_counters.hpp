#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace edgegate {

// Upper bounds (seconds) of the poll-duration buckets: a Modbus TCP poll on a LAN takes a few
// milliseconds, an RTU poll at 9600 baud tens to hundreds, a timeout up to the device's
// `timeout` (at most 10 s).
inline constexpr std::array<double, 13> poll_duration_bounds = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

// A histogram of durations over poll_duration_bounds. observe() is lock-free (a few relaxed
// atomic adds), so a driver may call it after every poll; read() may run on any thread at the
// same time and sees each observation either wholly or not at all in the bucket counts.
class duration_histogram {
  public:
    struct snapshot {
        // Observations per bucket, not cumulative; the last one is above the last bound.
        std::array<std::uint64_t, poll_duration_bounds.size() + 1> buckets{};
        double sum_seconds = 0;
        std::uint64_t count = 0;  // the sum of `buckets`
    };

    void observe(std::chrono::nanoseconds d);
    snapshot read() const;

  private:
    std::array<std::atomic<std::uint64_t>, poll_duration_bounds.size() + 1> buckets_{};
    std::atomic<std::uint64_t> sum_ns_{0};
};

// What /metrics shows per device. Counters only grow: a device removed by a reload keeps its
// figures, so a scraper never sees a counter go back.
struct device_counters {
    // Readings of the device that reached the pipeline; written by the pipeline thread alone.
    std::atomic<std::uint64_t> readings{0};
    // Polls that failed wholly or partly (README.md, "Metrics", defines it); driver thread.
    std::atomic<std::uint64_t> poll_errors{0};
    // How long each poll took, from its first request to its last answer; driver thread.
    duration_histogram poll_duration;
};

// The process's counters of `device`, created on first use and kept until the process exits.
// Any thread; takes a lock, so look a device up once and keep the reference.
device_counters& device_counters_of(std::string_view device);

// Every device seen so far with its counters, by name. Any thread; takes the same lock.
std::vector<std::pair<std::string, const device_counters*>> every_device_counters();

}  // namespace edgegate
