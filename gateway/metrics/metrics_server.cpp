#include "gateway/metrics/metrics_server.hpp"

#include <httplib.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <thread>

namespace edgegate {

namespace {

// One worker for scrapes and one more, so /healthz is not queued behind a slow scrape.
constexpr std::size_t worker_threads = 2;
// An idle keep-alive connection holds a worker; scrapers reconnect cheaply.
constexpr time_t keep_alive_seconds = 2;

}  // namespace

std::string listen_address(const metrics_section& listen) {
    const bool v6 = listen.host.find(':') != std::string::npos;
    return (v6 ? "[" + listen.host + "]" : listen.host) + ":" + std::to_string(listen.port);
}

metrics_server::metrics_server(const metrics_section& listen, std::function<std::string()> render,
                               std::vector<progress_probe> probes, std::chrono::microseconds limit)
    : probes_(std::move(probes)), limit_(limit), server_(std::make_unique<httplib::Server>()) {
    server_->new_task_queue = [] { return new httplib::ThreadPool(worker_threads); };
    server_->set_keep_alive_timeout(keep_alive_seconds);
    // httplib's default also sets SO_REUSEPORT, which lets a second gateway bind the same port
    // without an error and take half the scrapes.
    server_->set_socket_options([](socket_t sock) {
        const int yes = 1;
        ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    });
    server_->Get("/metrics",
                 [render = std::move(render)](const httplib::Request&, httplib::Response& res) {
                     res.set_content(render(), "text/plain; version=0.0.4; charset=utf-8");
                 });
    server_->Get("/healthz", [this](const httplib::Request&, httplib::Response& res) {
        const auto now = std::chrono::steady_clock::now();
        if (const auto* stuck = stalled_probe(probes_, now, limit_)) {
            const std::chrono::duration<double> idle = now - stuck->last_progress();
            char text[160];
            std::snprintf(text, sizeof text,
                          "stuck: the %s thread has made no progress for %.1f s (limit %.1f s)\n",
                          stuck->name.c_str(), idle.count(),
                          std::chrono::duration<double>(limit_).count());
            res.status = 503;
            res.set_content(text, "text/plain; charset=utf-8");
            return;
        }
        res.set_content("ok\n", "text/plain; charset=utf-8");
    });
    // httplib reports a failed bind as false; the reason is what bind() left in errno, or, when
    // it never got that far, a name that did not resolve.
    errno = 0;
    if (!server_->bind_to_port(listen.host, listen.port)) {
        const int error = errno;
        throw std::runtime_error(
            "metrics: cannot listen on " + listen_address(listen) + ": " +
            (error != 0 ? std::string(std::strerror(error)) : "the host name does not resolve"));
    }
    port_ = listen.port;
    thread_ = std::thread([this] {
        if (!server_->listen_after_bind()) spdlog::error("metrics: the listener failed");
        listener_done_ = true;
    });
    spdlog::info("metrics: serving /metrics and /healthz on http://{}", listen_address(listen));
}

metrics_server::~metrics_server() { stop(); }

void metrics_server::stop() {
    if (!thread_.joinable()) return;
    // httplib's stop() does nothing before its listener loop has begun, which would then run
    // for ever: wait for the loop (or its end) first.
    while (!server_->is_running() && !listener_done_) std::this_thread::yield();
    server_->stop();
    thread_.join();
}

}  // namespace edgegate
