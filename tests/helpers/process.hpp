#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace edgegate::test {

// A child process (fork/exec) for integration tests: a mosquitto, an edgegate under test.
// stdout and stderr are appended to `log_file`, or inherited when it is empty; stdin is
// /dev/null. `extra_env` entries ("K=V") are added to, or replace, the parent's environment.
// The child gets no file descriptor of the test beyond 0-2 (a leaked socket would keep a
// peer's connection or a listening port alive), and is SIGKILLed when the thread that
// started it exits, so a crashed test leaves no stray broker or gateway behind.
// Not thread-safe: one test thread drives it.
class child_process {
  public:
    explicit child_process(std::vector<std::string> argv, std::string log_file = {},
                           std::vector<std::string> extra_env = {});
    // SIGKILL and reap if it is still running.
    ~child_process();
    child_process(const child_process&) = delete;
    child_process& operator=(const child_process&) = delete;

    pid_t pid() const { return pid_; }
    // No effect once the child has been reaped (its pid may belong to someone else by then).
    void signal(int sig);
    // Reaps the child if it has exited.
    bool running();
    // Waits for the child to exit: its exit code, or 128+signal when a signal ended it;
    // nullopt when `timeout` passed first.
    std::optional<int> wait_exit(std::chrono::milliseconds timeout);

  private:
    bool try_reap();

    pid_t pid_ = -1;
    std::optional<int> exit_code_;
};

// VmRSS of `pid` from /proc/<pid>/status in KiB, -1 when the process is gone.
long rss_kib(pid_t pid);

// Whether RSS says anything about the code under test in this build: not under AddressSanitizer,
// whose shadow memory and quarantine of freed blocks (up to 256 MiB) grow with every allocation.
// Tests print RSS always and bound it only when this is true.
#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool rss_is_meaningful = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool rss_is_meaningful = false;
#else
inline constexpr bool rss_is_meaningful = true;
#endif
#else
inline constexpr bool rss_is_meaningful = true;
#endif

// A TCP port free on 127.0.0.1 right now (bind to port 0, read it, close).
int free_tcp_port();

}  // namespace edgegate::test
