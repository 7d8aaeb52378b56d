#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "gateway/service/periodic_task.hpp"

namespace edgegate {

// A thread whose progress the watchdog watches: `last_progress` returns the steady-clock time
// of the start of that thread's latest loop iteration. Called on the watchdog's thread; it must
// be cheap and never block (an atomic load).
struct progress_probe {
    std::string name;
    std::function<std::chrono::steady_clock::time_point()> last_progress;
};

// The first probe whose last progress is older than `limit` at `now`, or nullptr. Any thread.
const progress_probe* stalled_probe(const std::vector<progress_probe>& probes,
                                    std::chrono::steady_clock::time_point now,
                                    std::chrono::microseconds limit);

// systemd's watchdog (WatchdogSec=) made to mean "every watched thread is making progress",
// not merely "the process exists": keep-alives (WATCHDOG=1) go out every period/2 only while
// every probe progressed within the last period. When one has not, the watchdog logs once which
// thread is stuck and stops pinging for good, so systemd kills and restarts the gateway within
// another period. A slow broker or an idle gateway must therefore still let every watched loop
// come round well within the period.
class watchdog {
  public:
    // Main thread: the period systemd asks this process to ping within (WATCHDOG_USEC, when
    // WATCHDOG_PID is unset or ours), nullopt when it asks for none.
    static std::optional<std::chrono::microseconds> period_from_environment();

    // Main thread: starts the watchdog thread, which sends the first keep-alive at once.
    watchdog(std::chrono::microseconds period, std::vector<progress_probe> probes);
    // Main thread, when shutdown begins: no keep-alive is sent after it returns, so the
    // watched threads may stop. Blocks at most for one check of the probes.
    void stop();

  private:
    bool check();

    const std::chrono::microseconds period_;
    const std::vector<progress_probe> probes_;
    periodic_task task_;
};

}  // namespace edgegate
