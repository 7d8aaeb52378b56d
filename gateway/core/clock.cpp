#include "gateway/core/clock.hpp"

#include <cstdio>
#include <ctime>

namespace edgegate {

std::int64_t to_unix_ms(timestamp t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

timestamp from_unix_ms(std::int64_t ms) {
    return timestamp(
        std::chrono::duration_cast<wall_clock::duration>(std::chrono::milliseconds(ms)));
}

std::string format_iso8601(timestamp t) {
    const std::int64_t ms = to_unix_ms(t);
    std::int64_t secs = ms / 1000;
    std::int64_t frac = ms % 1000;
    if (frac < 0) {
        frac += 1000;
        secs -= 1;
    }
    const std::time_t tt = static_cast<std::time_t>(secs);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<int>(frac));
    return buf;
}

}  // namespace edgegate
