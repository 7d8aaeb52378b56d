#pragma once

#include <chrono>
#include <cstdint>
#include <random>

namespace edgegate {

// Delays between attempts at something that keeps failing (the broker, a Modbus link, a silent
// device): capped exponential backoff with full jitter. The ceiling doubles with every
// failed attempt from 2*min up to max, and each delay is drawn uniformly from [min, ceiling],
// so never shorter than `min` nor longer than `max`, and a fleet of gateways that lost the same
// broker or a line does not come back in lockstep. Not thread-safe; owned by one loop.
class backoff {
  public:
    using duration = std::chrono::milliseconds;

    backoff(duration min, duration max, std::uint64_t seed = std::random_device{}());

    // The delay before the next attempt; each call counts one failed attempt.
    duration next();
    // After a success: the next delay starts from the bottom again.
    void reset();
    // The upper bound of the next delay.
    duration ceiling() const { return ceiling_; }

  private:
    duration min_;
    duration max_;
    duration ceiling_;
    std::mt19937_64 rng_;
};

}  // namespace edgegate
