#include "gateway/service/periodic_task.hpp"

namespace edgegate {

periodic_task::periodic_task(std::chrono::microseconds every, std::function<bool()> task)
    : task_(std::move(task)), thread_([this, every] { run(every); }) {}

periodic_task::~periodic_task() { stop(); }

void periodic_task::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void periodic_task::run(std::chrono::microseconds every) {
    // Deadlines rather than sleeps after each call, so a slow call does not stretch the period.
    auto next = std::chrono::steady_clock::now();
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        lock.unlock();
        const bool again = task_();
        lock.lock();
        if (!again) return;
        next += every;
        const auto now = std::chrono::steady_clock::now();
        if (next < now) next = now;
        wake_.wait_until(lock, next, [this] { return stopping_; });
    }
}

}  // namespace edgegate
