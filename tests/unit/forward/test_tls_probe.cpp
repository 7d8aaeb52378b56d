// The TLS probe explains a refused TLS connect once per outage on the forwarder thread, so it must
// stay bounded whatever the broker does; its reasons for real handshakes are checked against a
// TLS mosquitto in tests/integration/test_tls.cpp.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <string>

#include "gateway/forward/tls_probe.hpp"
#include "tests/helpers/process.hpp"

using namespace edgegate;
using namespace std::chrono_literals;

namespace {

// A port on 127.0.0.1 whose backlog completes TCP connects but never sends a byte: a broker that
// hangs before its TLS handshake.
class silent_listener {
  public:
    silent_listener() : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
        REQUIRE(fd_ >= 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
        REQUIRE(::listen(fd_, 4) == 0);
        socklen_t size = sizeof address;
        REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &size) == 0);
        port_ = ntohs(address.sin_port);
    }
    ~silent_listener() { ::close(fd_); }
    silent_listener(const silent_listener&) = delete;
    silent_listener& operator=(const silent_listener&) = delete;

    int port() const { return port_; }

  private:
    int fd_;
    int port_ = 0;
};

std::chrono::steady_clock::duration time_of(auto&& f) {
    const auto start = std::chrono::steady_clock::now();
    f();
    return std::chrono::steady_clock::now() - start;
}

}  // namespace

TEST_CASE("a broker that never answers the handshake costs the timeout and gives no reason") {
    const silent_listener broker;
    std::optional<std::string> reason = "unset";
    const auto took = time_of([&] {
        reason = tls_handshake_failure("127.0.0.1:" + std::to_string(broker.port()), tls_section{},
                                       300ms);
    });
    CHECK_FALSE(reason.has_value());
    CHECK(took >= 250ms);
    CHECK(took < 3s);
}

TEST_CASE("a port where nothing listens gives no reason at once") {
    const int port = test::free_tcp_port();
    std::optional<std::string> reason = "unset";
    const auto took = time_of([&] {
        reason = tls_handshake_failure("127.0.0.1:" + std::to_string(port), tls_section{}, 10s);
    });
    CHECK_FALSE(reason.has_value());
    CHECK(took < 2s);
}

TEST_CASE("a CA file that cannot be read is the reason") {
    tls_section tls;
    tls.ca_file = "/nonexistent/edgegate-ca.pem";
    CHECK(tls_handshake_failure("127.0.0.1:1", tls, 1s) == "No such file or directory");
}
