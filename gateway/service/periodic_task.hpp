#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace edgegate {

// A thread of its own that calls `task` at once and then every `every` until stop(), or until
// `task` returns false. Used for the watchdog keep-alives and the STATUS= line, so neither
// waits on the other nor on the main thread (which sleeps in sigwait).
class periodic_task {
  public:
    // Main thread: launches the thread. `task` runs on that thread only and must not throw.
    periodic_task(std::chrono::microseconds every, std::function<bool()> task);
    // Calls stop().
    ~periodic_task();
    periodic_task(const periodic_task&) = delete;
    periodic_task& operator=(const periodic_task&) = delete;

    // Main thread: no call of `task` starts after it returns. Blocks for a call in progress.
    void stop();

  private:
    void run(std::chrono::microseconds every);

    std::function<bool()> task_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace edgegate
