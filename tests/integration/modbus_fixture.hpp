#pragma once

#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "drivers/registry.hpp"
#include "gateway/core/device_status.hpp"
#include "gateway/core/diagnostics.hpp"
#include "gateway/core/yaml_section.hpp"
#include "tests/helpers/wait.hpp"

namespace edgegate::test {

inline std::uint16_t swap16(std::uint16_t w) { return static_cast<std::uint16_t>(w << 8 | w >> 8); }

// The registers of a 32-bit value as a device with `order` holds them, written out here
// independently of the driver's byte_order table.
inline std::vector<std::uint16_t> wire32(const std::string& order, std::uint32_t v) {
    const auto hi = static_cast<std::uint16_t>(v >> 16);
    const auto lo = static_cast<std::uint16_t>(v & 0xFFFF);
    if (order == "ABCD") return {hi, lo};
    if (order == "DCBA") return {swap16(lo), swap16(hi)};
    if (order == "BADC") return {swap16(hi), swap16(lo)};
    return {lo, hi};  // CDAB
}

// The same for a 64-bit value in the eight-letter orders.
inline std::vector<std::uint16_t> wire64(const std::string& order, std::uint64_t v) {
    std::uint16_t w[4];
    for (int i = 0; i < 4; ++i) w[i] = static_cast<std::uint16_t>(v >> (48 - 16 * i));
    if (order == "ABCDEFGH") return {w[0], w[1], w[2], w[3]};
    if (order == "HGFEDCBA") return {swap16(w[3]), swap16(w[2]), swap16(w[1]), swap16(w[0])};
    if (order == "BADCFEHG") return {swap16(w[0]), swap16(w[1]), swap16(w[2]), swap16(w[3])};
    return {w[3], w[2], w[1], w[0]};  // GHEFCDAB
}

// A Modbus driver built from one valid device entry (name, driver: modbus, ...) through the
// registry, as the gateway builds it; not started.
inline std::unique_ptr<driver> modbus_driver_of(const std::string& yaml) {
    diagnostics diag("test.yaml");
    const YAML::Node node = YAML::Load(yaml);
    yaml_section section(node, "devices[0]", diag);
    const std::string name = section.required_str("name");
    section.required_str("driver");
    auto d = make_driver("modbus", name, section);
    std::string errors;
    for (const auto& e : diag.errors()) errors += e.to_string() + "\n";
    REQUIRE_MESSAGE(d != nullptr, errors);
    return d;
}

// Modbus drivers built from YAML device entries through the registry, as the gateway builds
// them, delivering into a collector instead of the pipeline. Accessors: any thread.
class modbus_harness {
  public:
    using clock = std::chrono::steady_clock;

    struct arrival {
        ingest_item item;
        clock::time_point at;
    };

    ~modbus_harness() { stop(); }

    // One device entry (name, driver: modbus, ...); it must be valid.
    void add(const std::string& yaml) { drivers_.push_back(modbus_driver_of(yaml)); }

    void start() {
        for (auto& d : drivers_) {
            d->start([this](ingest_item&& item) {
                std::lock_guard lock(mutex_);
                arrivals_.push_back({std::move(item), clock::now()});
                return true;
            });
        }
    }

    // Stops every driver; returns how long that took.
    std::chrono::milliseconds stop() {
        const auto t0 = clock::now();
        for (auto& d : drivers_) d->stop();
        return std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - t0);
    }

    // The readings of `device`'s `point` (every point when empty), in arrival order.
    std::vector<reading> readings(const std::string& device, const std::string& point = "") const {
        std::vector<reading> out;
        std::lock_guard lock(mutex_);
        for (const auto& a : arrivals_) {
            if (const auto* r = std::get_if<reading>(&a.item);
                r != nullptr && r->device == device && (point.empty() || r->point == point)) {
                out.push_back(*r);
            }
        }
        return out;
    }

    // When each reading of `device`'s `point` arrived.
    std::vector<clock::time_point> arrival_times(const std::string& device,
                                                 const std::string& point) const {
        std::vector<clock::time_point> out;
        std::lock_guard lock(mutex_);
        for (const auto& a : arrivals_) {
            if (const auto* r = std::get_if<reading>(&a.item);
                r != nullptr && r->device == device && r->point == point) {
                out.push_back(a.at);
            }
        }
        return out;
    }

    std::vector<device_status> statuses(const std::string& device) const {
        std::vector<device_status> out;
        std::lock_guard lock(mutex_);
        for (const auto& a : arrivals_) {
            if (const auto* s = std::get_if<device_status>(&a.item);
                s != nullptr && s->device == device) {
                out.push_back(*s);
            }
        }
        return out;
    }

    std::size_t total() const {
        std::lock_guard lock(mutex_);
        return arrivals_.size();
    }

    // Whether the latest status of `device` says `online`.
    bool is(const std::string& device, bool online) const {
        const auto s = statuses(device);
        return !s.empty() && s.back().online == online;
    }

    // The last reading of `device`'s `point`, if any.
    std::optional<reading> last(const std::string& device, const std::string& point) const {
        auto r = readings(device, point);
        if (r.empty()) return std::nullopt;
        return r.back();
    }

    // Waits until the last reading of `device`'s `point` has `q` (and `v`, when given).
    bool wait_reading(const std::string& device, const std::string& point, quality q,
                      std::optional<value> v = std::nullopt,
                      std::chrono::milliseconds deadline = std::chrono::seconds(10)) const {
        return wait_until(
            [&] {
                const auto r = last(device, point);
                return r && r->quality == q && (!v || r->value == *v);
            },
            deadline);
    }

  private:
    std::vector<std::unique_ptr<driver>> drivers_;
    mutable std::mutex mutex_;
    std::vector<arrival> arrivals_;
};

}  // namespace edgegate::test
