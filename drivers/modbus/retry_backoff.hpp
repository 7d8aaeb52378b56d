#pragma once

#include <cstdint>
#include <random>

#include "gateway/core/units.hpp"

namespace edgegate {

// Delays between attempts at something that keeps failing (a connection, a silent device):
// capped exponential backoff with full jitter, as the forwarder's reconnect loop does. The
// ceiling doubles with every failure from 2*min up to max and each delay is drawn uniformly
// from [min, ceiling], so devices that failed together do not retry in lockstep. Owned by one
// polling thread.
class retry_backoff {
  public:
    retry_backoff(duration min, duration max, std::uint64_t seed = std::random_device{}());

    // The delay before the next attempt; each call counts one failure.
    duration next();
    // After a success the next failure starts from the bottom again.
    void reset();

  private:
    duration min_;
    duration max_;
    duration ceiling_;
    std::mt19937_64 rng_;
};

}  // namespace edgegate
