#include "drivers/modbus/device_poller.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <limits>

#include "drivers/modbus/decode.hpp"
#include "drivers/modbus/encode.hpp"

namespace edgegate {

namespace {

std::string describe(const read_block& b) {
    return std::string(table_name(b.table)) + " " + std::to_string(b.address) + ".." +
           std::to_string(b.address + b.count - 1);
}

}  // namespace

device_poller::device_poller(modbus_device_config cfg)
    : cfg_(std::move(cfg)),
      plan_(plan_reads(cfg_.points, cfg_.max_gap, cfg_.coalesce)),
      backoff_(cfg_.reconnect_min, cfg_.reconnect_max),
      next_due_(clock::now()),
      counters_(device_counters_of(cfg_.name)) {
    filters_.reserve(cfg_.points.size());
    for (const auto& p : cfg_.points) filters_.emplace_back(p.deadband, p.heartbeat);
}

bool device_poller::go_online(const deliver_fn& deliver) {
    if (state_ == state::online) return true;
    // A device that stays away is logged twice, not once per poll: when it goes, and here
    // with how often it was tried.
    if (state_ == state::offline) {
        spdlog::info("device {}: online again after {:.1f} s ({} failed polls)", cfg_.name,
                     std::chrono::duration<double>(clock::now() - offline_since_).count(),
                     failed_polls_);
    }
    state_ = state::online;
    return deliver(device_status{cfg_.name, true, {}, wall_clock::now()});
}

bool device_poller::go_offline(const std::string& error, const deliver_fn& deliver) {
    if (state_ == state::offline) {
        ++failed_polls_;
        return true;
    }
    offline_since_ = clock::now();
    failed_polls_ = 1;
    spdlog::warn("device {} ({} unit {}): offline: {}", cfg_.name, cfg_.link.describe(),
                 cfg_.unit_id, error);
    state_ = state::offline;
    if (!deliver(device_status{cfg_.name, false, error, wall_clock::now()})) return false;
    std::vector<std::size_t> all(cfg_.points.size());
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
    return mark_bad(all, error, deliver);
}

bool device_poller::mark_bad(const std::vector<std::size_t>& points, const std::string& error,
                             const deliver_fn& deliver) {
    const timestamp now = wall_clock::now();
    // No value was read: NaN, which the payload writes as null.
    const double nothing = std::numeric_limits<double>::quiet_NaN();
    std::string names;
    for (const std::size_t i : points) {
        if (!filters_[i].bad()) continue;
        const modbus_point& p = cfg_.points[i];
        names += (names.empty() ? "" : ", ") + p.name;
        if (!deliver(reading{cfg_.name, p.name, nothing, quality::bad, now, p.unit})) return false;
    }
    if (!names.empty() && state_ == state::online) {
        spdlog::warn("device {}: {}: bad quality for {}", cfg_.name, error, names);
    }
    return true;
}

bool device_poller::deliver_block(const read_block& block, const deliver_fn& deliver) {
    const timestamp ts = wall_clock::now();
    const auto now = clock::now();
    for (const std::size_t i : block.points) {
        const modbus_point& p = cfg_.points[i];
        const auto offset = static_cast<std::size_t>(p.address - block.address);
        value v = decode_point(p, std::span<const std::uint16_t>(data_).subspan(
                                      offset, static_cast<std::size_t>(p.width())));
        if (!filters_[i].good(v, now)) continue;
        if (!deliver(reading{cfg_.name, p.name, std::move(v), quality::good, ts, p.unit})) {
            return false;
        }
    }
    return true;
}

poll_report device_poller::poll(modbus_connection& conn, const deliver_fn& deliver,
                                const std::function<bool()>& keep_going) {
    const auto start = clock::now();
    bool failed = false;
    poll_report report = poll_blocks(conn, deliver, keep_going, failed);
    counters_.poll_duration.observe(clock::now() - start);
    // A link that went down is counted by link_failed() when the line gives up on it; a poll
    // retried at once on a fresh connection is not an error of the device.
    if (failed || report.outcome == poll_outcome::no_answer) {
        counters_.poll_errors.fetch_add(1, std::memory_order_relaxed);
    }
    return report;
}

poll_report device_poller::poll_blocks(modbus_connection& conn, const deliver_fn& deliver,
                                       const std::function<bool()>& keep_going, bool& failed) {
    const auto due = next_due_;
    bool answered = false;
    std::string garbled;
    for (std::size_t b = 0; b < plan_.size(); ++b) {
        if (!keep_going()) return {};
        const read_block& block = plan_[b];
        const read_result r =
            conn.read(cfg_.unit_id, block.table, block.address, block.count, cfg_.timeout, data_);
        bool delivering = true;
        switch (r.status) {
            case read_status::ok:
                answered = true;
                delivering = go_online(deliver) && deliver_block(block, deliver);
                break;
            case read_status::exception:
                answered = true;
                if (r.exception == 2) {
                    if (auto halves = split_block(block, cfg_.points)) {
                        spdlog::info(
                            "device {}: {} refused ({}); reading it as {} and {} from now on",
                            cfg_.name, describe(block), r.error, describe(halves->first),
                            describe(halves->second));
                        plan_[b] = std::move(halves->first);
                        plan_.insert(plan_.begin() + static_cast<std::ptrdiff_t>(b) + 1,
                                     std::move(halves->second));
                        --b;  // read the first half now, in this same poll
                        break;
                    }
                }
                failed = true;
                delivering = go_online(deliver) &&
                             mark_bad(block.points, describe(block) + ": " + r.error, deliver);
                break;
            case read_status::bad_frame:
                failed = true;
                garbled = r.error;
                delivering = mark_bad(block.points, describe(block) + ": " + r.error, deliver);
                break;
            case read_status::no_answer:
                go_offline(r.error, deliver);
                next_due_ = clock::now() + backoff_.next();
                return {poll_outcome::no_answer, r.error};
            case read_status::link_down:
                return {poll_outcome::link_down, r.error};
        }
        if (!delivering) return {};
    }
    if (!answered) {
        // Only garbage came back: as good as no answer.
        go_offline(garbled, deliver);
        next_due_ = clock::now() + backoff_.next();
        return {poll_outcome::no_answer, garbled};
    }
    backoff_.reset();
    // The schedule keeps its phase; after a late poll it resumes from now instead of bursting.
    next_due_ = std::max(due + cfg_.poll, clock::now());
    return {};
}

write_report device_poller::write(modbus_connection& conn, std::size_t index,
                                  std::span<const std::uint16_t> data,
                                  const std::function<bool()>& keep_going) {
    const modbus_point& p = cfg_.points[index];
    const read_result w =
        conn.write(cfg_.unit_id, p.table, p.address, data, cfg_.write_multiple, cfg_.timeout);
    if (w.status != read_status::ok) return {{false, "write failed: " + w.error, {}}, w.status};
    if (!keep_going()) {
        return {{false, "written, but not read back: the device was stopped", {}}, w.status};
    }
    const read_result r =
        conn.read(cfg_.unit_id, p.table, p.address, p.width(), cfg_.timeout, data_);
    if (r.status != read_status::ok) {
        return {{false, "written, but reading it back failed: " + r.error, {}}, r.status};
    }
    value held = decode_point(p, data_);
    if (!std::equal(data.begin(), data.end(), data_.begin(), data_.end())) {
        // A device may clamp, round or refuse a value silently, or another writer got there.
        return {{false,
                 "device holds " + value_text(held) + " after writing " +
                     value_text(decode_point(p, data)),
                 std::move(held)},
                r.status};
    }
    return {{true, {}, std::move(held)}, r.status};
}

void device_poller::link_failed(const std::string& error, const deliver_fn& deliver) {
    counters_.poll_errors.fetch_add(1, std::memory_order_relaxed);
    go_offline(error, deliver);
}

}  // namespace edgegate
