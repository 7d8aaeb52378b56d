#include "gateway/core/token_bucket.hpp"

#include <algorithm>
#include <cmath>

namespace edgegate {

namespace {
// Refills add up fractions of a token; a token 1e-9 short of whole is whole.
constexpr double rounding = 1e-9;
}  // namespace

token_bucket::token_bucket(double rate, double burst, clock::time_point now)
    : rate_(rate), burst_(burst), tokens_(burst), at_(now) {}

void token_bucket::refill(clock::time_point now) {
    if (now <= at_) return;
    tokens_ = std::min(burst_, tokens_ + std::chrono::duration<double>(now - at_).count() * rate_);
    at_ = now;
}

std::int64_t token_bucket::available(clock::time_point now) {
    refill(now);
    return static_cast<std::int64_t>(std::floor(tokens_ + rounding));
}

bool token_bucket::take(clock::time_point now, std::int64_t n) {
    refill(now);
    if (tokens_ + rounding < static_cast<double>(n)) return false;
    tokens_ = std::max(0.0, tokens_ - static_cast<double>(n));
    return true;
}

token_bucket::clock::time_point token_bucket::ready_at(clock::time_point now, std::int64_t n) {
    refill(now);
    const auto wanted = static_cast<double>(n);
    if (tokens_ + rounding >= wanted) return now;
    const std::chrono::duration<double> missing((wanted - tokens_) / rate_);
    return now + std::chrono::ceil<clock::duration>(missing);
}

}  // namespace edgegate
