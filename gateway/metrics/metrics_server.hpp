#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gateway/config/config.hpp"
#include "gateway/service/watchdog.hpp"

namespace httplib {
class Server;
}

namespace edgegate {

// The HTTP endpoint of `metrics.listen` (cpp-httplib; its own listener thread and two worker
// threads):
//   GET /metrics  200, the Prometheus text exposition `render` returns;
//   GET /healthz  200 "ok" while every probe made progress within `limit` (the watchdog's
//                 test, stalled_probe), else 503 naming the stuck thread;
//   anything else 404.
// No authentication and no TLS: keep it on loopback or behind a firewall.
class metrics_server {
  public:
    // Main thread. Binds the address before it returns, so a port in use or an address that is
    // not this machine's is a start-up error: throws std::runtime_error saying which and why.
    // `render` runs on a worker thread and must not throw.
    metrics_server(const metrics_section& listen, std::function<std::string()> render,
                   std::vector<progress_probe> probes, std::chrono::microseconds limit);
    // Calls stop().
    ~metrics_server();
    metrics_server(const metrics_server&) = delete;
    metrics_server& operator=(const metrics_server&) = delete;

    // Main thread: closes the listener and joins its threads; a request in progress completes.
    void stop();

    // The port actually bound (the configured one).
    int port() const { return port_; }

  private:
    const std::vector<progress_probe> probes_;
    const std::chrono::microseconds limit_;
    std::unique_ptr<httplib::Server> server_;
    int port_ = 0;
    std::atomic<bool> listener_done_{false};
    std::thread thread_;
};

// "host:port", with brackets around an IPv6 host; for messages.
std::string listen_address(const metrics_section& listen);

}  // namespace edgegate
