// Figure 6, rules: readings through the rules engine with 1,000 rules, alone and inside the
// pipeline (channel + pipeline + journal), beside the same pipeline without rules in the same
// run.
#include <yaml-cpp/yaml.h>

#include <atomic>
#include <cmath>
#include <numbers>
#include <stdexcept>
#include <string>

#include "gateway/core/diagnostics.hpp"
#include "gateway/journal/journal.hpp"
#include "gateway/pipeline/ingest_channel.hpp"
#include "gateway/pipeline/pipeline.hpp"
#include "rules/rule_engine.hpp"
#include "rules/rule_parser.hpp"
#include "tests/bench/bench.hpp"
#include "tests/helpers/temp_dir.hpp"
#include "tests/helpers/wait.hpp"

namespace edgegate::bench {
namespace {

using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr int devices = 100;
constexpr int points = 10;
// The engine hears the time every 100 ms in the gateway; at 1 reading per 100 us of source time
// that is every 1,000 readings.
constexpr int readings_per_tick = 1000;

std::string name(int device, int point) {
    return "dev" + std::to_string(device) + "/p" + std::to_string(point);
}

// 1,000 rules over 100 devices x 10 points, every kind of condition with hysteresis and hold
// times: 980 exact rules (one per point of devices 0..97) and 20 globs, so a reading meets
// 1 to 3 rules.
std::vector<rule> thousand_rules() {
    std::string text = "rules:\n";
    const auto add = [&text](const std::string& rule_name, const std::string& match,
                             const std::string& condition) {
        text += "  - { name: " + rule_name + ", match: \"" + match + "\", " + condition + " }\n";
    };
    for (int d = 0; d < 98; ++d) {
        for (int p = 0; p < points; ++p) {
            const std::string rule_name = "r" + std::to_string(d) + "_" + std::to_string(p);
            switch (p % 5) {
                case 0:
                    add(rule_name, name(d, p), "above: 0.8, clear_below: 0.6");
                    break;
                case 1:
                    add(rule_name, name(d, p), "below: -0.8, deadband: 0.1, severity: info");
                    break;
                case 2:
                    add(rule_name, name(d, p), "outside: [-0.9, 0.9], for: 1s");
                    break;
                case 3:
                    add(rule_name, name(d, p), "rate_above: 0.5, window: 10s");
                    break;
                default:
                    add(rule_name, name(d, p), "stale: 30s");
                    break;
            }
        }
    }
    for (int k = 0; k < 10; ++k) {
        add("any_p" + std::to_string(k), "*/p" + std::to_string(k), "above: 0.95, repeat: 1m");
        add("silent_dev" + std::to_string(k), "dev" + std::to_string(k) + "*/*", "stale: 1m");
    }
    diagnostics diag("bench");
    auto rules = parse_rules(YAML::Load(text)["rules"], "rules", diag, text);
    if (!diag.ok()) throw std::runtime_error("bench rules: " + diag.errors()[0].to_string());
    return rules;
}

// Every point a sine of its own phase, 40 readings a period: alerts rise and clear all run long.
std::vector<reading> point_readings(int n) {
    std::vector<std::string> device_names;
    std::vector<std::string> point_names;
    for (int d = 0; d < devices; ++d) device_names.push_back("dev" + std::to_string(d));
    for (int p = 0; p < points; ++p) point_names.push_back("p" + std::to_string(p));
    const timestamp start = wall_clock::now();
    std::vector<reading> out;
    out.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
        const int pair = i % (devices * points);
        const int round = i / (devices * points);
        reading r;
        r.device = device_names[static_cast<std::size_t>(pair / points)];
        r.point = point_names[static_cast<std::size_t>(pair % points)];
        r.value = std::sin(2 * std::numbers::pi * (round / 40.0 + pair / 997.0));
        r.ts = start + std::chrono::microseconds(100 * i);
        r.unit = "°C";
        out.push_back(std::move(r));
    }
    return out;
}

struct engine_run {
    double seconds = 0;
    std::size_t alerts = 0;
};

engine_run run_engine(const std::vector<rule>& rules, const std::vector<reading>& readings) {
    rule_engine engine(rules);
    engine_run run;
    const auto t0 = clock_type::now();
    for (std::size_t i = 0; i < readings.size(); ++i) {
        run.alerts += engine.on_reading(readings[i]).size();
        if ((i + 1) % readings_per_tick == 0) {
            run.alerts += engine.on_tick(readings[i].ts).size();
            engine.take_changes();
        }
    }
    run.seconds = seconds_between(t0, clock_type::now());
    return run;
}

// The gateway's ingest path as gateway/cli/run.cpp wires it, with `rules` (durability normal,
// so that an fsync per commit does not hide what the rules cost).
double run_pipeline(const std::string& path, const std::vector<rule>& rules,
                    std::vector<reading> readings) {
    journal_section cfg;
    cfg.path = path;
    cfg.durability = durability::normal;
    cfg.max_bytes = 1ull << 40;
    journal_writer journal({cfg.path, false, cfg.max_bytes, cfg.max_age});
    ack_mailbox acks;
    ingest_channel channel(channel_capacity);
    std::atomic<bool> fatal{false};
    pipeline pipe(
        cfg, journal, channel, acks,
        [&] {
            fatal = true;
            channel.close();
        },
        rules);
    pipe.start("bench");
    if (!test::wait_until([&] { return journal.committed_seq() >= 1 || fatal; }, 30s, 1ms) ||
        fatal) {
        channel.close();
        pipe.join();
        throw std::runtime_error("the pipeline did not commit its started event");
    }
    const std::int64_t first = journal.committed_seq();
    const auto t0 = clock_type::now();
    for (auto& r : readings) {
        if (!channel.push(std::move(r))) break;
    }
    channel.close();
    pipe.join();
    const double seconds = seconds_between(t0, clock_type::now());
    if (fatal) throw std::runtime_error("the journal failed during the rules run");
    if (journal.committed_seq() - first < static_cast<std::int64_t>(readings.size())) {
        throw std::runtime_error("the pipeline lost readings");
    }
    return seconds;
}

}  // namespace

void bench_rules(const options& opts, table& out) {
    out.section("6. Rules: readings through 1,000 rules, alone and in the pipeline");
    const int n = opts.ingest_normal;
    const auto rules = thousand_rules();
    const auto readings = point_readings(n);

    std::vector<double> engine_rps;
    std::vector<double> plain_rps;
    std::vector<double> ruled_rps;
    std::vector<double> ratios;
    std::size_t alerts = 0;
    for (int round = 0; round < opts.rounds; ++round) {
        const auto e = run_engine(rules, readings);
        engine_rps.push_back(n / e.seconds);
        alerts = e.alerts;
        test::temp_dir dir;
        plain_rps.push_back(n / run_pipeline(dir.file("plain.db"), {}, readings));
        ruled_rps.push_back(n / run_pipeline(dir.file("rules.db"), rules, readings));
        ratios.push_back(ruled_rps.back() / plain_rps.back());
    }
    const auto rounds = static_cast<std::size_t>(opts.rounds);
    const auto engine = summarize(engine_rps);
    const auto plain = summarize(plain_rps);
    const auto ruled = summarize(ruled_rps);
    out.row("readings (100 devices x 10 points), rules", thousands(n) + " / 1,000",
            "readings / rules (980 exact, 20 globs)");
    out.row("  rules engine alone (on_reading, on_tick)", thousands(engine.median),
            unit_with_range("readings/s", engine, rounds));
    out.row("  alerts raised, repeated or cleared per run", thousands(static_cast<double>(alerts)),
            "alert events");
    out.row("  pipeline + journal, no rules (durability normal)", thousands(plain.median),
            unit_with_range("readings/s", plain, rounds));
    out.row("  pipeline + journal, 1,000 rules", thousands(ruled.median),
            unit_with_range("readings/s", ruled, rounds));
    out.row("  ratio with rules / without", fixed(summarize(ratios).median, 2),
            rounds > 1 ? "median of the rounds' ratios" : "");
    out.add_headline({"rules, readings through 1,000 rules (pipeline + journal)",
                      thousands(ruled.median) + " readings/s",
                      thousands(plain.median) + " readings/s (same pipeline, no rules)",
                      fixed(summarize(ratios).median, 2), rerun_command(opts, "rules")});
}

}  // namespace edgegate::bench
