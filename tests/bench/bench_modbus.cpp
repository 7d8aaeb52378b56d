// Figure 5: how many points per second the Modbus driver polls from a loopback TCP server with
// coalescing, beside the same points read one request per point, and the driver's CPU time per
// 10,000 points for each, in the same run.
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "drivers/registry.hpp"
#include "gateway/core/diagnostics.hpp"
#include "gateway/core/yaml_section.hpp"
#include "tests/bench/bench.hpp"
#include "tests/helpers/modbus_server.hpp"
#include "tests/helpers/wait.hpp"

namespace edgegate::bench {
namespace {

using namespace std::chrono_literals;

// 1000 float32 and 1000 uint16 points over 3000 holding registers: 25 requests when coalesced
// (a float32 does not straddle two requests).
// That many, so that even a coalesced poll takes longer than the shortest poll period (1 ms)
// and both figures say how fast the driver can go, not how often it was asked to.
constexpr int float_points = 1000;
constexpr int word_points = 1000;
constexpr auto run_length = 3s;

std::chrono::nanoseconds process_cpu() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    const auto tv = [](const timeval& t) {
        return std::chrono::seconds(t.tv_sec) + std::chrono::microseconds(t.tv_usec);
    };
    return tv(u.ru_utime) + tv(u.ru_stime);
}

std::unique_ptr<driver> make_device(int port, bool coalesce) {
    std::string yaml =
        "name: bench\ndriver: modbus\nhost: 127.0.0.1\nport: " + std::to_string(port) +
        "\npoll: 1ms\ntimeout: 1s\ncoalesce: " + (coalesce ? "true" : "false") + "\npoints:\n";
    for (int i = 0; i < float_points; ++i) {
        yaml += "  - { name: f" + std::to_string(i) + ", address: " + std::to_string(2 * i) +
                ", type: float32 }\n";
    }
    for (int i = 0; i < word_points; ++i) {
        yaml += "  - { name: w" + std::to_string(i) +
                ", address: " + std::to_string(2 * float_points + i) + " }\n";
    }
    diagnostics diag("bench.yaml");
    const YAML::Node node = YAML::Load(yaml);
    yaml_section section(node, "devices[0]", diag);
    const std::string name = section.required_str("name");
    section.required_str("driver");
    auto d = make_driver("modbus", name, section);
    if (!d) throw std::runtime_error("the benchmark's Modbus device is invalid");
    return d;
}

struct run_result {
    double points_per_second = 0;
    double polls_per_second = 0;
    double requests_per_poll = 0;
    double cpu_per_10k = 0;  // the driver's side: the process minus the server's thread
};

run_result poll_for_a_while(test::modbus_server& server, bool coalesce) {
    const auto device = make_device(server.port(), coalesce);
    std::atomic<std::uint64_t> readings{0};
    device->start([&](ingest_item&&) {
        readings.fetch_add(1, std::memory_order_relaxed);
        return true;
    });
    // The first poll connects; measuring starts once readings flow.
    if (!test::wait_until([&] { return readings.load() > 0; }, 10s)) {
        device->stop();
        throw std::runtime_error("the Modbus driver delivered nothing from " + server.describe());
    }
    server.clear_requests();
    const auto n0 = readings.load();
    const auto cpu0 = process_cpu();
    const auto server_cpu0 = server.serving_cpu();
    const auto t0 = std::chrono::steady_clock::now();
    test::wait_until([&] { return std::chrono::steady_clock::now() - t0 >= run_length; },
                     run_length + 1s);
    const auto n = static_cast<double>(readings.load() - n0);
    const auto elapsed = seconds_between(t0, std::chrono::steady_clock::now());
    const auto cpu = process_cpu() - cpu0 - (server.serving_cpu() - server_cpu0);
    const auto requests = static_cast<double>(server.request_count());
    device->stop();

    run_result r;
    r.points_per_second = n / elapsed;
    r.polls_per_second = r.points_per_second / (float_points + word_points);
    r.requests_per_poll = requests / (n / (float_points + word_points));
    r.cpu_per_10k = std::chrono::duration<double>(cpu).count() / n * 10000;
    return r;
}

}  // namespace

void bench_modbus(const options& opts, table& out) {
    out.section("5. Modbus: points polled from a loopback TCP server, coalesced vs one per point");
    test::modbus_server server;
    std::vector<double> coalesced, single, coalesced_cpu, single_cpu, ratios, coalesced_polls;
    double coalesced_requests = 0;
    double single_requests = 0;
    for (int round = 0; round < opts.rounds; ++round) {
        const run_result c = poll_for_a_while(server, true);
        const run_result s = poll_for_a_while(server, false);
        coalesced.push_back(c.points_per_second);
        coalesced_polls.push_back(c.polls_per_second);
        single.push_back(s.points_per_second);
        coalesced_cpu.push_back(c.cpu_per_10k);
        single_cpu.push_back(s.cpu_per_10k);
        ratios.push_back(c.points_per_second / s.points_per_second);
        coalesced_requests = c.requests_per_poll;
        single_requests = s.requests_per_poll;
    }
    const auto rounds = static_cast<std::size_t>(opts.rounds);
    out.row("points per poll (1000 float32 + 1000 uint16, 3000 registers)",
            thousands(float_points + word_points), "points");
    out.row("coalesced: requests per poll", fixed(coalesced_requests, 1), "requests");
    out.row("  points polled", thousands(summarize(coalesced).median),
            unit_with_range("points/s", summarize(coalesced), rounds));
    out.row("  polls", fixed(summarize(coalesced_polls).median, 0),
            "polls/s (poll: 1ms would allow 1,000)");
    out.row("  driver CPU", fixed(summarize(coalesced_cpu).median, 4), "CPU s per 10,000 points");
    out.row("one request per point: requests per poll", fixed(single_requests, 1), "requests");
    out.row("  points polled", thousands(summarize(single).median),
            unit_with_range("points/s", summarize(single), rounds));
    out.row("  driver CPU", fixed(summarize(single_cpu).median, 4), "CPU s per 10,000 points");
    out.row("ratio coalesced / one per point", fixed(summarize(ratios).median, 1),
            rounds > 1 ? "median of the rounds' ratios" : "");
    out.add_headline({"Modbus TCP polling, 2,000 points, coalesced requests",
                      thousands(summarize(coalesced).median) + " points/s",
                      thousands(summarize(single).median) + " points/s (one request per point)",
                      fixed(summarize(ratios).median, 1), rerun_command(opts, "modbus")});
}

}  // namespace edgegate::bench
