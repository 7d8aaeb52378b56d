#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>

namespace edgegate::bench {

// What a child process used while it was sampled: /proc/<pid>/status (VmHWM, VmRSS) and
// /proc/<pid>/stat (utime + stime).
struct process_usage {
    long peak_rss_kib = 0;    // VmHWM: the peak since the process started
    long last_rss_kib = 0;    // VmRSS at the last sample
    double cpu_seconds = 0;   // used from the first sample to the last
    double wall_seconds = 0;  // from the first sample to the last
    bool exited = false;      // the process went away while sampled
    bool done = false;        // `done` returned true (rather than the time running out)
};

// Samples `pid` every 100 ms and checks `done` every 10 ms, until `done` returns true,
// `until` passes or the process exits. The sampling schedule is the load profile: it sleeps
// between checks. Calling thread only; blocks for the whole measurement.
process_usage sample_process(
    pid_t pid, std::chrono::steady_clock::time_point until,
    const std::function<bool()>& done = [] { return false; });

}  // namespace edgegate::bench
