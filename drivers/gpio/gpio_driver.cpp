#include "drivers/gpio/gpio_driver.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "drivers/gpio/gpio_logic.hpp"
#include "drivers/gpio/gpiod_line_source.hpp"
#include "gateway/core/backoff.hpp"

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
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

bool gpio_driver::stopping() {
    std::lock_guard lock(mutex_);
    return stopping_;
}

bool gpio_driver::pause(std::chrono::milliseconds d) {
    std::unique_lock lock(mutex_);
    return !wake_.wait_for(lock, d, [this] { return stopping_; });
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
    try {
        auto source = make_source_();
        backoff retry(cfg_.reconnect_min, cfg_.reconnect_max);
        bool offline_sent = false;
        std::string last_error;
        while (!stopping()) {
            std::optional<std::string> error;
            try {
                source->request(cfg_.chip, specs_);
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
                error = serve(*source, sink);
                source->release();
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
            if (!pause(retry.next())) return;
        }
    } catch (const std::exception& e) {
        spdlog::error("device {}: gpio driver stopped: {}", cfg_.name, e.what());
    }
}

std::unique_ptr<driver> make_gpio_driver(const std::string& name, yaml_section& device) {
    return std::make_unique<gpio_driver>(parse_gpio_device(name, device));
}

}  // namespace edgegate
