#include "gateway/command/command_router.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "gateway/command/command_parser.hpp"
#include "gateway/core/units.hpp"
#include "gateway/core/yaml_section.hpp"

namespace edgegate {

command_router::command_router(const commands_section& cfg,
                               const std::vector<std::unique_ptr<driver>>& devices,
                               reading_sink sink, clock_fn now)
    : cfg_(cfg), sink_(std::move(sink)), now_(std::move(now)) {
    set_devices(devices);
}

void command_router::set_devices(const std::vector<std::unique_ptr<driver>>& devices) {
    devices_.clear();
    for (const auto& d : devices) devices_.emplace(d->name(), d.get());
}

void command_router::replace_devices(const commands_section& cfg,
                                     const std::vector<std::unique_ptr<driver>>& devices,
                                     const std::function<void()>& swap) {
    std::lock_guard lock(mutex_);
    swap();
    cfg_ = cfg;
    set_devices(devices);
    // A point's budget is not carried over: its definition may have changed.
    buckets_.clear();
}

void command_router::answer(command_outcome&& outcome) {
    if (outcome.result.ok) {
        spdlog::info("command {}/{} {}: written", outcome.device, outcome.point, outcome.requested);
    } else {
        spdlog::warn("command {}/{} {}: {}", outcome.device, outcome.point, outcome.requested,
                     outcome.result.error);
    }
    const std::string where = outcome.device + "/" + outcome.point;
    if (!sink_(std::move(outcome))) {
        spdlog::warn("command {}: the gateway is stopping; its outcome is not journaled", where);
    }
}

bool command_router::take_token(const std::string& key) {
    const auto now = token_bucket::clock::now();
    auto it = buckets_.try_emplace(key, cfg_.rate, cfg_.rate, now).first;
    return it->second.take(now);
}

void command_router::on_command(std::string_view device, std::string_view point,
                                std::string_view payload, bool retained) {
    std::lock_guard lock(mutex_);
    if (closed_) {
        spdlog::info("command {}/{} dropped: the gateway is stopping", device, point);
        return;
    }
    parsed_command cmd = parse_command(payload);
    command_outcome out;
    out.device = device;
    out.point = point;
    out.id = std::move(cmd.id);
    out.requested = std::move(cmd.requested);
    const auto refuse = [&](std::string error) {
        out.result = {false, std::move(error), std::nullopt};
        out.ts = now_();
        answer(std::move(out));
    };
    // A retained command would be carried out again at every connect of every subscriber.
    if (retained)
        return refuse("retained command refused: publish commands without the retain flag");
    if (!cmd.error.empty()) return refuse(std::move(cmd.error));
    const auto d = devices_.find(device);
    if (d == devices_.end()) {
        std::vector<std::string> names;
        for (const auto& [name, _] : devices_) names.push_back(name);
        const auto suggestion = nearest(device, names);
        return refuse("unknown device '" + std::string(device) + "'" +
                      (suggestion ? ", did you mean '" + *suggestion + "'?" : ""));
    }
    if (cmd.ts) {
        const auto age = now_() - *cmd.ts;
        if (age > cfg_.max_age) {
            return refuse("stale command ignored: sent at " + format_iso8601(*cmd.ts) + ", " +
                          format_duration(std::chrono::duration_cast<duration>(age)) +
                          " ago, older than commands.max_age (" + format_duration(cfg_.max_age) +
                          ")");
        }
    }
    const std::string point_name(point);
    if (auto problem = d->second->check_write(point_name, *cmd.value)) {
        return refuse(std::move(*problem));
    }
    if (!take_token(d->first + "/" + point_name)) {
        return refuse("rate limit: more than " + std::to_string(cfg_.rate) +
                      " commands per second to this point (commands.rate)");
    }
    d->second->write(point_name, *cmd.value, [this, out = std::move(out)](write_result r) mutable {
        out.result = std::move(r);
        out.ts = now_();
        answer(std::move(out));
    });
}

void command_router::close() {
    std::lock_guard lock(mutex_);
    closed_ = true;
}

}  // namespace edgegate
