#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace edgegate {

using wall_clock = std::chrono::system_clock;
using timestamp = wall_clock::time_point;

std::int64_t to_unix_ms(timestamp t);
timestamp from_unix_ms(std::int64_t ms);

// UTC, ISO 8601 with milliseconds: 2026-11-26T21:05:55.123Z
std::string format_iso8601(timestamp t);

// The inverse, for times that come from outside (a command's `ts`): "YYYY-MM-DDTHH:MM:SS", an
// optional fraction (milliseconds are kept), then "Z" or an offset "+HH:MM" / "-HH:MM".
// nullopt for anything else, and for a time a timestamp cannot hold (before 1677, after 2262).
std::optional<timestamp> parse_iso8601(std::string_view text);

}  // namespace edgegate
