#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>

#include "tests/helpers/process.hpp"
#include "tests/unit/service/notify_listener.hpp"

namespace edgegate::bench {

// The real `edgegate` binary of this build running `edgegate run -c <config>`, its log in
// `<dir>/edgegate.log`, with NOTIFY_SOCKET pointing at a listener of its own in `dir`, so that
// the time from exec to READY=1 can be taken. Bench thread only.
class gateway_process {
  public:
    gateway_process(const std::string& config, const std::string& dir);
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
    std::string log_;
    test::notify_listener notify_;
    std::chrono::steady_clock::time_point started_;
    test::child_process process_;
};

// Writes `<dir>/<name>.yaml`: gateway `id`, the journal at `journal` (durability full, room
// for the largest benchmark journal), the broker at `uri`, and `devices_yaml` (the text of the
// `devices:` sequence, indented by two spaces; empty: no devices). Returns its path.
std::string write_config(const std::string& dir, const std::string& name, const std::string& id,
                         const std::string& journal, const std::string& uri,
                         const std::string& devices_yaml);

}  // namespace edgegate::bench
