#include "drivers/modbus/report_filter.hpp"

#include <cmath>

namespace edgegate {

namespace {

std::optional<double> as_number(const value& v) {
    if (const auto* i = std::get_if<std::int64_t>(&v)) return static_cast<double>(*i);
    if (const auto* u = std::get_if<std::uint64_t>(&v)) return static_cast<double>(*u);
    if (const auto* d = std::get_if<double>(&v)) return *d;
    return std::nullopt;
}

}  // namespace

report_filter::report_filter(std::optional<double> deadband, duration heartbeat)
    : deadband_(deadband), heartbeat_(heartbeat) {}

bool report_filter::changed(const value& v) const {
    // Exact comparison first: it is the whole answer for bools, strings and deadband 0, and
    // keeps 64-bit integers exact.
    if (v == last_) return false;
    const auto a = as_number(v);
    const auto b = as_number(last_);
    if (!a || !b || *deadband_ == 0) return true;
    // NaN compares false with everything: a value turning NaN, or back, is a change.
    if (std::isnan(*a) != std::isnan(*b)) return true;
    return std::fabs(*a - *b) > *deadband_;
}

bool report_filter::good(const value& v, clock::time_point now) {
    const bool publish =
        !deadband_ || state_ != state::good || changed(v) || now - last_at_ >= heartbeat_;
    if (publish) {
        state_ = state::good;
        last_ = v;
        last_at_ = now;
    }
    return publish;
}

bool report_filter::bad() {
    if (state_ == state::bad) return false;
    state_ = state::bad;
    return true;
}

}  // namespace edgegate
