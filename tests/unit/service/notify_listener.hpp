#pragma once

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>

namespace edgegate::test {

// The service manager's end of the sd_notify protocol: a unix datagram socket bound at `path`,
// for a test to point NOTIFY_SOCKET at. Test thread only.
class notify_listener {
  public:
    explicit notify_listener(std::string path) : path_(std::move(path)) {
        fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd_ < 0) throw std::runtime_error("socket: " + std::string(std::strerror(errno)));
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        if (path_.size() >= sizeof(addr.sun_path)) throw std::runtime_error("path too long");
        std::memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
        if (::bind(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
            ::close(fd_);
            throw std::runtime_error("bind " + path_ + ": " + std::strerror(errno));
        }
    }
    ~notify_listener() {
        ::close(fd_);
        ::unlink(path_.c_str());
    }
    notify_listener(const notify_listener&) = delete;
    notify_listener& operator=(const notify_listener&) = delete;

    const std::string& path() const { return path_; }

    // The next datagram, or nullopt when none arrives within `timeout`.
    std::optional<std::string> receive(std::chrono::milliseconds timeout) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return std::nullopt;
        char buf[4096];
        const ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
        if (n < 0) return std::nullopt;
        return std::string(buf, static_cast<std::size_t>(n));
    }

    // Receives until a datagram equal to `message` (or, with `prefix`, starting with it)
    // arrives within `deadline`; returns it.
    std::optional<std::string> wait_for(const std::string& message,
                                        std::chrono::milliseconds deadline, bool prefix = false) {
        const auto end = std::chrono::steady_clock::now() + deadline;
        while (true) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                end - std::chrono::steady_clock::now());
            if (left.count() <= 0) return std::nullopt;
            const auto m = receive(left);
            if (!m) return std::nullopt;
            if (prefix ? m->rfind(message, 0) == 0 : *m == message) return m;
        }
    }

  private:
    std::string path_;
    int fd_ = -1;
};

}  // namespace edgegate::test
