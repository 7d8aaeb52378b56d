// edgegate_bench: the figures of `make bench` (tests/bench/README.md says what each one means).
// It prints and asserts nothing: a slower machine or a busy one gives other numbers, not a failure.
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "gateway/core/clock.hpp"
#include "tests/bench/bench.hpp"
#include "tests/helpers/temp_dir.hpp"

namespace edgegate::bench {
namespace {

std::string first_line_starting(const std::string& file, const std::string& prefix) {
    std::ifstream in(file);
    std::string line;
    while (std::getline(in, line)) {
        if (line.starts_with(prefix)) {
            const auto colon = line.find(':');
            if (colon == std::string::npos) return line;
            const auto start = line.find_first_not_of(" \t", colon + 1);
            return start == std::string::npos ? std::string{} : line.substr(start);
        }
    }
    return "unknown";
}

// "24684096 kB" -> "23.5 GiB"
std::string memory_total() {
    const std::string kb = first_line_starting("/proc/meminfo", "MemTotal");
    try {
        const double gib = std::stod(kb) / (1024.0 * 1024.0);
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.1f GiB", gib);
        return buf;
    } catch (const std::exception&) {
        return kb;
    }
}

std::string load_average() {
    std::ifstream in("/proc/loadavg");
    std::string one, five, fifteen;
    in >> one >> five >> fifteen;
    return one + " " + five + " " + fifteen;
}

// Where the temporary journals live decides what an fsync costs (tmpfs makes `full` free), so
// the figures say which filesystem they were taken on.
std::string temp_filesystem() {
    const char* base = std::getenv("TMPDIR");
    const std::string dir = base != nullptr && *base != '\0' ? base : "/tmp";
    struct statfs fs {};
    if (statfs(dir.c_str(), &fs) != 0) return dir + " (unknown filesystem)";
    std::string type;
    switch (static_cast<unsigned long>(fs.f_type)) {
        case 0xEF53UL:
            type = "ext4";
            break;
        case 0x01021994UL:
            type = "tmpfs";
            break;
        case 0x58465342UL:
            type = "xfs";
            break;
        case 0x9123683EUL:
            type = "btrfs";
            break;
        case 0x794C7630UL:
            type = "overlayfs";
            break;
        default: {
            char hex[32];
            std::snprintf(hex, sizeof hex, "0x%lx", static_cast<unsigned long>(fs.f_type));
            type = hex;
        }
    }
    return dir + " (" + type + ")";
}

// What one small synchronous write costs in the temporary folder: a commit with durability
// full pays about this, so it explains the full/normal gap in the figures.
std::string fsync_median() {
    constexpr int rounds = 50;
    edgegate::test::temp_dir dir;
    const int fd = ::open(dir.file("probe").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return "unknown";
    std::vector<double> ms;
    const std::vector<char> page(4096, 'x');
    for (int i = 0; i < rounds; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        if (::pwrite(fd, page.data(), page.size(), 0) != static_cast<ssize_t>(page.size()) ||
            ::fdatasync(fd) != 0) {
            ::close(fd);
            return "unknown";
        }
        ms.push_back(
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                .count());
    }
    ::close(fd);
    std::sort(ms.begin(), ms.end());
    return fixed(ms[ms.size() / 2], 2) + " ms";
}

void print_machine() {
    utsname u{};
    uname(&u);
    std::printf("edgegate benchmark, %s\n", format_iso8601(wall_clock::now()).c_str());
    std::printf("machine:  %ld cores, %s, %s RAM\n", sysconf(_SC_NPROCESSORS_ONLN),
                first_line_starting("/proc/cpuinfo", "model name").c_str(), memory_total().c_str());
    std::printf("system:   Linux %s, SQLite %s, temp files in %s\n", u.release,
                sqlite3_libversion(), temp_filesystem().c_str());
    std::printf("fsync:    %s median for a 4 KiB write + fdatasync there\n",
                fsync_median().c_str());
    std::printf("build:    %s\n", EDGEGATE_BENCH_BUILD_TYPE);
    std::printf("load avg: %s at start\n", load_average().c_str());
    std::fflush(stdout);
}

bool wanted(const options& opts, const std::string& name) {
    return opts.only.empty() ||
           std::find(opts.only.begin(), opts.only.end(), name) != opts.only.end();
}

}  // namespace
}  // namespace edgegate::bench

int main(int argc, char** argv) {
    using namespace edgegate::bench;
    options opts;
    opts.config = std::string(EDGEGATE_SOURCE_DIR) + "/config/demo.yaml";

    CLI::App app{"edgegate benchmark: prints figures, asserts nothing"};
    app.add_option("--rounds", opts.rounds, "runs of each ingest and forward pair (medians)")
        ->capture_default_str()
        ->check(CLI::Range(1, 100));
    app.add_option("--ingest-full", opts.ingest_full, "readings for the durability=full ingest run")
        ->capture_default_str()
        ->check(CLI::Range(1, 100000000));
    app.add_option("--ingest-normal", opts.ingest_normal,
                   "readings for the durability=normal ingest run")
        ->capture_default_str()
        ->check(CLI::Range(1, 100000000));
    app.add_option("--commit-batch", opts.commit_batch, "journal.commit_batch for the ingest runs")
        ->capture_default_str()
        ->check(CLI::Range(1, 100000));
    app.add_option("--forward-events", opts.forward_events, "events in the pre-filled journal")
        ->capture_default_str()
        ->check(CLI::Range(1, 10000000));
    app.add_option("--window", opts.window, "publishes in flight (mqtt.window)")
        ->capture_default_str()
        ->check(CLI::Range(1, 65535));
    app.add_option("--latency-rate", opts.latency_rate, "readings per second for the latency run")
        ->capture_default_str()
        ->check(CLI::Range(1, 100000));
    app.add_option("--latency-seconds", opts.latency_seconds, "length of the latency run")
        ->capture_default_str()
        ->check(CLI::Range(1, 3600));
    app.add_option("--gateway-seconds", opts.gateway_seconds,
                   "how long the edgegate binary runs the demo configuration")
        ->capture_default_str()
        ->check(CLI::Range(1, 3600));
    app.add_option("--config", opts.config, "configuration for the RSS/CPU figure")
        ->capture_default_str();
    app.add_option("--only", opts.only, "run only these figures")
        ->check(CLI::IsMember({"ingest", "forward", "latency", "gateway", "modbus", "rules"}))
        ->delimiter(',');
    CLI11_PARSE(app, argc, argv);

    // The modules log at info (a journal created, a broker connected); between the rows of the
    // table that is noise, while warnings and errors still say why a figure looks wrong.
    spdlog::set_level(spdlog::level::warn);
    print_machine();
    table out;
    const std::pair<const char*, std::function<void(const options&, table&)>> figures[] = {
        {"ingest", bench_ingest},   {"forward", bench_forward}, {"latency", bench_latency},
        {"gateway", bench_gateway}, {"modbus", bench_modbus},   {"rules", bench_rules},
    };
    int failed = 0;
    for (const auto& [name, run] : figures) {
        if (!wanted(opts, name)) continue;
        // One figure that cannot be taken (a peer that does not start) leaves the others.
        try {
            run(opts, out);
        } catch (const std::exception& e) {
            out.note(std::string("FAILED: ") + e.what());
            ++failed;
        }
    }
    std::printf("\nload avg: %s at end\n", load_average().c_str());
    return failed == 0 ? 0 : 1;
}
