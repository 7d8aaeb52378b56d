#include "drivers/simulated/simulated_driver.hpp"

#include <spdlog/spdlog.h>

#include <functional>

#include "gateway/core/names.hpp"

namespace edgegate {

namespace {

signal_shape parse_shape(const std::string& s) {
    if (s == "ramp") return signal_shape::ramp;
    if (s == "square") return signal_shape::square;
    if (s == "random_walk") return signal_shape::random_walk;
    if (s == "counter") return signal_shape::counter;
    if (s == "constant") return signal_shape::constant;
    return signal_shape::sine;
}

}  // namespace

simulated_device_config parse_simulated_device(const std::string& name, yaml_section& device) {
    simulated_device_config cfg;
    cfg.name = name;
    cfg.poll = device.dur("poll", std::chrono::seconds(1), std::chrono::milliseconds(1),
                          std::chrono::hours(24));
    for (auto& p : device.entries("points")) {
        signal_spec s;
        s.name = p.required_str("name");
        if (!s.name.empty() && !is_valid_name(s.name)) {
            p.error(p.raw("name"), "name", "'" + s.name + "' may only contain A-Z a-z 0-9 _ . -");
        }
        for (const auto& other : cfg.points) {
            if (!s.name.empty() && other.name == s.name) {
                p.error(p.raw("name"), "name", "duplicate point name '" + s.name + "'");
            }
        }
        s.shape = parse_shape(p.enumeration(
            "signal", "sine", {"sine", "ramp", "square", "random_walk", "counter", "constant"}));
        s.min = p.number("min", 0, -1e15, 1e15);
        s.max = p.number("max", 1, -1e15, 1e15);
        if (s.max < s.min) p.error(p.raw("max"), "max", "must not be below min");
        s.period = p.dur("period", std::chrono::seconds(60), std::chrono::milliseconds(1),
                         std::chrono::hours(24 * 365));
        s.noise = p.number("noise", 0, 0, 1e15);
        s.constant = p.number("value", 0, -1e15, 1e15);
        s.unit = p.str("unit", "");
        const auto seed = p.integer("seed", -1, 0, INT64_MAX);
        // Without a seed each point still repeats exactly from run to run.
        s.seed = seed >= 0 ? static_cast<std::uint64_t>(seed)
                           : std::hash<std::string>{}(name + "/" + s.name);
        p.finish();
        cfg.points.push_back(std::move(s));
    }
    device.finish();
    return cfg;
}

simulated_driver::simulated_driver(simulated_device_config cfg) : cfg_(std::move(cfg)) {}

simulated_driver::~simulated_driver() { stop(); }

void simulated_driver::start(reading_sink sink) {
    thread_ = std::thread([this, sink = std::move(sink)]() mutable { run(std::move(sink)); });
}

void simulated_driver::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void simulated_driver::run(reading_sink sink) {
    try {
        std::vector<signal_generator> gens;
        gens.reserve(cfg_.points.size());
        for (const auto& spec : cfg_.points) gens.emplace_back(spec, cfg_.poll);
        auto next = std::chrono::steady_clock::now();
        std::unique_lock lock(mutex_);
        while (!stopping_) {
            lock.unlock();
            const timestamp now = wall_clock::now();
            for (auto& g : gens) {
                reading r{cfg_.name, g.spec().name, g.next(), quality::good, now, g.spec().unit};
                if (!sink(ingest_item(std::move(r)))) return;
            }
            lock.lock();
            next += cfg_.poll;
            // After back-pressure held us up, poll later instead of bursting to catch up.
            const auto now_steady = std::chrono::steady_clock::now();
            if (next < now_steady) next = now_steady;
            wake_.wait_until(lock, next, [this] { return stopping_; });
        }
    } catch (const std::exception& e) {
        spdlog::error("device {}: simulated driver stopped: {}", cfg_.name, e.what());
    }
}

}  // namespace edgegate
