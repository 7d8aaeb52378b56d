#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace edgegate {

using duration = std::chrono::milliseconds;

// "250ms", "5s", "2m", "1h", "7d" (a whole number and a unit; "0s" is allowed).
std::optional<duration> parse_duration(std::string_view text);
// "512B", "64KiB", "256MiB", "1GiB" (a whole number and a binary unit, or a bare byte count).
std::optional<std::uint64_t> parse_size(std::string_view text);

// The inverse, choosing the largest unit that divides exactly: 90000ms -> "90s".
std::string format_duration(duration d);
std::string format_size(std::uint64_t bytes);

}  // namespace edgegate
