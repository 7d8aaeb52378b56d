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
#include <stdexcept>
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

// Where the figures come from, printed first and repeated in the report.
struct machine {
    std::string date;
    std::string hardware;
    std::string system;
    std::string fsync;
    std::string load_start;
};

machine describe_machine() {
    utsname u{};
    uname(&u);
    machine m;
    m.date = format_iso8601(wall_clock::now());
    m.load_start = load_average();
    m.hardware = std::to_string(sysconf(_SC_NPROCESSORS_ONLN)) + " cores, " +
                 first_line_starting("/proc/cpuinfo", "model name") + ", " + memory_total() +
                 " RAM";
    m.system = std::string("Linux ") + u.release + ", SQLite " + sqlite3_libversion() +
               ", temp files in " + temp_filesystem();
    m.fsync = fsync_median();
    return m;
}

void print_machine(const machine& m, table& out) {
    out.text("edgegate benchmark, " + m.date);
    out.text("machine:  " + m.hardware);
    out.text("system:   " + m.system);
    out.text("fsync:    " + m.fsync + " median for a 4 KiB write + fdatasync there");
    out.text(std::string("build:    ") + EDGEGATE_BENCH_BUILD_TYPE);
    out.text("load avg: " + m.load_start + " at start");
}

// A Markdown table cell: a '|' would end it.
std::string cell(const std::string& s) {
    std::string out;
    for (const char c : s) {
        if (c == '|') out += '\\';
        out += c;
    }
    return out;
}

std::string summary_markdown(const table& out) {
    std::string md =
        "| line | figure | baseline, same run | ratio | rerun this line |\n"
        "|---|---|---|---|---|\n";
    for (const auto& h : out.headlines()) {
        const std::string command = h.command.empty() ? "" : "`" + cell(h.command) + "`";
        md += "| " + cell(h.line) + " | " + cell(h.figure) + " | " + cell(h.baseline) + " | " +
              cell(h.ratio) + " | " + command + " |\n";
    }
    return md;
}

void write_report(const std::string& path, const options& opts, const machine& m,
                  const std::string& load_end, const table& out) {
    std::ofstream md(path);
    md << "# edgegate benchmarks\n\n"
       << "Written by `make bench` (`bash tests/bench/run.sh build/release --report "
          "BENCHMARKS.md`),\nwhich rewrites this file: rerun it rather than edit it. "
          "[tests/bench/README.md](tests/bench/README.md)\nsays what each figure measures and "
          "how to read it. Figures are printed, nothing is asserted.\n\n"
       << "## Machine\n\n"
       << "* taken: " << m.date << (opts.quick ? " with `--quick` (scaled down)" : "") << "\n"
       << "* machine: " << m.hardware << "\n"
       << "* system: " << m.system << "\n"
       << "* fsync: " << m.fsync << " median for a 4 KiB write + fdatasync in the temp folder\n"
       << "* build: " << EDGEGATE_BENCH_BUILD_TYPE << "\n"
       << "* load average (1, 5, 15 min): " << m.load_start << " at start, " << load_end
       << " at end; a machine shared with other work gives noisy figures, the ratios of a "
          "figure and its baseline taken side by side are the comparable part\n\n"
       << "## Summary\n\n"
       << summary_markdown(out) << "\n"
       << "Each line reruns alone with its command (which prints the same figures without "
          "rewriting\nthis file); `make bench` reruns them all. `--help` lists the flags that "
          "scale each figure.\n\n"
       << "## Full output\n\n```text\n"
       << out.transcript() << "```\n";
    if (!md) throw std::runtime_error("could not write " + path);
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
    app.add_option("--batch", opts.batch,
                   "mqtt.batch of the forward and backlog lines with batch mode on")
        ->capture_default_str()
        ->check(CLI::Range(2, 1000));
    app.add_option("--rate-limit", opts.rate_limit,
                   "mqtt.rate_limit (messages/s) of the forward line with a rate limit")
        ->capture_default_str()
        ->check(CLI::Range(1, 1000000));
    app.add_option("--rate-seconds", opts.rate_seconds,
                   "how long the rate-limited publish rate is measured")
        ->capture_default_str()
        ->check(CLI::Range(1, 3600));
    app.add_option("--latency-rate", opts.latency_rate, "readings per second for the latency run")
        ->capture_default_str()
        ->check(CLI::Range(1, 100000));
    app.add_option("--latency-seconds", opts.latency_seconds, "length of the latency run")
        ->capture_default_str()
        ->check(CLI::Range(1, 3600));
    app.add_option("--gateway-seconds", opts.gateway_seconds,
                   "how long each edgegate run of the footprint figure lasts")
        ->capture_default_str()
        ->check(CLI::Range(1, 3600));
    app.add_option("--modbus-points", opts.modbus_points,
                   "Modbus points the footprint figure polls every 100 ms")
        ->capture_default_str()
        ->check(CLI::Range(1, 2000));
    app.add_option("--backlog-events", opts.backlog_events,
                   "undelivered events in the journal of the backlog and start-up figures")
        ->capture_default_str()
        ->check(CLI::Range(1, 100000000));
    app.add_flag("--quick", opts.quick,
                 "one round and about a tenth of every count not given explicitly (a minute or "
                 "two instead of about ten)");
    app.add_option("--report", opts.report,
                   "also write the figures as Markdown to this file (make bench: BENCHMARKS.md)");
    app.add_option("--only", opts.only, "run only these figures")
        ->check(CLI::IsMember(
            {"ingest", "forward", "latency", "gateway", "modbus", "rules", "backlog", "startup"}))
        ->delimiter(',');
    CLI11_PARSE(app, argc, argv);
    if (opts.quick) {
        const auto scale = [&app](const char* flag, int& value, int quick_value) {
            if (app.count(flag) == 0) value = quick_value;
        };
        scale("--rounds", opts.rounds, 1);
        scale("--ingest-full", opts.ingest_full, 20000);
        scale("--ingest-normal", opts.ingest_normal, 20000);
        scale("--forward-events", opts.forward_events, 10000);
        scale("--rate-seconds", opts.rate_seconds, 2);
        scale("--latency-seconds", opts.latency_seconds, 5);
        scale("--gateway-seconds", opts.gateway_seconds, 5);
        scale("--backlog-events", opts.backlog_events, 100000);
    }

    // The modules log at info (a journal created, a broker connected); between the rows of the
    // table that is noise, while warnings and errors still say why a figure looks wrong.
    spdlog::set_level(spdlog::level::warn);
    table out;
    const machine m = describe_machine();
    print_machine(m, out);
    const std::pair<const char*, std::function<void(const options&, table&)>> figures[] = {
        {"ingest", bench_ingest},   {"forward", bench_forward}, {"latency", bench_latency},
        {"gateway", bench_gateway}, {"modbus", bench_modbus},   {"rules", bench_rules},
    };
    // Start-up and backlog are one function: they share a journal that takes a while to fill.
    const bool journal_figures = wanted(opts, "backlog") || wanted(opts, "startup");
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
    if (journal_figures) {
        try {
            bench_journal_figures(opts, out);
        } catch (const std::exception& e) {
            out.note(std::string("FAILED: ") + e.what());
            ++failed;
        }
    }
    const std::string load_end = load_average();
    out.text("");
    out.text("load avg: " + load_end + " at end");
    std::printf("\nSummary\n%s", summary_markdown(out).c_str());
    if (!opts.report.empty()) {
        try {
            write_report(opts.report, opts, m, load_end, out);
            std::printf("\nreport written to %s\n", opts.report.c_str());
        } catch (const std::exception& e) {
            std::fprintf(stderr, "%s\n", e.what());
            ++failed;
        }
    }
    return failed == 0 ? 0 : 1;
}
