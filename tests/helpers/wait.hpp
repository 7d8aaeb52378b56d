#pragma once

#include <chrono>
#include <thread>

namespace edgegate::test {

// How tests wait: poll `pred` until it holds or `deadline` has passed, and return its last
// result, so a test states the condition it needs rather than a guessed sleep.
template <class Pred>
bool wait_until(Pred pred, std::chrono::milliseconds deadline,
                std::chrono::milliseconds poll = std::chrono::milliseconds(10)) {
    const auto end = std::chrono::steady_clock::now() + deadline;
    while (true) {
        if (pred()) return true;
        if (std::chrono::steady_clock::now() >= end) return pred();
        std::this_thread::sleep_for(poll);
    }
}

}  // namespace edgegate::test
