#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <vector>

#include "gateway/core/device_status.hpp"

namespace edgegate {

// The bounded MPSC channel between the drivers (producers, on their own threads) and the
// pipeline thread (the single consumer). When it is full, producers wait: back-pressure reaches
// the poll loops, which simply poll later. Nothing is dropped silently: a reading offered after
// close() is refused (push returns false) and counted.
class ingest_channel {
  public:
    explicit ingest_channel(std::size_t capacity) : capacity_(capacity) {}

    // Driver threads. Blocks while full; false once the channel is closed.
    bool push(ingest_item&& r) {
        std::unique_lock lock(mutex_);
        not_full_.wait(lock, [&] { return closed_ || queue_.size() < capacity_; });
        if (closed_) {
            ++refused_;
            return false;
        }
        queue_.push_back(std::move(r));
        lock.unlock();
        not_empty_.notify_one();
        return true;
    }

    // Pipeline thread. Waits up to `wait` for at least one reading (no wait when zero), then
    // moves up to `max` readings into `out`. Returns how many were taken.
    std::size_t pop(std::vector<ingest_item>& out, std::size_t max,
                    std::chrono::milliseconds wait) {
        std::unique_lock lock(mutex_);
        if (wait.count() > 0) {
            not_empty_.wait_for(lock, wait, [&] { return closed_ || !queue_.empty(); });
        }
        std::size_t n = 0;
        while (n < max && !queue_.empty()) {
            out.push_back(std::move(queue_.front()));
            queue_.pop_front();
            ++n;
        }
        lock.unlock();
        if (n > 0) not_full_.notify_all();
        return n;
    }

    // Main thread at shutdown, after the drivers stopped: wakes everybody; what is queued can
    // still be popped.
    void close() {
        {
            std::lock_guard lock(mutex_);
            closed_ = true;
        }
        not_full_.notify_all();
        not_empty_.notify_all();
    }

    // Pipeline thread: true once closed and drained.
    bool finished() const {
        std::lock_guard lock(mutex_);
        return closed_ && queue_.empty();
    }

    std::uint64_t refused() const {
        std::lock_guard lock(mutex_);
        return refused_;
    }

  private:
    const std::size_t capacity_;
    mutable std::mutex mutex_;
    std::condition_variable not_full_;
    std::condition_variable not_empty_;
    std::deque<ingest_item> queue_;
    bool closed_ = false;
    std::uint64_t refused_ = 0;
};

}  // namespace edgegate
