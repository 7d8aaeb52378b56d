// Figure 4, footprint: peak RSS and CPU of the real `edgegate` binary running the demo
// configuration (pointed at a test broker and a temporary journal) for a fixed time.
#include <signal.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>

#include "tests/bench/bench.hpp"
#include "tests/helpers/mosquitto.hpp"
#include "tests/helpers/mqtt_subscriber.hpp"
#include "tests/helpers/process.hpp"
#include "tests/helpers/temp_dir.hpp"
#include "tests/helpers/wait.hpp"

namespace edgegate::bench {
namespace {

using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr auto sample_every = 100ms;
constexpr auto stop_deadline = 15s;

// A field of /proc/<pid>/status in KiB ("VmHWM", "VmRSS"), -1 when the process is gone.
long status_kib(pid_t pid, const std::string& field) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.starts_with(field + ":")) return std::stol(line.substr(field.size() + 1));
    }
    return -1;
}

// utime + stime of /proc/<pid>/stat in clock ticks, -1 when the process is gone. The command
// name (field 2) may contain spaces, so fields are counted after its closing parenthesis.
long long cpu_ticks(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto close = text.rfind(')');
    if (close == std::string::npos) return -1;
    std::istringstream fields(text.substr(close + 2));
    std::string field;
    long long utime = 0;
    long long stime = 0;
    // After the name: state(3) ... utime(14) stime(15).
    for (int i = 3; i <= 15 && fields >> field; ++i) {
        if (i == 14) utime = std::stoll(field);
        if (i == 15) stime = std::stoll(field);
    }
    return utime + stime;
}

// The demo configuration with its broker and journal replaced; everything else as shipped.
std::string rewrite_config(const std::string& demo, const std::string& uri,
                           const std::string& journal, const std::string& out_path) {
    YAML::Node cfg = YAML::LoadFile(demo);
    cfg["mqtt"]["uri"] = uri;
    cfg["journal"]["path"] = journal;
    std::ofstream(out_path) << cfg << '\n';
    return out_path;
}

std::size_t count_points(const std::string& demo) {
    const YAML::Node cfg = YAML::LoadFile(demo);
    std::size_t n = 0;
    for (const auto& device : cfg["devices"]) n += device["points"].size();
    return n;
}

}  // namespace

void bench_gateway(const options& opts, table& out) {
    out.section("4. Footprint: the edgegate binary running " +
                std::filesystem::path(opts.config).filename().string());
    if (!std::filesystem::exists(opts.config)) {
        throw std::runtime_error("no configuration at " + opts.config);
    }
    if (!std::filesystem::exists(EDGEGATE_BIN)) {
        throw std::runtime_error("no gateway binary at " EDGEGATE_BIN);
    }
    test::mosquitto_broker broker(false);
    test::temp_dir dir;
    const auto config =
        rewrite_config(opts.config, broker.uri(), dir.file("journal.db"), dir.file("demo.yaml"));
    test::mqtt_subscriber sub(broker.uri(), "edgegate/#", "edgegate-bench-sub-demo");

    test::child_process gw({EDGEGATE_BIN, "run", "-c", config}, dir.file("edgegate.log"));
    const auto t0 = clock_type::now();
    const auto end = t0 + std::chrono::seconds(opts.gateway_seconds);
    long peak_rss = 0;
    long last_rss = 0;
    long long ticks = 0;
    // Sampling on a fixed schedule for the whole run, the last sample at its very end: this
    // loop is the load profile.
    for (auto next = t0 + sample_every; gw.running(); next += sample_every) {
        std::this_thread::sleep_until(std::min(next, end));
        const long hwm = status_kib(gw.pid(), "VmHWM");
        const long rss = status_kib(gw.pid(), "VmRSS");
        const long long t = cpu_ticks(gw.pid());
        if (hwm < 0 || t < 0) break;
        peak_rss = std::max(peak_rss, hwm);
        last_rss = rss;
        ticks = t;
        if (next >= end) break;
    }
    const auto t1 = clock_type::now();
    const bool survived = gw.running();
    const std::size_t received = sub.count();

    const auto stop_start = clock_type::now();
    gw.signal(SIGTERM);
    const auto exit_code = gw.wait_exit(stop_deadline);
    const auto stop_end = clock_type::now();
    if (!exit_code) gw.signal(SIGKILL);
    if (!survived) {
        throw std::runtime_error("edgegate exited early (log: " + dir.file("edgegate.log") + ")");
    }

    const double wall = seconds_between(t0, t1);
    const double cpu_seconds =
        static_cast<double>(ticks) / static_cast<double>(sysconf(_SC_CLK_TCK));
    out.row("run time, " + std::to_string(count_points(opts.config)) + " simulated points",
            fixed(wall, 1), "s");
    out.row("  peak RSS (VmHWM)", thousands(static_cast<double>(peak_rss)), "KiB");
    out.row("  RSS at the end (VmRSS)", thousands(static_cast<double>(last_rss)), "KiB");
    out.row("  CPU time (user+system)", fixed(cpu_seconds, 2), "s");
    out.row("  CPU time / run time", fixed(100.0 * cpu_seconds / wall, 2), "% of one core");
    out.row("  messages at the subscriber", thousands(static_cast<double>(received)), "messages");
    out.row(
        "  SIGTERM to exit (exit code " + (exit_code ? std::to_string(*exit_code) : "none") + ")",
        fixed(seconds_between(stop_start, stop_end), 2), "s");
}

}  // namespace edgegate::bench
