#include "rules/alert_lifecycle.hpp"

namespace edgegate {

alert_lifecycle::step alert_lifecycle::evaluate(timestamp now, bool raise, bool clear,
                                                const rule& r) {
    std::optional<timestamp>& holds = active_ ? clear_holds_since_ : raise_holds_since_;
    if (active_ ? clear : raise) {
        if (!holds) holds = now;
    } else {
        holds.reset();
    }
    return tick(now, r);
}

alert_lifecycle::step alert_lifecycle::tick(timestamp now, const rule& r) {
    if (!active_) {
        if (!raise_holds_since_ || now - *raise_holds_since_ < r.hold) return step::none;
        raise_holds_since_.reset();
        active_ = true;
        since_ = now;
        announced_ = now;
        return step::raised;
    }
    if (clear_holds_since_ && now - *clear_holds_since_ >= r.clear_hold) {
        clear_holds_since_.reset();
        active_ = false;
        return step::cleared;
    }
    if (r.repeat.count() > 0 && now - announced_ >= r.repeat) {
        announced_ = now;
        return step::repeated;
    }
    return step::none;
}

void alert_lifecycle::restore(timestamp since, timestamp announced) {
    active_ = true;
    since_ = since;
    announced_ = announced;
    raise_holds_since_.reset();
    clear_holds_since_.reset();
}

}  // namespace edgegate
