#include "tests/helpers/stalled_mqtt_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace edgegate::test {
namespace {

constexpr int answer_timeout_ms = 5000;
constexpr int receive_buffer = 4096;

void put_string(std::vector<std::uint8_t>& out, const std::string& s) {
    out.push_back(static_cast<std::uint8_t>(s.size() >> 8));
    out.push_back(static_cast<std::uint8_t>(s.size() & 0xFF));
    out.insert(out.end(), s.begin(), s.end());
}

// Fixed header: type and flags, then the remaining length (short packets only: < 128 bytes).
std::vector<std::uint8_t> packet(std::uint8_t type_flags, const std::vector<std::uint8_t>& body) {
    if (body.size() >= 128) throw std::invalid_argument("stalled_mqtt_client: name too long");
    // Sized once and filled by index: g++ 12 at -O2 sees a false -Warray-bounds in an insert
    // after a two-element initialiser list.
    std::vector<std::uint8_t> out(body.size() + 2);
    out[0] = type_flags;
    out[1] = static_cast<std::uint8_t>(body.size());
    std::copy(body.begin(), body.end(), out.begin() + 2);
    return out;
}

void send_all(int fd, const std::vector<std::uint8_t>& bytes) {
    if (send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(bytes.size())) {
        throw std::runtime_error(std::string("stalled_mqtt_client: send: ") + std::strerror(errno));
    }
}

// Reads exactly the `n` bytes of an answer whose first byte is `type`.
void expect(int fd, std::uint8_t type, std::size_t n) {
    std::vector<std::uint8_t> got;
    while (got.size() < n) {
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, answer_timeout_ms) != 1) {
            throw std::runtime_error("stalled_mqtt_client: no answer from the broker");
        }
        std::uint8_t buf[16];
        const ssize_t r = recv(fd, buf, n - got.size(), 0);
        if (r <= 0) throw std::runtime_error("stalled_mqtt_client: the broker closed");
        got.insert(got.end(), buf, buf + r);
    }
    if (got[0] != type) throw std::runtime_error("stalled_mqtt_client: unexpected answer");
}

}  // namespace

stalled_mqtt_client::stalled_mqtt_client(const std::string& host, int port,
                                         const std::string& client_id,
                                         const std::string& topic_filter) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::runtime_error("stalled_mqtt_client: socket");
    // Before connect, so that the advertised window is small from the start.
    setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    inet_pton(AF_INET, host.c_str(), &addr.sin_addr);
    try {
        if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
            throw std::runtime_error("stalled_mqtt_client: connect: " +
                                     std::string(std::strerror(errno)));
        }
        std::vector<std::uint8_t> connect_body;
        put_string(connect_body, "MQTT");
        // Protocol level 4 (3.1.1), flags 0 (clean session off), keep-alive 0 (none).
        connect_body.insert(connect_body.end(), {4, 0x00, 0, 0});
        put_string(connect_body, client_id);
        send_all(fd_, packet(0x10, connect_body));
        expect(fd_, 0x20, 4);  // CONNACK

        std::vector<std::uint8_t> subscribe_body{0, 1};  // packet id 1
        put_string(subscribe_body, topic_filter);
        subscribe_body.push_back(1);  // QoS 1
        send_all(fd_, packet(0x82, subscribe_body));
        expect(fd_, 0x90, 5);  // SUBACK
    } catch (...) {
        close(fd_);
        throw;
    }
}

stalled_mqtt_client::~stalled_mqtt_client() { close(fd_); }

}  // namespace edgegate::test
