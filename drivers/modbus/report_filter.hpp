#pragma once

#include <chrono>
#include <optional>

#include "gateway/core/units.hpp"
#include "gateway/core/value.hpp"

namespace edgegate {

// Decides which reads of one point become readings. Without a deadband every good read is
// published. With one, a good read is published when it differs from the last published value
// by more than the deadband (any change for deadband 0, and always for a bool or a string
// that changed), when `heartbeat` has passed since the last publication, and on the first good
// read after a bad one. A failure is published once, on the transition to bad, not at every
// failed poll. Used on the polling thread only.
class report_filter {
  public:
    using clock = std::chrono::steady_clock;

    report_filter(std::optional<double> deadband, duration heartbeat);

    // A good read of `v` at `now`: whether to publish it.
    bool good(const value& v, clock::time_point now);
    // A failed read: whether to publish a bad reading (only when the last one was not bad).
    bool bad();

  private:
    bool changed(const value& v) const;

    std::optional<double> deadband_;
    duration heartbeat_;
    enum class state { unknown, good, bad } state_ = state::unknown;
    value last_;
    clock::time_point last_at_;
};

}  // namespace edgegate
