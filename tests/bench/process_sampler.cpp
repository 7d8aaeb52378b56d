#include "tests/bench/process_sampler.hpp"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "tests/bench/bench.hpp"

namespace edgegate::bench {
namespace {

using namespace std::chrono_literals;

constexpr auto sample_every = 100ms;
constexpr auto check_every = 10ms;

// A field of /proc/<pid>/status in KiB ("VmHWM", "VmRSS"), -1 when the process is gone.
long status_kib(pid_t pid, const std::string& field) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.starts_with(field + ":")) return std::stol(line.substr(field.size() + 1));
    }
    return -1;
}

// utime + stime of /proc/<pid>/stat in clock ticks, -1 when the process is gone. The command
// name (field 2) may contain spaces, so fields are counted after its closing parenthesis.
long long cpu_ticks(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto close = text.rfind(')');
    if (close == std::string::npos) return -1;
    std::istringstream fields(text.substr(close + 2));
    std::string field;
    long long utime = 0;
    long long stime = 0;
    // After the name: state(3) ... utime(14) stime(15).
    for (int i = 3; i <= 15 && fields >> field; ++i) {
        if (i == 14) utime = std::stoll(field);
        if (i == 15) stime = std::stoll(field);
    }
    return utime + stime;
}

}  // namespace

process_usage sample_process(pid_t pid, std::chrono::steady_clock::time_point until,
                             const std::function<bool()>& done) {
    process_usage u;
    const auto t0 = std::chrono::steady_clock::now();
    double cpu_at_start = -1;
    auto next_sample = t0;
    for (auto next = t0;; next += check_every) {
        std::this_thread::sleep_until(std::min(next, until));
        const auto now = std::chrono::steady_clock::now();
        u.done = done();
        const bool last = u.done || now >= until;
        if (now >= next_sample || last) {
            next_sample += sample_every;
            const long hwm = status_kib(pid, "VmHWM");
            const long rss = status_kib(pid, "VmRSS");
            const long long ticks = cpu_ticks(pid);
            if (hwm < 0 || ticks < 0) {
                u.exited = true;
                return u;
            }
            u.peak_rss_kib = std::max(u.peak_rss_kib, hwm);
            u.last_rss_kib = rss;
            const double cpu =
                static_cast<double>(ticks) / static_cast<double>(sysconf(_SC_CLK_TCK));
            if (cpu_at_start < 0) cpu_at_start = cpu;
            u.cpu_seconds = cpu - cpu_at_start;
            u.wall_seconds = seconds_between(t0, now);
        }
        if (last) return u;
    }
}

}  // namespace edgegate::bench
