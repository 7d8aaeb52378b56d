#include "drivers/simulated/signal.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace edgegate {

signal_generator::signal_generator(signal_spec spec, duration poll)
    : spec_(std::move(spec)), poll_(poll), walk_((spec_.min + spec_.max) / 2), rng_(spec_.seed) {}

double signal_generator::noisy(double v) {
    return spec_.noise > 0 ? v + spec_.noise * gauss_(rng_) : v;
}

value signal_generator::next() {
    const std::int64_t n = n_++;
    const double t_ms = static_cast<double>(n) * static_cast<double>(poll_.count());
    const double period_ms = static_cast<double>(std::max<std::int64_t>(spec_.period.count(), 1));
    const double phase = std::fmod(t_ms, period_ms) / period_ms;  // 0..1
    const double span = spec_.max - spec_.min;
    switch (spec_.shape) {
        case signal_shape::sine:
            return noisy(spec_.min + span * (0.5 + 0.5 * std::sin(2 * std::numbers::pi * phase)));
        case signal_shape::ramp:
            return noisy(spec_.min + span * phase);
        case signal_shape::square:
            return phase < 0.5;
        case signal_shape::random_walk:
            // Steps of 2% of the span, kept inside [min, max].
            walk_ = std::clamp(walk_ + 0.02 * span * gauss_(rng_), spec_.min, spec_.max);
            return walk_;
        case signal_shape::counter:
            return static_cast<std::int64_t>(spec_.min) + n;
        case signal_shape::constant:
            return noisy(spec_.constant);
    }
    return 0.0;
}

}  // namespace edgegate
