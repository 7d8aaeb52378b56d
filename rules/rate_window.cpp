#include "rules/rate_window.hpp"

#include <algorithm>
#include <chrono>

namespace edgegate {

namespace {

constexpr int samples_per_window = 64;

}  // namespace

rate_window::rate_window(duration window)
    : window_(window), spacing_(std::max(duration(1), window / samples_per_window)) {}

std::optional<double> rate_window::add(timestamp t, double v) {
    if (!samples_.empty() && t < samples_.back().t) samples_.clear();
    const timestamp horizon = t - window_;
    while (samples_.size() >= 2 && samples_[1].t <= horizon) samples_.pop_front();
    std::optional<double> rate;
    if (!samples_.empty() && samples_.front().t <= horizon) {
        const double seconds = std::chrono::duration<double>(t - samples_.front().t).count();
        rate = (v - samples_.front().v) / seconds;
    }
    if (samples_.empty() || t - samples_.back().t >= spacing_) samples_.push_back({t, v});
    return rate;
}

}  // namespace edgegate
