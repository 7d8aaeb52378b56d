#include "gateway/core/device_counters.hpp"

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>

namespace edgegate {

namespace {

struct registry {
    std::mutex mutex;
    // unique_ptr: the references handed out stay valid while the map grows.
    std::map<std::string, std::unique_ptr<device_counters>, std::less<>> devices;
};

registry& counters_registry() {
    static registry r;
    return r;
}

}  // namespace

void duration_histogram::observe(std::chrono::nanoseconds d) {
    const double seconds = std::chrono::duration<double>(d).count();
    const auto bucket = static_cast<std::size_t>(
        std::lower_bound(poll_duration_bounds.begin(), poll_duration_bounds.end(), seconds) -
        poll_duration_bounds.begin());
    buckets_[bucket].fetch_add(1, std::memory_order_relaxed);
    sum_ns_.fetch_add(static_cast<std::uint64_t>(std::max<std::int64_t>(d.count(), 0)),
                      std::memory_order_relaxed);
}

duration_histogram::snapshot duration_histogram::read() const {
    snapshot s;
    for (std::size_t i = 0; i < buckets_.size(); ++i) {
        s.buckets[i] = buckets_[i].load(std::memory_order_relaxed);
        s.count += s.buckets[i];
    }
    s.sum_seconds = static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) / 1e9;
    return s;
}

device_counters& device_counters_of(std::string_view device) {
    auto& r = counters_registry();
    std::lock_guard lock(r.mutex);
    auto it = r.devices.find(device);
    if (it == r.devices.end()) {
        it = r.devices.emplace(std::string(device), std::make_unique<device_counters>()).first;
    }
    return *it->second;
}

std::vector<std::pair<std::string, const device_counters*>> every_device_counters() {
    auto& r = counters_registry();
    std::lock_guard lock(r.mutex);
    std::vector<std::pair<std::string, const device_counters*>> out;
    out.reserve(r.devices.size());
    for (const auto& [name, counters] : r.devices) out.emplace_back(name, counters.get());
    return out;
}

}  // namespace edgegate
