#include "gateway/core/backoff.hpp"

#include <algorithm>

namespace edgegate {

namespace {

backoff::duration first_ceiling(backoff::duration min, backoff::duration max) {
    return std::min(max, min * 2);
}

}  // namespace

backoff::backoff(duration min, duration max, std::uint64_t seed)
    : min_(std::max(min, duration::zero())),
      max_(std::max(max, min_)),
      ceiling_(first_ceiling(min_, max_)),
      rng_(seed) {}

backoff::duration backoff::next() {
    std::uniform_int_distribution<duration::rep> pick(min_.count(), ceiling_.count());
    const duration delay(pick(rng_));
    // Doubling stops at max, so it cannot overflow however long the outage lasts.
    ceiling_ = ceiling_ >= max_ / 2 ? max_ : std::max(ceiling_ * 2, duration(1));
    return delay;
}

void backoff::reset() { ceiling_ = first_ceiling(min_, max_); }

}  // namespace edgegate
