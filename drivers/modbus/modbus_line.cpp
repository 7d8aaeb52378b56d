#include "drivers/modbus/modbus_line.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "drivers/modbus/encode.hpp"
#include "gateway/core/backoff.hpp"

namespace edgegate {

namespace {

// Tells a command how its write ended: exactly once, and nothing the handler throws may end the
// line's thread.
void finish(const write_done& done, write_result result) {
    try {
        done(std::move(result));
    } catch (const std::exception& e) {
        spdlog::error("modbus: the handler of a write result failed: {}", e.what());
    }
}

}  // namespace

modbus_line::modbus_line(link_settings link, std::string owner)
    : link_(std::move(link)), owner_(std::move(owner)) {}

modbus_line::~modbus_line() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
        for (auto& reg : devices_) reg->active = false;
    }
    changed_.notify_all();
    if (thread_.joinable()) thread_.join();
    for (auto& w : writes_) {
        finish(w.done, {false, "not written: the Modbus line was shut down", {}});
    }
}

void modbus_line::start_device(std::shared_ptr<device_poller> device, reading_sink sink) {
    std::lock_guard lock(mutex_);
    auto reg = std::make_shared<registration>();
    reg->device = std::move(device);
    reg->sink = std::move(sink);
    devices_.push_back(std::move(reg));
    ++generation_;
    if (!thread_.joinable()) {
        stopping_ = false;
        thread_ = std::thread([this] { run(); });
    }
    changed_.notify_all();
}

void modbus_line::stop_device(const std::shared_ptr<device_poller>& device) {
    std::unique_lock lock(mutex_);
    const auto it = std::find_if(devices_.begin(), devices_.end(),
                                 [&](const auto& reg) { return reg->device == device; });
    if (it == devices_.end()) return;
    const std::shared_ptr<registration> reg = *it;
    reg->active = false;
    devices_.erase(it);
    ++generation_;
    std::vector<pending_write> dropped;
    for (auto w = writes_.begin(); w != writes_.end();) {
        if (w->reg == reg) {
            dropped.push_back(std::move(*w));
            w = writes_.erase(w);
        } else {
            ++w;
        }
    }
    changed_.notify_all();
    changed_.wait(lock, [&] { return delivering_ != reg.get() && writing_ != reg.get(); });
    const bool last = devices_.empty();
    if (last) {
        stopping_ = true;
        changed_.notify_all();
    }
    lock.unlock();
    for (auto& w : dropped) {
        finish(w.done, {false,
                        "not written: device '" + device->config().name +
                            "' was stopped before the write was sent",
                        {}});
    }
    if (last && thread_.joinable()) thread_.join();
}

void modbus_line::queue_write(const std::shared_ptr<device_poller>& device, std::size_t index,
                              std::vector<std::uint16_t> data, write_done done) {
    {
        std::lock_guard lock(mutex_);
        const auto it = std::find_if(devices_.begin(), devices_.end(), [&](const auto& reg) {
            return reg->device == device && reg->active;
        });
        if (it != devices_.end() && !stopping_) {
            writes_.push_back({*it, index, std::move(data), std::move(done)});
            changed_.notify_all();
            return;
        }
    }
    finish(done, {false, "not written: device '" + device->config().name + "' is not running", {}});
}

void modbus_line::serve_write(modbus_connection& conn, pending_write& w) {
    device_poller& device = *w.reg->device;
    const std::string& name = device.config().name;
    const auto attempt = [&]() -> write_result {
        const write_result stopped{
            false, "not written: device '" + name + "' was stopped before the write was sent", {}};
        if (!keep_going(*w.reg)) return stopped;
        if (!conn.is_open()) {
            if (auto error = conn.open(device.config().timeout)) {
                return {false, "not written: " + *error, {}};
            }
            if (!keep_going(*w.reg)) return stopped;
        }
        write_report report =
            device.write(conn, w.index, w.data, [&] { return keep_going(*w.reg); });
        // A write is never repeated here: whether it reached the device is unknown.
        if (report.status == read_status::link_down) conn.close();
        return std::move(report.result);
    };
    write_result result;
    try {
        result = attempt();
    } catch (const std::exception& e) {
        result = {false, std::string("not written: ") + e.what(), {}};
    }
    const std::string& point = device.config().points[w.index].name;
    if (result.ok) {
        spdlog::info("device {}: {} written, holds {}", name, point,
                     result.value ? value_text(*result.value) : "?");
    } else {
        spdlog::warn("device {}: write to {}: {}", name, point, result.error);
    }
    finish(w.done, std::move(result));
}

std::vector<std::shared_ptr<modbus_line::registration>> modbus_line::active() const {
    std::vector<std::shared_ptr<registration>> out;
    for (const auto& reg : devices_) {
        if (reg->active) out.push_back(reg);
    }
    return out;
}

std::shared_ptr<modbus_line::registration> modbus_line::next_due() const {
    std::shared_ptr<registration> best;
    for (const auto& reg : devices_) {
        if (reg->active && (!best || reg->device->next_due() < best->device->next_due())) {
            best = reg;
        }
    }
    return best;
}

bool modbus_line::deliver(registration& reg, ingest_item&& item) {
    std::unique_lock lock(mutex_);
    if (!reg.active) return false;
    delivering_ = &reg;
    lock.unlock();
    bool ok = false;
    try {
        ok = reg.sink(std::move(item));
    } catch (...) {
        // stop_device() must not wait forever for a delivery that ended in an exception.
        lock.lock();
        delivering_ = nullptr;
        changed_.notify_all();
        throw;
    }
    lock.lock();
    delivering_ = nullptr;
    // A closed channel takes nothing more from this device; it idles until it is stopped.
    if (!ok) reg.active = false;
    changed_.notify_all();
    return ok;
}

bool modbus_line::keep_going(const registration& reg) {
    std::lock_guard lock(mutex_);
    return reg.active && !stopping_;
}

void modbus_line::link_failed(const std::string& error) {
    std::vector<std::shared_ptr<registration>> regs;
    {
        std::lock_guard lock(mutex_);
        regs = active();
    }
    for (const auto& reg : regs) {
        reg->device->link_failed(
            error, [&](ingest_item&& item) { return deliver(*reg, std::move(item)); });
    }
}

void modbus_line::run() {
    // A driver thread never throws: whatever escapes one round is logged, and the loop starts
    // over on a fresh connection after a pause.
    while (true) {
        try {
            poll_loop();
            return;
        } catch (const std::exception& e) {
            spdlog::error("modbus {}: {}; starting over", link_.describe(), e.what());
        }
        std::unique_lock lock(mutex_);
        if (changed_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_; })) return;
    }
}

void modbus_line::poll_loop() {
    modbus_connection conn(link_);
    std::unique_lock lock(mutex_);
    // Reconnecting follows the most eager of the devices sharing the line.
    duration min = std::chrono::hours(1);
    duration max = std::chrono::hours(1);
    for (const auto& reg : devices_) {
        min = std::min(min, reg->device->config().reconnect_min);
        max = std::min(max, reg->device->config().reconnect_max);
    }
    backoff reconnect(min, std::max(min, max));
    auto reconnect_at = device_poller::clock::now();
    // Whether a device has answered on this connection since it was opened: a connection
    // that fails after that is reopened at once (a peer may close idle connections), one that
    // fails before is a failed attempt.
    bool proven = false;
    bool link_ok = true;

    while (!stopping_) {
        // Writes go first: someone is waiting for each, and polls keep their schedule anyway.
        if (!writes_.empty()) {
            pending_write w = std::move(writes_.front());
            writes_.pop_front();
            writing_ = w.reg.get();
            lock.unlock();
            serve_write(conn, w);
            if (conn.is_open() && !link_ok) {
                spdlog::info("modbus {}: connected", link_.describe());
                link_ok = true;
                proven = false;
            }
            lock.lock();
            writing_ = nullptr;
            changed_.notify_all();
            continue;
        }
        const std::shared_ptr<registration> reg = next_due();
        const std::uint64_t seen = generation_;
        const auto changed = [&] { return stopping_ || generation_ != seen || !writes_.empty(); };
        if (!reg) {
            changed_.wait(lock, changed);
            continue;
        }
        auto wake = reg->device->next_due();
        if (!conn.is_open()) wake = std::max(wake, reconnect_at);
        if (changed_.wait_until(lock, wake, changed)) continue;
        duration open_timeout{0};
        for (const auto& r : active()) {
            open_timeout = std::max(open_timeout, r->device->config().timeout);
        }
        lock.unlock();

        if (!conn.is_open()) {
            if (auto error = conn.open(open_timeout)) {
                if (link_ok) spdlog::warn("modbus {}: {}", link_.describe(), *error);
                link_ok = false;
                link_failed(*error);
                reconnect_at = device_poller::clock::now() + reconnect.next();
                lock.lock();
                continue;
            }
            if (!link_ok) spdlog::info("modbus {}: connected", link_.describe());
            link_ok = true;
            proven = false;
        }

        const deliver_fn deliver_to = [&](ingest_item&& item) {
            return deliver(*reg, std::move(item));
        };
        const poll_report report =
            reg->device->poll(conn, deliver_to, [&] { return keep_going(*reg); });
        switch (report.outcome) {
            case poll_outcome::answered:
                proven = true;
                reconnect.reset();
                break;
            case poll_outcome::no_answer:
                // On TCP a connection nobody answers on may be half-open (a peer that rebooted
                // or a NAT that forgot it): the next attempt connects afresh.
                if (link_.kind != transport::rtu) {
                    lock.lock();
                    const auto regs = active();
                    lock.unlock();
                    if (std::all_of(regs.begin(), regs.end(),
                                    [](const auto& r) { return r->device->offline(); })) {
                        conn.close();
                    }
                }
                break;
            case poll_outcome::link_down:
                spdlog::warn("modbus {}: {}", link_.describe(), report.error);
                conn.close();
                if (proven) {
                    reg->device->set_next_due(device_poller::clock::now());
                    reconnect_at = device_poller::clock::now();
                } else {
                    link_ok = false;
                    reg->device->link_failed(report.error, deliver_to);
                    reconnect_at = device_poller::clock::now() + reconnect.next();
                }
                break;
        }
        lock.lock();
    }
}

}  // namespace edgegate
