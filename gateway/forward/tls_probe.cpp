#include "gateway/forward/tls_probe.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <system_error>

namespace edgegate {

namespace {

using probe_clock = std::chrono::steady_clock;

struct host_port {
    std::string host;  // without the brackets of an IPv6 address
    std::string port;
};

// Paho's port for ssl:// when the URI names none.
constexpr std::string_view default_tls_port = "8883";

host_port split_server(std::string_view server) {
    std::string_view host = server;
    std::string_view port = default_tls_port;
    if (server.starts_with('[')) {
        const auto close = server.find(']');
        host = server.substr(1, close == std::string_view::npos ? close : close - 1);
        if (close != std::string_view::npos && close + 2 < server.size()) {
            port = server.substr(close + 2);
        }
    } else if (const auto colon = server.rfind(':'); colon != std::string_view::npos) {
        host = server.substr(0, colon);
        port = server.substr(colon + 1);
    }
    return {std::string(host), std::string(port)};
}

// POLLERR and POLLHUP count as ready: the next call on the socket reports them.
bool wait_ready(int fd, short events, probe_clock::time_point deadline) {
    while (true) {
        const auto left =
            std::chrono::ceil<std::chrono::milliseconds>(deadline - probe_clock::now()).count();
        if (left <= 0) return false;
        pollfd p{fd, events, 0};
        const int rc = ::poll(&p, 1, static_cast<int>(left));
        if (rc > 0) return true;
        if (rc == 0 || errno != EINTR) return false;
    }
}

struct fd_closer {
    const int fd;
    explicit fd_closer(int descriptor) : fd(descriptor) {}
    ~fd_closer() {
        if (fd >= 0) ::close(fd);
    }
    fd_closer(const fd_closer&) = delete;
    fd_closer& operator=(const fd_closer&) = delete;
};

// Non-blocking, so an address that swallows the SYN costs no more than the deadline.
int connect_tcp(const host_port& to, probe_clock::time_point deadline) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    addrinfo* found = nullptr;
    if (::getaddrinfo(to.host.c_str(), to.port.c_str(), &hints, &found) != 0) return -1;
    const std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> list(found, &::freeaddrinfo);
    for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
        const int fd =
            ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) continue;
        if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0) return fd;
        int error = 0;
        socklen_t size = sizeof error;
        if (errno == EINPROGRESS && wait_ready(fd, POLLOUT, deadline) &&
            ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size) == 0 && error == 0) {
            return fd;
        }
        ::close(fd);
    }
    return -1;
}

// The earliest error queued is the cause; later ones describe the same failure from further up.
// OpenSSL has no text of its own for a failed system call (a CA file that cannot be opened).
std::optional<std::string> first_reason() {
    const unsigned long code = ERR_peek_error();
    ERR_clear_error();
    if (code == 0) return std::nullopt;
    if (ERR_SYSTEM_ERROR(code)) return std::system_category().message(ERR_GET_REASON(code));
    const char* reason = ERR_reason_error_string(code);
    if (reason == nullptr) return std::nullopt;
    return std::string(reason);
}

// What Paho loads: the CA file, or OpenSSL's default verify paths (the system store) without
// one; the client certificate chain and its key in PEM.
bool load_settings(SSL_CTX* ctx, const tls_section& tls) {
    const int trusted = tls.ca_file.empty()
                            ? SSL_CTX_set_default_verify_paths(ctx)
                            : SSL_CTX_load_verify_locations(ctx, tls.ca_file.c_str(), nullptr);
    if (trusted != 1) return false;
    if (tls.cert_file.empty()) return true;
    return SSL_CTX_use_certificate_chain_file(ctx, tls.cert_file.c_str()) == 1 &&
           SSL_CTX_use_PrivateKey_file(ctx, tls.key_file.c_str(), SSL_FILETYPE_PEM) == 1;
}

// Paho accepts a certificate naming the host as a DNS name or, for an address, as an IP address;
// SNI carries names only (RFC 6066).
bool expect_host(SSL* ssl, const std::string& host) {
    in6_addr address{};
    const bool numeric = ::inet_pton(AF_INET, host.c_str(), &address) == 1 ||
                         ::inet_pton(AF_INET6, host.c_str(), &address) == 1;
    if (numeric) return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str()) == 1;
    return SSL_set_tlsext_host_name(ssl, host.c_str()) == 1 &&
           SSL_set1_host(ssl, host.c_str()) == 1;
}

}  // namespace

std::optional<std::string> tls_handshake_failure(std::string_view server, const tls_section& tls,
                                                 std::chrono::milliseconds timeout) {
    const auto deadline = probe_clock::now() + timeout;
    // This thread's queue may hold errors of earlier OpenSSL calls that are not ours to report.
    ERR_clear_error();
    const host_port to = split_server(server);
    const std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_client_method()),
                                                                &SSL_CTX_free);
    if (!ctx || !load_settings(ctx.get(), tls)) return first_reason();
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
    const std::unique_ptr<SSL, decltype(&SSL_free)> ssl(SSL_new(ctx.get()), &SSL_free);
    if (!ssl || !expect_host(ssl.get(), to.host)) return first_reason();

    const fd_closer tcp(connect_tcp(to, deadline));
    if (tcp.fd < 0) return std::nullopt;
    if (SSL_set_fd(ssl.get(), tcp.fd) != 1) return first_reason();
    while (true) {
        const int rc = SSL_connect(ssl.get());
        if (rc == 1) return std::nullopt;
        const int error = SSL_get_error(ssl.get(), rc);
        short wanted = 0;
        if (error == SSL_ERROR_WANT_READ) wanted = POLLIN;
        if (error == SSL_ERROR_WANT_WRITE) wanted = POLLOUT;
        if (wanted == 0 || !wait_ready(tcp.fd, wanted, deadline)) break;
    }
    const long verify = SSL_get_verify_result(ssl.get());
    auto reason = first_reason();
    if (verify == X509_V_OK) return reason;
    return reason.value_or("certificate verify failed") + " (" +
           X509_verify_cert_error_string(verify) + ")";
}

}  // namespace edgegate
