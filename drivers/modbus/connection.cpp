#include "drivers/modbus/connection.hpp"

#include <modbus/modbus.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

namespace edgegate {

namespace {

void set_timeout(modbus_t* ctx, int (*setter)(modbus_t*, uint32_t, uint32_t), duration d) {
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
    setter(ctx, static_cast<uint32_t>(us / 1000000), static_cast<uint32_t>(us % 1000000));
}

// Connects a non-blocking TCP socket within `timeout` to the first address of `host` that
// accepts. Returns the socket, or -1 with `error` set.
int tcp_connect(const std::string& host, int port, duration timeout, std::string& error) {
    const std::string where = host + ":" + std::to_string(port);
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    addrinfo* found = nullptr;
    const std::string service = std::to_string(port);
    if (const int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rc != 0) {
        error = "resolve " + host + ": " + gai_strerror(rc);
        return -1;
    }
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    error = "connect to " + where + ": no address";
    int fd = -1;
    for (addrinfo* a = found; a != nullptr && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) {
            error = "connect to " + where + ": " + std::strerror(errno);
            continue;
        }
        int err = 0;
        if (connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
            err = errno;
            if (err == EINPROGRESS) {
                const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now());
                pollfd p{fd, POLLOUT, 0};
                const int ready =
                    poll(&p, 1, static_cast<int>(std::max<std::int64_t>(left.count(), 0)));
                socklen_t len = sizeof err;
                if (ready == 0) {
                    err = ETIMEDOUT;
                } else if (ready < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) {
                    err = errno;
                }
            }
        }
        if (err != 0) {
            error = "connect to " + where + ": " +
                    (err == ETIMEDOUT ? "no answer within " + format_duration(timeout)
                                      : std::string(std::strerror(err)));
            ::close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(found);
    if (fd >= 0) {
        // Requests are small and each waits for its answer: Nagle would only delay them.
        const int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    return fd;
}

bool is_frame_error(int err) {
    return err == EMBBADCRC || err == EMBBADDATA || err == EMBBADEXC || err == EMBUNKEXC ||
           err == EMBMDATA || err == EMBBADSLAVE;
}

std::string hex2(int code) {
    static constexpr char digits[] = "0123456789ABCDEF";
    return {digits[(code >> 4) & 0xF], digits[code & 0xF]};
}

}  // namespace

modbus_connection::modbus_connection(link_settings link) : link_(std::move(link)) {}

modbus_connection::~modbus_connection() { close(); }

std::optional<std::string> modbus_connection::open(duration timeout) {
    close();
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe, nullptr);

    if (link_.kind == transport::rtu) {
        modbus_t* ctx = modbus_new_rtu(link_.serial.c_str(), link_.baud, link_.parity,
                                       link_.data_bits, link_.stop_bits);
        if (ctx == nullptr) return "open " + link_.serial + ": " + modbus_strerror(errno);
        if (modbus_connect(ctx) != 0) {
            const std::string error = "open " + link_.serial + ": " + modbus_strerror(errno);
            modbus_free(ctx);
            return error;
        }
        ctx_ = ctx;
        return std::nullopt;
    }

    std::string error;
    socket_ = tcp_connect(link_.host, link_.port, timeout, error);
    if (socket_ < 0) return error;
    // The context only frames and parses: it never opens anything itself. An RTU context on a
    // socket reads and writes it like a serial device, which is what RTU over TCP is.
    ctx_ = link_.kind == transport::tcp ? modbus_new_tcp(nullptr, link_.port)
                                        : modbus_new_rtu("rtu-over-tcp", 9600, 'N', 8, 1);
    if (ctx_ == nullptr) {
        error = std::string("libmodbus: ") + modbus_strerror(errno);
        close();
        return error;
    }
    modbus_set_socket(ctx_, socket_);
    return std::nullopt;
}

void modbus_connection::close() {
    if (ctx_ != nullptr) {
        // The socket is ours: libmodbus's RTU close would try to restore terminal settings on it.
        if (socket_ >= 0) modbus_set_socket(ctx_, -1);
        modbus_close(ctx_);
        modbus_free(ctx_);
        ctx_ = nullptr;
    }
    if (socket_ >= 0) {
        ::close(socket_);
        socket_ = -1;
    }
}

void modbus_connection::discard_pending() {
    if (link_.kind == transport::rtu) {
        modbus_flush(ctx_);
        return;
    }
    char buf[512];
    while (recv(socket_, buf, sizeof buf, MSG_DONTWAIT) > 0) {
    }
}

read_result modbus_connection::read(int unit, modbus_table table, int address, int count,
                                    duration timeout, std::vector<std::uint16_t>& data) {
    if (ctx_ == nullptr) return {read_status::link_down, 0, "not connected"};
    discard_pending();
    modbus_set_slave(ctx_, unit);
    set_timeout(ctx_, modbus_set_response_timeout, timeout);
    // On TCP the whole answer must arrive within the response timeout. On a serial line a gap
    // between two bytes of a frame longer than this means the frame was cut; 100 ms covers
    // USB adapters' latency timers with room to spare.
    const duration byte_timeout = link_.kind == transport::rtu
                                      ? std::min<duration>(timeout, std::chrono::milliseconds(100))
                                      : duration::zero();
    set_timeout(ctx_, modbus_set_byte_timeout, byte_timeout);

    int rc = -1;
    data.resize(static_cast<std::size_t>(count));
    switch (table) {
        case modbus_table::coil:
        case modbus_table::discrete:
            bits_.resize(static_cast<std::size_t>(count));
            rc = table == modbus_table::coil
                     ? modbus_read_bits(ctx_, address, count, bits_.data())
                     : modbus_read_input_bits(ctx_, address, count, bits_.data());
            if (rc == count) std::copy(bits_.begin(), bits_.end(), data.begin());
            break;
        case modbus_table::input:
            rc = modbus_read_input_registers(ctx_, address, count, data.data());
            break;
        case modbus_table::holding:
            rc = modbus_read_registers(ctx_, address, count, data.data());
            break;
    }
    if (rc == count) return {};

    const int err = errno;
    read_result r;
    r.error = modbus_strerror(err);
    if (err > MODBUS_ENOBASE && err < MODBUS_ENOBASE + MODBUS_EXCEPTION_MAX) {
        r.exception = err - MODBUS_ENOBASE;
        r.error = "exception " + hex2(r.exception) + " (" + r.error + ")";
        const bool gateway = r.exception == MODBUS_EXCEPTION_GATEWAY_PATH ||
                             r.exception == MODBUS_EXCEPTION_GATEWAY_TARGET;
        r.status = gateway ? read_status::no_answer : read_status::exception;
    } else if (err == ETIMEDOUT) {
        r.status = read_status::no_answer;
        r.error = "no answer within " + format_duration(timeout);
        discard_pending();
    } else if (is_frame_error(err)) {
        r.status = read_status::bad_frame;
        r.error = "bad reply (" + r.error + ")";
        discard_pending();
    } else {
        r.status = read_status::link_down;
        r.error = "connection lost (" + r.error + ")";
    }
    return r;
}

}  // namespace edgegate
