#pragma once

#include <deque>
#include <optional>

#include "gateway/core/clock.hpp"
#include "gateway/core/units.hpp"

namespace edgegate {

// The rate of change of one point over a window, in units per second: the slope from the newest
// sample that is at least `window` old to the current one. Until the history reaches back a
// whole window there is no rate, so a rule does not fire on the first two noisy samples. Samples
// are kept at most 1/64 of the window apart, so memory stays bounded whatever the poll rate.
class rate_window {
  public:
    explicit rate_window(duration window);

    // Adds a sample; returns the rate, or nothing while the history is shorter than the window.
    // A sample older than the previous one (the source's clock stepped back) restarts the history.
    std::optional<double> add(timestamp t, double v);

  private:
    struct sample {
        timestamp t;
        double v;
    };

    duration window_;
    duration spacing_;
    std::deque<sample> samples_;
};

}  // namespace edgegate
