#include "tests/bench/gateway_process.hpp"

#include <signal.h>

#include <fstream>
#include <stdexcept>

#include "tests/bench/bench.hpp"

namespace edgegate::bench {
namespace {

using namespace std::chrono_literals;

constexpr auto stop_deadline = 15s;
// How often the notification reader looks whether the process object is going away.
constexpr auto notify_poll = 100ms;

}  // namespace

gateway_process::gateway_process(const std::string& config, const std::string& dir)
    : log_(dir + "/edgegate.log"),
      notify_(dir + "/notify.sock"),
      started_(std::chrono::steady_clock::now()),
      process_({EDGEGATE_BIN, "run", "-c", config}, log_,
               {"NOTIFY_SOCKET=" + dir + "/notify.sock"}),
      reader_([this] { read_notifications(); }) {}

gateway_process::~gateway_process() {
    closing_ = true;
    reader_.join();
}

void gateway_process::read_notifications() {
    while (!closing_) {
        const auto message = notify_.receive(notify_poll);
        // Dated as soon as it is read: receive() returns as soon as the datagram is there.
        if (message && *message == "READY=1") {
            std::lock_guard lock(mutex_);
            ready_at_ = std::chrono::steady_clock::now();
            ready_cv_.notify_all();
        }
    }
}

std::optional<double> gateway_process::wait_ready(std::chrono::milliseconds deadline) {
    std::unique_lock lock(mutex_);
    if (!ready_cv_.wait_for(lock, deadline, [this] { return ready_at_.has_value(); })) {
        return std::nullopt;
    }
    return seconds_between(started_, *ready_at_);
}

gateway_process::stopped gateway_process::stop() {
    const auto t0 = std::chrono::steady_clock::now();
    process_.signal(SIGTERM);
    stopped s;
    s.exit_code = process_.wait_exit(stop_deadline);
    s.seconds = seconds_between(t0, std::chrono::steady_clock::now());
    if (!s.exit_code) process_.signal(SIGKILL);
    return s;
}

std::string write_config(const std::string& dir, const std::string& name, const std::string& id,
                         const std::string& journal, const std::string& uri,
                         const std::string& devices_yaml, const std::string& mqtt_yaml) {
    const std::string path = dir + "/" + name + ".yaml";
    std::ofstream out(path);
    out << "gateway: { id: " << id << " }\n"
        << "journal:\n  path: " << journal << "\n  durability: full\n  max_bytes: 64GiB\n"
        << "mqtt:\n  uri: " << uri << "\n  reconnect: { min: 100ms, max: 1s }\n"
        << mqtt_yaml << "devices:\n"
        << devices_yaml;
    if (!out) throw std::runtime_error("could not write " + path);
    return path;
}

}  // namespace edgegate::bench
