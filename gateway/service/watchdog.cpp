#include "gateway/service/watchdog.hpp"

#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include <cstdint>

#include "gateway/service/notify.hpp"

namespace edgegate {

const progress_probe* stalled_probe(const std::vector<progress_probe>& probes,
                                    std::chrono::steady_clock::time_point now,
                                    std::chrono::microseconds limit) {
    for (const auto& p : probes) {
        if (now - p.last_progress() > limit) return &p;
    }
    return nullptr;
}

std::optional<std::chrono::microseconds> watchdog::period_from_environment() {
    std::uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return std::nullopt;
    return std::chrono::microseconds(usec);
}

watchdog::watchdog(std::chrono::microseconds period, std::vector<progress_probe> probes)
    : period_(period), probes_(std::move(probes)), task_(period / 2, [this] { return check(); }) {}

void watchdog::stop() { task_.stop(); }

bool watchdog::check() {
    const auto now = std::chrono::steady_clock::now();
    if (const auto* stuck = stalled_probe(probes_, now, period_)) {
        const std::chrono::duration<double> idle = now - stuck->last_progress();
        spdlog::error(
            "watchdog: the {} thread has made no progress for {:.1f} s (limit {:.1f} s); no "
            "more keep-alives, so the service manager restarts the gateway",
            stuck->name, idle.count(), std::chrono::duration<double>(period_).count());
        return false;
    }
    notify_watchdog();
    return true;
}

}  // namespace edgegate
