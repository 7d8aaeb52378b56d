#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "tests/helpers/process.hpp"
#include "tests/unit/service/notify_listener.hpp"

namespace edgegate::bench {

// The real `edgegate` binary of this build running `edgegate run -c <config>`, its log in
// `<dir>/edgegate.log`, with NOTIFY_SOCKET pointing at a listener of its own in `dir`, so that
// the time from exec to READY=1 can be taken. A thread of its own reads that socket for as long
// as the process runs, as systemd does: the gateway sends STATUS= every 5 s, and once ten
// datagrams wait unread (net.unix.max_dgram_qlen) its sd_notify() blocks, the status thread and
// then, at SIGTERM, the main thread in STOPPING=1 with it. Methods: bench thread only.
class gateway_process {
  public:
    gateway_process(const std::string& config, const std::string& dir);
    ~gateway_process();
    gateway_process(const gateway_process&) = delete;
    gateway_process& operator=(const gateway_process&) = delete;

    pid_t pid() const { return process_.pid(); }
    bool running() { return process_.running(); }
    const std::string& log() const { return log_; }

    // Blocks until READY=1 arrives; the seconds from just before the exec to then, nullopt
    // when it does not come within `deadline`.
    std::optional<double> wait_ready(std::chrono::milliseconds deadline);

    struct stopped {
        double seconds = 0;            // from SIGTERM to exit
        std::optional<int> exit_code;  // nullopt: it did not exit in time and was SIGKILLed
    };
    // SIGTERM, then waits (15 s at most) for the exit.
    stopped stop();

  private:
    void read_notifications();

    std::string log_;
    test::notify_listener notify_;
    std::chrono::steady_clock::time_point started_;
    std::mutex mutex_;
    std::condition_variable ready_cv_;
    std::optional<std::chrono::steady_clock::time_point> ready_at_;  // when READY=1 came
    std::atomic<bool> closing_{false};
    test::child_process process_;
    std::thread reader_;  // reads notify_; joined by the destructor before notify_ goes
};

// Writes `<dir>/<name>.yaml`: gateway `id`, the journal at `journal` (durability full, room
// for the largest benchmark journal), the broker at `uri`, and `devices_yaml` (the text of the
// `devices:` sequence, indented by two spaces; empty: no devices). `mqtt_yaml` adds keys to the
// `mqtt:` section (lines indented by two spaces, e.g. "  batch: 50\n"). Returns its path.
std::string write_config(const std::string& dir, const std::string& name, const std::string& id,
                         const std::string& journal, const std::string& uri,
                         const std::string& devices_yaml, const std::string& mqtt_yaml = "");

}  // namespace edgegate::bench
