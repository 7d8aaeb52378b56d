#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace edgegate {

using wall_clock = std::chrono::system_clock;
using timestamp = wall_clock::time_point;

std::int64_t to_unix_ms(timestamp t);
timestamp from_unix_ms(std::int64_t ms);

// UTC, ISO 8601 with milliseconds: 2026-11-26T21:05:55.123Z
std::string format_iso8601(timestamp t);

}  // namespace edgegate
