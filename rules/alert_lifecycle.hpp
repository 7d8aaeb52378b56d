#pragma once

#include <optional>

#include "gateway/core/clock.hpp"
#include "rules/rule.hpp"

namespace edgegate {

// The raise/clear state machine of one alert key (rule, device, point): the rule's hold times
// (`for`, `clear_for`) and `repeat`. It knows nothing of values; the engine says, at each
// evaluation, whether the raise condition and the clear condition hold. With hysteresis both
// can be false (the dead band), which keeps the current state and restarts any hold time.
class alert_lifecycle {
  public:
    enum class step { none, raised, repeated, cleared };

    // A fresh evaluation at `now`.
    step evaluate(timestamp now, bool raise, bool clear, const rule& r);
    // Time has passed without a new evaluation: a hold time may have elapsed, a repeat be due.
    step tick(timestamp now, const rule& r);
    // The alert was active when the gateway stopped: active again, without a new raise.
    void restore(timestamp since, timestamp announced);

    bool active() const { return active_; }
    timestamp since() const { return since_; }
    timestamp announced() const { return announced_; }

  private:
    std::optional<timestamp> raise_holds_since_;
    std::optional<timestamp> clear_holds_since_;
    bool active_ = false;
    timestamp since_{};
    timestamp announced_{};
};

}  // namespace edgegate
