#pragma once

// What every chaos scenario shares: a gateway configuration with simulated and Modbus devices,
// the journal's view of what was committed, and the delivery report each scenario prints
// (lost, duplicated, longest gap). Header only: every .cpp in this folder is a CTest entry.

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "gateway/journal/journal.hpp"
#include "tests/helpers/mqtt_subscriber.hpp"
#include "tests/helpers/process.hpp"
#include "tests/helpers/temp_dir.hpp"
#include "tests/helpers/wait.hpp"

namespace edgegate::test::chaos {

using namespace std::chrono_literals;

// CTest's SKIP_RETURN_CODE for this suite (tests/CMakeLists.txt).
inline constexpr int skipped_exit_code = 77;

// A scenario that cannot run here (not root, no namespaces, no mount) ends the test program
// with the skip code before it has made anything, so CTest reports it skipped, not passed.
[[noreturn]] inline void skip_scenario(const std::string& why) {
    std::cout << "SKIPPED: " << why << std::endl;
    std::exit(skipped_exit_code);
}

// A Modbus TCP device polled from an in-process modbus_server on 127.0.0.1.
struct modbus_device {
    std::string name;
    int port = 0;
    int points = 4;  // holding registers 0..points-1, one request per poll
    std::string poll = "10ms";
    std::string timeout = "200ms";
};

struct scenario_setup {
    std::string dir;  // the configuration's folder; a relative journal path is under it
    std::string uri;
    std::string gateway_id = "chaos-gw";
    int sim_points = 10;  // counter points of device `sim`, each one reading per poll
    std::string sim_poll = "2ms";
    std::vector<modbus_device> modbus{};
    std::string journal = "journal.db";
    std::string durability = "normal";
    std::string max_bytes = "256MiB";
    std::string keepalive = "5s";
    std::string reconnect_max = "1s";
    std::string extra_points{};  // more `sim` point lines, YAML flow mappings
    std::string rules{};         // the `rules:` section's entries, YAML
};

inline std::string journal_file(const scenario_setup& s) {
    return s.journal.starts_with("/") ? s.journal : s.dir + "/" + s.journal;
}

// Writes `<dir>/gateway.yaml` and returns its path.
inline std::string write_config(const scenario_setup& s) {
    const std::string path = s.dir + "/gateway.yaml";
    std::ofstream out(path);
    out << "gateway: { id: " << s.gateway_id << " }\n"
        << "journal:\n  path: " << s.journal << "\n  durability: " << s.durability
        << "\n  max_bytes: " << s.max_bytes << "\n"
        << "mqtt:\n  uri: " << s.uri << "\n  keepalive: " << s.keepalive << "\n"
        << "  reconnect: { min: 100ms, max: " << s.reconnect_max << " }\n"
        << "devices:\n  - name: sim\n    driver: simulated\n    poll: " << s.sim_poll
        << "\n    points:\n";
    for (int i = 0; i < s.sim_points; ++i) {
        out << "      - { name: c" << i << ", signal: counter }\n";
    }
    out << s.extra_points;
    for (const auto& m : s.modbus) {
        out << "  - name: " << m.name << "\n    driver: modbus\n    transport: tcp\n"
            << "    host: 127.0.0.1\n    port: " << m.port << "\n    poll: " << m.poll
            << "\n    timeout: " << m.timeout << "\n    reconnect: { min: 50ms, max: 200ms }\n"
            << "    points:\n";
        for (int i = 0; i < m.points; ++i) {
            out << "      - { name: r" << i << ", table: holding, address: " << i << " }\n";
        }
    }
    if (!s.rules.empty()) out << "rules:\n" << s.rules;
    return path;
}

inline child_process start_gateway(const std::string& config, const std::string& log) {
    return child_process({EDGEGATE_BIN, "run", "-c", config}, log);
}

// The highest seq committed so far; 0 before the gateway has created the journal (no file yet,
// or a file whose schema is not written yet: the reader refuses it).
inline std::int64_t committed(const std::string& journal) {
    if (!std::filesystem::exists(journal)) return 0;
    try {
        journal_reader reader(journal);
        return reader.read_stats().last_seq;
    } catch (const journal_error&) {
        return 0;
    }
}

// The seqs of every event stored in the journal, per lane, in order.
inline std::array<std::vector<std::int64_t>, lane_count> stored_seqs(const std::string& journal) {
    journal_reader reader(journal);
    std::array<std::vector<std::int64_t>, lane_count> out;
    for (int l = 0; l < lane_count; ++l) {
        std::int64_t after = 0;
        while (true) {
            const auto page = reader.read_after(static_cast<lane>(l), after, 10000);
            if (page.empty()) break;
            for (const auto& e : page) out[l].push_back(e.seq);
            after = page.back().seq;
        }
    }
    return out;
}

inline std::vector<std::int64_t> all_of(const std::array<std::vector<std::int64_t>, 2>& lanes) {
    std::vector<std::int64_t> all = lanes[0];
    all.insert(all.end(), lanes[1].begin(), lanes[1].end());
    std::sort(all.begin(), all.end());
    return all;
}

// The forwarder's persisted cursor per lane: every event of the lane up to it was acknowledged
// by the broker (PUBACK).
inline std::array<std::int64_t, lane_count> cursors(const std::string& journal) {
    journal_reader reader(journal);
    return {reader.cursor(forwarder_cursor, lane::high),
            reader.cursor(forwarder_cursor, lane::normal)};
}

inline std::string read_text(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

// How many lines of `path` contain `needle` (the gateway's log: connects, losses).
inline int count_lines(const std::string& path, const std::string& needle) {
    std::ifstream in(path);
    std::string line;
    int n = 0;
    while (std::getline(in, line)) n += line.find(needle) != std::string::npos ? 1 : 0;
    return n;
}

inline constexpr const char* link_lost_line = "connection to the broker lost";

// After the broker went away: waits until the gateway has logged the loss and committed once
// more, so that the persisted cursors are the last PUBACKs it received.
inline bool wait_acks_settled(const std::string& journal, const std::string& log,
                              int losses_before) {
    if (!wait_until([&] { return count_lines(log, link_lost_line) > losses_before; }, 30s, 20ms)) {
        return false;
    }
    const auto c = committed(journal);
    return wait_until([&] { return committed(journal) > c; }, 10s, 20ms);
}

// What a scenario prints: of the seqs it checks, those the subscriber never received, extra
// copies of them, and the longest silence between two consecutive messages that carry a seq.
struct delivery_report {
    std::size_t checked = 0;
    std::vector<std::int64_t> lost;
    std::int64_t duplicated = 0;
    double longest_gap_s = 0;
};

inline delivery_report check_delivery(const mqtt_subscriber& sub,
                                      const std::vector<std::int64_t>& seqs) {
    delivery_report r;
    r.checked = seqs.size();
    const auto counts = sub.seq_counts();
    for (const auto s : seqs) {
        const auto it = counts.find(s);
        if (it == counts.end()) {
            r.lost.push_back(s);
        } else {
            r.duplicated += it->second - 1;
        }
    }
    std::optional<std::chrono::steady_clock::time_point> last;
    for (const auto& m : sub.messages()) {
        if (m.payload.find("\"seq\":") == std::string::npos) continue;
        if (last) {
            r.longest_gap_s = std::max(r.longest_gap_s,
                                       std::chrono::duration<double>(m.received - *last).count());
        }
        last = m.received;
    }
    return r;
}

inline void print_report(const std::string& scenario, const delivery_report& r,
                         const std::string& extra = {}) {
    std::cout << "chaos " << scenario << ": " << r.checked << " committed seqs checked, lost "
              << r.lost.size() << ", duplicated " << r.duplicated << ", longest gap " << std::fixed
              << std::setprecision(2) << r.longest_gap_s << " s"
              << (extra.empty() ? "" : "; " + extra) << std::endl;
}

// Waits until every seq of `seqs` has arrived at `sub`.
inline bool all_arrived(const mqtt_subscriber& sub, const std::vector<std::int64_t>& seqs,
                        std::chrono::milliseconds deadline) {
    return wait_until(
        [&] {
            const auto counts = sub.seq_counts();
            return std::all_of(seqs.begin(), seqs.end(),
                               [&](std::int64_t s) { return counts.contains(s); });
        },
        deadline, 200ms);
}

}  // namespace edgegate::test::chaos
