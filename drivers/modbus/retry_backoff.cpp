#include "drivers/modbus/retry_backoff.hpp"

#include <algorithm>

namespace edgegate {

retry_backoff::retry_backoff(duration min, duration max, std::uint64_t seed)
    : min_(std::max(min, duration(1))),
      max_(std::max(max, min_)),
      ceiling_(std::min(max_, min_ * 2)),
      rng_(seed) {}

duration retry_backoff::next() {
    std::uniform_int_distribution<duration::rep> pick(min_.count(), ceiling_.count());
    const duration delay(pick(rng_));
    // Doubling stops at max, so it cannot overflow however long the failure lasts.
    ceiling_ = ceiling_ >= max_ / 2 ? max_ : ceiling_ * 2;
    return delay;
}

void retry_backoff::reset() { ceiling_ = std::min(max_, min_ * 2); }

}  // namespace edgegate
