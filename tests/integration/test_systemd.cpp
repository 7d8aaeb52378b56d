// The systemd unit and the notify protocol: the unit passes `systemd-analyze verify` and rates
// "OK" or better in `systemd-analyze security`, the sysusers snippet creates what the unit
// names, and the real gateway says READY=1, sends keep-alives (also while the broker is away),
// a STATUS= line and STOPPING=1 on a NOTIFY_SOCKET of the test's own.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <regex>
#include <sstream>

#include "tests/helpers/mosquitto.hpp"
#include "tests/helpers/process.hpp"
#include "tests/helpers/temp_dir.hpp"
#include "tests/unit/service/notify_listener.hpp"

using namespace edgegate::test;
using namespace std::chrono_literals;

namespace {

const std::string unit_file = std::string(EDGEGATE_SOURCE_DIR) + "/systemd/edgegate.service";
const std::string sysusers_file = std::string(EDGEGATE_SOURCE_DIR) + "/systemd/edgegate.sysusers";

// Short, so a test sees many keep-alives; long enough for the forwarder's one-second waits.
constexpr auto watchdog_usec = "2000000";

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

struct command_result {
    int exit_code;
    std::string output;  // stdout and stderr
};

command_result run_command(std::vector<std::string> argv, const temp_dir& dir) {
    const std::string log = dir.file("command.log");
    std::remove(log.c_str());
    child_process p(std::move(argv), log, {"SYSTEMD_COLORS=0", "SYSTEMD_PAGER="});
    const auto rc = p.wait_exit(60s);
    REQUIRE_MESSAGE(rc.has_value(), "command did not finish within 60 s");
    return {*rc, read_file(log)};
}

// The unit as installed, but starting the gateway just built (verify checks that ExecStart=
// exists and is executable).
std::string unit_for_this_build(const temp_dir& dir) {
    std::string unit = read_file(unit_file);
    const std::string installed = "ExecStart=/usr/bin/edgegate ";
    const auto pos = unit.find(installed);
    REQUIRE(pos != std::string::npos);
    unit.replace(pos, installed.size(), std::string("ExecStart=") + EDGEGATE_BIN + " ");
    const std::string path = dir.file("edgegate.service");
    std::ofstream(path) << unit;
    return path;
}

std::string dev_ino(const std::string& path) {
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    return std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
}

// A gateway of one slow simulated device, the journal in `dir`, the broker at `uri`.
std::string write_config(const temp_dir& dir, const std::string& uri, const std::string& min) {
    const std::string path = dir.file("gateway.yaml");
    std::ofstream(path) << "gateway: { id: sd-gw }\n"
                        << "journal: { path: journal.db, durability: normal }\n"
                        << "mqtt:\n  uri: " << uri << "\n  reconnect: { min: " << min
                        << ", max: 30s }\n"
                        << "devices:\n  - name: sim\n    driver: simulated\n    poll: 100ms\n"
                        << "    points:\n      - { name: c0, signal: counter }\n";
    return path;
}

// The gateway as systemd starts it: NOTIFY_SOCKET, WATCHDOG_USEC, and stderr a stream that
// JOURNAL_STREAM names (here the log file, which the child appends to).
child_process start_gateway(const temp_dir& dir, const std::string& config,
                            const notify_listener& sd) {
    const std::string log = dir.file("gateway.log");
    std::ofstream{log};
    return child_process(
        {EDGEGATE_BIN, "run", "-c", config}, log,
        {"NOTIFY_SOCKET=" + sd.path(), std::string("WATCHDOG_USEC=") + watchdog_usec,
         "JOURNAL_STREAM=" + dev_ino(log)});
}

}  // namespace

TEST_CASE("systemd-analyze verify accepts the unit") {
    temp_dir dir;
    const auto r = run_command({"systemd-analyze", "verify", unit_for_this_build(dir)}, dir);
    CHECK_MESSAGE(r.exit_code == 0, r.output);
    // Warnings (an unknown key, a bad value) leave the exit code 0 but print.
    CHECK_MESSAGE(r.output.empty(), r.output);
}

TEST_CASE("systemd-analyze security rates the unit OK or better") {
    temp_dir dir;
    const auto r = run_command(
        {"systemd-analyze", "security", "--offline=true", "--no-pager", unit_for_this_build(dir)},
        dir);
    REQUIRE_MESSAGE(r.exit_code == 0, r.output);
    // "→ Overall exposure level for edgegate.service: 1.6 OK 🙂"; systemd's scale (0-10, lower
    // is better): PERFECT 0, SAFE below 1, OK below 5, then MEDIUM, EXPOSED, UNSAFE, DANGEROUS.
    std::smatch m;
    REQUIRE_MESSAGE(std::regex_search(r.output, m,
                                      std::regex(R"(Overall exposure level for edgegate\.service: )"
                                                 R"(([0-9]+\.[0-9]) ([A-Z]+))")),
                    r.output);
    std::cout << "systemd-analyze security: exposure " << m[1] << " " << m[2] << "\n";
    CHECK(std::stod(m[1]) < 5.0);
    const std::string rating = m[2];
    CHECK_MESSAGE((rating == "OK" || rating == "SAFE" || rating == "PERFECT"), rating);
}

TEST_CASE("the sysusers snippet creates the user and every group the unit names") {
    temp_dir dir;
    // A Debian base system: dialout exists, gpio does not.
    const std::string root = dir.file("root");
    ::mkdir(root.c_str(), 0755);
    ::mkdir((root + "/etc").c_str(), 0755);
    std::ofstream(root + "/etc/passwd") << "root:x:0:0:root:/root:/bin/bash\n";
    std::ofstream(root + "/etc/group") << "root:x:0:\ndialout:x:20:\n";
    const auto r = run_command({"systemd-sysusers", "--root=" + root, sysusers_file}, dir);
    REQUIRE_MESSAGE(r.exit_code == 0, r.output);

    const std::string passwd = read_file(root + "/etc/passwd");
    const std::string group = read_file(root + "/etc/group");
    CHECK_MESSAGE(std::regex_search(passwd, std::regex("^edgegate:x:[0-9]+:[0-9]+:.*:/usr/sbin/"
                                                       "nologin$",
                                                       std::regex::multiline)),
                  passwd);

    std::smatch m;
    const std::string unit = read_file(unit_file);
    REQUIRE(std::regex_search(unit, m, std::regex("\nSupplementaryGroups=([^\n]*)")));
    std::istringstream names(m[1].str() + " edgegate");
    for (std::string name; names >> name;) {
        CHECK_MESSAGE(
            std::regex_search(group, std::regex("^" + name + ":x:[0-9]+:", std::regex::multiline)),
            "group " << name << " missing:\n"
                     << group);
    }
    CHECK(std::regex_search(group, std::regex("^dialout:x:20:edgegate$", std::regex::multiline)));
}

TEST_CASE("the gateway speaks the notify protocol from READY=1 to STOPPING=1") {
    temp_dir dir;
    notify_listener sd(dir.file("notify"));
    mosquitto_broker broker;
    auto gw = start_gateway(dir, write_config(dir, broker.uri(), "100ms"), sd);

    const auto ready = sd.receive(30s);
    REQUIRE_MESSAGE(ready.has_value(), read_file(dir.file("gateway.log")));
    CHECK(*ready == "READY=1");
    const auto status = sd.wait_for("STATUS=broker connected", 15s, true);
    REQUIRE_MESSAGE(status.has_value(), read_file(dir.file("gateway.log")));
    CHECK_MESSAGE(std::regex_match(*status, std::regex(R"(STATUS=broker connected, \d+ event\(s\) )"
                                                       R"(waiting in the journal.*)")),
                  *status);
    for (int i = 0; i < 3; ++i) REQUIRE(sd.wait_for("WATCHDOG=1", 5s));

    gw.signal(SIGTERM);
    CHECK(sd.wait_for("STOPPING=1", 15s));
    CHECK(gw.wait_exit(15s) == 0);

    // The log went to "the journal": a priority prefix on every line, no timestamps.
    const std::string log = read_file(dir.file("gateway.log"));
    CHECK_MESSAGE(std::regex_match(log, std::regex(R"((<[2-7]>[^\[<\n][^\n]*\n)+)")), log);
    CHECK_MESSAGE(std::regex_search(log, std::regex(R"((^|\n)<6>edgegate \S+ starting: )")), log);
    CHECK_MESSAGE(log.find("no progress") == std::string::npos, log);
}

TEST_CASE("keep-alives go on while the broker is away") {
    temp_dir dir;
    notify_listener sd(dir.file("notify"));
    mosquitto_broker broker;
    broker.stop();
    // Reconnect delays of 10 s and more: far longer than the watchdog period.
    auto gw = start_gateway(dir, write_config(dir, broker.uri(), "10s"), sd);
    REQUIRE_MESSAGE(sd.wait_for("READY=1", 30s), read_file(dir.file("gateway.log")));

    const auto start = std::chrono::steady_clock::now();
    REQUIRE(sd.wait_for("STATUS=broker not connected", 15s, true));
    // Past the first reconnect delay: the forwarder thread sat in it the whole time.
    while (std::chrono::steady_clock::now() - start < 12s) {
        REQUIRE_MESSAGE(sd.wait_for("WATCHDOG=1", 3s), "keep-alives stopped\n"
                                                           << read_file(dir.file("gateway.log")));
    }

    gw.signal(SIGTERM);
    CHECK(sd.wait_for("STOPPING=1", 15s));
    CHECK(gw.wait_exit(15s) == 0);
    const std::string log = read_file(dir.file("gateway.log"));
    CHECK_MESSAGE(log.find("no progress") == std::string::npos, log);
}
