#include "drivers/gpio/gpio_driver.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "drivers/gpio/gpio_logic.hpp"
#include "drivers/gpio/gpiod_line_source.hpp"
#include "gateway/core/backoff.hpp"
#include "gateway/core/yaml_section.hpp"

namespace edgegate {

gpio_driver::gpio_driver(gpio_device_config cfg, gpio_source_factory make_source,
                         std::shared_ptr<const gpio_time_source> time)
    : cfg_(std::move(cfg)), make_source_(std::move(make_source)), time_(std::move(time)) {
    if (!make_source_) make_source_ = [] { return std::make_unique<gpiod_line_source>(); };
    if (!time_) time_ = std::make_shared<gpio_system_time>();
    for (const auto& p : cfg_.points) specs_.push_back(p.spec);
}

gpio_driver::~gpio_driver() { stop(); }

void gpio_driver::start(reading_sink sink) {
    thread_ = std::thread([this, sink = std::move(sink)] { run(sink); });
}

void gpio_driver::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
        if (source_) source_->interrupt();
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
    // Also when the thread never ran: nobody else would answer these writes.
    close_writes();
}

bool gpio_driver::stopping() {
    std::lock_guard lock(mutex_);
    return stopping_;
}

bool gpio_driver::pause(std::chrono::milliseconds d, const std::string& offline_error) {
    const auto until = std::chrono::steady_clock::now() + d;
    std::unique_lock lock(mutex_);
    while (wake_.wait_until(lock, until, [this] { return stopping_ || !writes_.empty(); })) {
        if (stopping_) return false;
        auto failed = std::exchange(writes_, {});
        lock.unlock();
        fail_all(failed, "not written, device offline: " + offline_error);
        lock.lock();
    }
    return true;
}

void gpio_driver::fail_all(const std::deque<pending_write>& writes, const std::string& error) {
    for (auto& w : writes) w.done(write_result{false, error, std::nullopt});
}

void gpio_driver::close_writes() {
    std::deque<pending_write> left;
    {
        std::lock_guard lock(mutex_);
        closed_ = true;
        left = std::exchange(writes_, {});
    }
    fail_all(left,
             "not written: device '" + cfg_.name + "' stopped before the write was carried out");
}

std::optional<std::string> gpio_driver::check_write(const std::string& point,
                                                    const value& v) const {
    const auto it = std::find_if(cfg_.points.begin(), cfg_.points.end(),
                                 [&](const gpio_point& p) { return p.name == point; });
    const std::string what = "point '" + point + "' of device '" + cfg_.name + "'";
    if (it == cfg_.points.end()) {
        std::vector<std::string> names;
        for (const auto& p : cfg_.points) names.push_back(p.name);
        const auto suggestion = nearest(point, names);
        return "device '" + cfg_.name + "' has no point '" + point + "'" +
               (suggestion ? ", did you mean '" + *suggestion + "'?" : std::string());
    }
    if (it->spec.direction != gpio_direction::output) {
        return what + " is an input; only outputs with writable: true take commands";
    }
    if (!it->writable) return what + " is not writable (the output needs writable: true)";
    if (!std::holds_alternative<bool>(v)) {
        return what + " expects true or false, got " +
               (std::holds_alternative<std::string>(v) ? "a string" : "a number");
    }
    return std::nullopt;
}

void gpio_driver::write(const std::string& point, const value& v, write_done done) {
    std::unique_lock lock(mutex_);
    if (closed_) {
        // The thread is gone (stop() returned or the pipeline closed): answer here, or never.
        lock.unlock();
        done(write_result{false, "not written: device '" + cfg_.name + "' is stopped",
                          std::nullopt});
        return;
    }
    writes_.push_back(pending_write{point, v, std::move(done)});
    if (source_) source_->interrupt();
    lock.unlock();
    wake_.notify_all();
}

std::vector<reading> gpio_driver::carry_out_writes(gpio_logic& logic) {
    std::deque<pending_write> todo;
    {
        std::lock_guard lock(mutex_);
        todo = std::exchange(writes_, {});
    }
    std::vector<reading> out;
    while (!todo.empty()) {
        pending_write w = std::move(todo.front());
        todo.pop_front();
        // write() is meant for requests that check_write accepted; one that skipped the check
        // must still not reach a line.
        if (auto refusal = check_write(w.point, w.v)) {
            w.done(write_result{false, *refusal, std::nullopt});
            continue;
        }
        const bool wanted = std::get<bool>(w.v);
        std::optional<reading> now;
        std::string error;
        try {
            now = logic.set_output(w.point, wanted);
        } catch (const std::exception& e) {
            error = e.what();
        }
        if (!now) {
            // The chip failed: the device goes offline, and what was queued behind is not written.
            w.done(write_result{false, "not written: " + error, std::nullopt});
            fail_all(todo, "not written: " + error);
            throw gpio_error(error);
        }
        // An output that reads back otherwise is shorted or held by the hardware: the caller
        // must not believe the relay switched.
        const bool held = std::get<bool>(now->value);
        if (held == wanted) {
            w.done(write_result{true, {}, held});
        } else {
            w.done(write_result{false,
                                "point '" + w.point + "' reads back " + (held ? "true" : "false") +
                                    " after being set to " + (wanted ? "true" : "false"),
                                held});
        }
        out.push_back(std::move(*now));
    }
    return out;
}

bool gpio_driver::deliver(const reading_sink& sink, std::vector<reading> readings) {
    for (auto& r : readings) {
        if (!sink(ingest_item(std::move(r)))) return false;
    }
    return true;
}

std::optional<std::string> gpio_driver::serve(gpio_line_source& source, const reading_sink& sink) {
    using std::chrono::milliseconds;
    try {
        gpio_logic logic(cfg_, source, *time_);
        if (!deliver(sink, logic.start())) return std::nullopt;
        while (!stopping()) {
            if (!deliver(sink, carry_out_writes(logic))) return std::nullopt;
            const auto until = logic.next_deadline() - time_->monotonic();
            // Rounded up: waking a little early would only spin until the deadline.
            const milliseconds wait =
                std::clamp(std::chrono::ceil<milliseconds>(until), milliseconds{0}, max_wait);
            for (const auto& e : source.wait_events(wait)) {
                if (!deliver(sink, logic.on_event(e))) return std::nullopt;
            }
            if (!deliver(sink, logic.on_tick())) return std::nullopt;
        }
        return std::nullopt;
    } catch (const std::exception& e) {
        return std::string(e.what());
    }
}

void gpio_driver::run(const reading_sink& sink) {
    // Outlives the try block: source_ must be cleared before the source is destroyed.
    std::unique_ptr<gpio_line_source> source;
    try {
        source = make_source_();
        {
            std::lock_guard lock(mutex_);
            source_ = source.get();
        }
        connect_and_serve(*source, sink);
    } catch (const std::exception& e) {
        spdlog::error("device {}: gpio driver stopped: {}", cfg_.name, e.what());
    }
    {
        std::lock_guard lock(mutex_);
        source_ = nullptr;
    }
    close_writes();
}

void gpio_driver::connect_and_serve(gpio_line_source& source, const reading_sink& sink) {
    backoff retry(cfg_.reconnect_min, cfg_.reconnect_max);
    bool offline_sent = false;
    std::string last_error;
    while (!stopping()) {
        std::optional<std::string> error;
        try {
            source.request(cfg_.chip, specs_);
        } catch (const std::exception& e) {
            error = e.what();
        }
        if (!error) {
            retry.reset();
            if (!sink(device_status{cfg_.name, true, {}, time_->wall()})) return;
            spdlog::info("device {}: {} lines requested on {}", cfg_.name, specs_.size(),
                         cfg_.chip);
            offline_sent = false;
            last_error.clear();
            error = serve(source, sink);
            source.release();
            if (!error) return;
        }
        // One status per transition and one log line per distinct error, however long the
        // chip stays away.
        if (!offline_sent) {
            if (!sink(device_status{cfg_.name, false, *error, time_->wall()})) return;
            offline_sent = true;
        }
        if (*error != last_error) {
            spdlog::warn("device {}: {} (retrying)", cfg_.name, *error);
            last_error = *error;
        }
        if (!pause(retry.next(), *error)) return;
    }
}

std::unique_ptr<driver> make_gpio_driver(const std::string& name, yaml_section& device) {
    return std::make_unique<gpio_driver>(parse_gpio_device(name, device));
}

}  // namespace edgegate
