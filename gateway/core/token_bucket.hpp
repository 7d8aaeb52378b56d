#pragma once

#include <chrono>
#include <cstdint>

namespace edgegate {

// A token bucket: `rate` tokens a second, holding at most `burst`, full at the start. Limits how
// often something happens (commands to a point, publishes to the broker) while allowing short
// bursts. Not thread-safe; the caller passes the time, so tests need no clock.
class token_bucket {
  public:
    using clock = std::chrono::steady_clock;

    token_bucket(double rate, double burst, clock::time_point now = clock::now());

    // Whole tokens there at `now`.
    std::int64_t available(clock::time_point now);
    // Takes `n` tokens (at most available(now)); returns whether there were enough.
    bool take(clock::time_point now, std::int64_t n = 1);
    // When `n` whole tokens are there (`now` when they already are); `n` at most the burst.
    clock::time_point ready_at(clock::time_point now, std::int64_t n = 1);

  private:
    void refill(clock::time_point now);

    double rate_;
    double burst_;
    double tokens_;
    clock::time_point at_;
};

}  // namespace edgegate
