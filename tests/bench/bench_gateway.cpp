// Figure 4, footprint: RSS and CPU of the real `edgegate` binary polling Modbus points from a
// loopback server every 100 ms and forwarding every reading to a local mosquitto, beside the
// same gateway with no device (its floor) and the Modbus server's own CPU, in the same run.
#include <unistd.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "tests/bench/bench.hpp"
#include "tests/bench/gateway_process.hpp"
#include "tests/bench/process_sampler.hpp"
#include "tests/bench/timing_subscriber.hpp"
#include "tests/helpers/modbus_server.hpp"
#include "tests/helpers/mosquitto.hpp"
#include "tests/helpers/temp_dir.hpp"
#include "tests/helpers/wait.hpp"

namespace edgegate::bench {
namespace {

using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr const char* gateway_id = "bench-footprint";
constexpr auto ready_deadline = 30s;

// One device of `points` uint16 holding registers, polled every 100 ms without a deadband, so
// every poll forwards every point.
std::string modbus_device(int port, int points) {
    std::string yaml = "  - name: plc\n    driver: modbus\n    host: 127.0.0.1\n    port: " +
                       std::to_string(port) + "\n    poll: 100ms\n    timeout: 1s\n    points:\n";
    for (int i = 0; i < points; ++i) {
        yaml +=
            "      - { name: r" + std::to_string(i) + ", address: " + std::to_string(i) + " }\n";
    }
    return yaml;
}

struct footprint {
    process_usage usage;
    double messages_per_second = 0;
    double requests_per_second = 0;
    double server_cpu_seconds = 0;
    gateway_process::stopped stop;
};

footprint run(const options& opts, const std::string& devices_yaml, test::modbus_server& server,
              const std::string& name, bool expect_messages) {
    test::mosquitto_broker broker(false);
    test::temp_dir dir;
    timing_subscriber sub(broker.uri(), std::string("edgegate/") + gateway_id + "/data/#",
                          "edgegate-bench-footprint-" + name);
    const auto config = write_config(dir.path(), name, gateway_id, dir.file("journal.db"),
                                     broker.uri(), devices_yaml);
    gateway_process gw(config, dir.path());
    if (!gw.wait_ready(ready_deadline)) {
        throw std::runtime_error("edgegate sent no READY=1 (log: " + gw.log() + ")");
    }
    // Measured once the forwarder delivers, not during the connection set-up.
    if (expect_messages && !test::wait_until([&] { return sub.count() > 0; }, ready_deadline)) {
        throw std::runtime_error("nothing arrived from edgegate (log: " + gw.log() + ")");
    }
    footprint f;
    const auto messages0 = sub.count();
    server.clear_requests();
    const auto server_cpu0 = server.serving_cpu();
    f.usage =
        sample_process(gw.pid(), clock_type::now() + std::chrono::seconds(opts.gateway_seconds));
    const auto messages = static_cast<double>(sub.count() - messages0);
    const auto requests = static_cast<double>(server.request_count());
    f.server_cpu_seconds =
        std::chrono::duration<double>(server.serving_cpu() - server_cpu0).count();
    f.stop = gw.stop();
    if (f.usage.exited) throw std::runtime_error("edgegate exited early (log: " + gw.log() + ")");
    f.messages_per_second = messages / f.usage.wall_seconds;
    f.requests_per_second = requests / f.usage.wall_seconds;
    return f;
}

double cpu_percent(double cpu_seconds, double wall_seconds) {
    return 100.0 * cpu_seconds / wall_seconds;
}

void rows(table& out, const footprint& f) {
    out.row("  peak RSS (VmHWM)", thousands(static_cast<double>(f.usage.peak_rss_kib)), "KiB");
    out.row("  RSS at the end (VmRSS)", thousands(static_cast<double>(f.usage.last_rss_kib)),
            "KiB");
    out.row("  CPU time / run time",
            fixed(cpu_percent(f.usage.cpu_seconds, f.usage.wall_seconds), 2), "% of one core");
    out.row("  readings at the subscriber", thousands(f.messages_per_second), "per second");
    out.row("  SIGTERM to exit (exit code " +
                (f.stop.exit_code ? std::to_string(*f.stop.exit_code) : "none") + ")",
            fixed(f.stop.seconds, 2), "s");
}

}  // namespace

void bench_gateway(const options& opts, table& out) {
    const int points = opts.modbus_points;
    out.section("4. Footprint: the edgegate binary polling " + thousands(points) +
                " Modbus points every 100 ms and forwarding them");
    test::modbus_server server;
    std::vector<std::uint16_t> values(static_cast<std::size_t>(points));
    for (std::size_t i = 0; i < values.size(); ++i) values[i] = static_cast<std::uint16_t>(i);
    server.set_registers(modbus_table::holding, 0, values);

    const auto busy = run(opts, modbus_device(server.port(), points), server, "modbus", true);
    const auto idle = run(opts, "", server, "idle", false);

    out.row("gateway polling and forwarding, run time", fixed(busy.usage.wall_seconds, 1), "s");
    rows(out, busy);
    out.row("  Modbus requests answered by the server", fixed(busy.requests_per_second, 1),
            "per second");
    out.row("  Modbus server's own CPU (its serving thread)",
            fixed(cpu_percent(busy.server_cpu_seconds, busy.usage.wall_seconds), 2),
            "% of one core");
    out.row("idle gateway (no device, same broker), run time", fixed(idle.usage.wall_seconds, 1),
            "s");
    rows(out, idle);
    const double busy_cpu = cpu_percent(busy.usage.cpu_seconds, busy.usage.wall_seconds);
    const double idle_cpu = cpu_percent(idle.usage.cpu_seconds, idle.usage.wall_seconds);
    const double server_cpu = cpu_percent(busy.server_cpu_seconds, busy.usage.wall_seconds);
    out.row("ratio polling / idle, peak RSS",
            ratio_text(static_cast<double>(busy.usage.peak_rss_kib),
                       static_cast<double>(idle.usage.peak_rss_kib)),
            "");
    out.row("ratio polling gateway CPU / Modbus server CPU", ratio_text(busy_cpu, server_cpu), "");
    out.add_headline(
        {"footprint, " + thousands(points) + " Modbus points every 100 ms, forwarded (" +
             thousands(busy.messages_per_second) + " readings/s)",
         thousands(static_cast<double>(busy.usage.peak_rss_kib)) + " KiB peak RSS, " +
             fixed(busy_cpu, 2) + " % CPU",
         "idle gateway: " + thousands(static_cast<double>(idle.usage.peak_rss_kib)) + " KiB, " +
             fixed(idle_cpu, 2) + " % CPU; Modbus server: " + fixed(server_cpu, 2) + " % CPU",
         ratio_text(static_cast<double>(busy.usage.peak_rss_kib),
                    static_cast<double>(idle.usage.peak_rss_kib)) +
             " (RSS vs idle), " + ratio_text(busy_cpu, idle_cpu) + " (CPU vs idle)",
         rerun_command(opts, "gateway")});
}

}  // namespace edgegate::bench
