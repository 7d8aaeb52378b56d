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
    prepare(unit, timeout);

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
    return failed(errno, timeout);
}

void modbus_connection::prepare(int unit, duration timeout) {
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
}

read_result modbus_connection::bad_frame(const std::string& why) {
    discard_pending();
    return {read_status::bad_frame, 0, "bad reply (" + why + ")"};
}

read_result modbus_connection::failed(int err, duration timeout) {
    read_result r;
    r.error = modbus_strerror(err);
    if (err > MODBUS_ENOBASE && err < MODBUS_ENOBASE + MODBUS_EXCEPTION_MAX) {
        return exception_reply(err - MODBUS_ENOBASE);
    }
    if (err == ETIMEDOUT) {
        r.status = read_status::no_answer;
        r.error = "no answer within " + format_duration(timeout);
        discard_pending();
    } else if (is_frame_error(err)) {
        return bad_frame(r.error);
    } else {
        r.status = read_status::link_down;
        r.error = "connection lost (" + r.error + ")";
    }
    return r;
}

read_result modbus_connection::exception_reply(int code) {
    read_result r;
    r.exception = code;
    // A device may send any code; libmodbus names only the standard ones.
    const bool known = code > 0 && code < MODBUS_EXCEPTION_MAX;
    r.error = "exception " + hex2(code) + " (" +
              (known ? modbus_strerror(MODBUS_ENOBASE + code) : "unknown code") + ")";
    const bool gateway =
        code == MODBUS_EXCEPTION_GATEWAY_PATH || code == MODBUS_EXCEPTION_GATEWAY_TARGET;
    r.status = gateway ? read_status::no_answer : read_status::exception;
    return r;
}

read_result modbus_connection::write(int unit, modbus_table table, int address,
                                     std::span<const std::uint16_t> data, bool multiple,
                                     duration timeout) {
    if (ctx_ == nullptr) return {read_status::link_down, 0, "not connected"};
    const auto count = static_cast<int>(data.size());
    const bool coil = table == modbus_table::coil;
    int function = coil ? MODBUS_FC_WRITE_SINGLE_COIL : MODBUS_FC_WRITE_SINGLE_REGISTER;
    if (multiple || count > 1) {
        function = coil ? MODBUS_FC_WRITE_MULTIPLE_COILS : MODBUS_FC_WRITE_MULTIPLE_REGISTERS;
    }
    const auto byte = [](int v) { return static_cast<std::uint8_t>(v & 0xFF); };
    // The unit id, then the PDU; libmodbus adds the MBAP header or the CRC.
    std::vector<std::uint8_t> req{byte(unit), byte(function), byte(address >> 8), byte(address)};
    switch (function) {
        case MODBUS_FC_WRITE_SINGLE_COIL:
            req.insert(req.end(), {byte(data[0] != 0 ? 0xFF : 0), 0});
            break;
        case MODBUS_FC_WRITE_SINGLE_REGISTER:
            req.insert(req.end(), {byte(data[0] >> 8), byte(data[0])});
            break;
        case MODBUS_FC_WRITE_MULTIPLE_COILS:
            req.insert(req.end(), {byte(count >> 8), byte(count), byte((count + 7) / 8)});
            for (std::size_t i = 0; i < data.size(); i += 8) {
                int packed = 0;
                for (std::size_t b = 0; b < 8 && i + b < data.size(); ++b) {
                    if (data[i + b] != 0) packed |= 1 << b;
                }
                req.push_back(byte(packed));
            }
            break;
        default:
            req.insert(req.end(), {byte(count >> 8), byte(count), byte(2 * count)});
            for (const std::uint16_t r : data) req.insert(req.end(), {byte(r >> 8), byte(r)});
            break;
    }

    prepare(unit, timeout);
    if (modbus_send_raw_request(ctx_, req.data(), static_cast<int>(req.size())) < 0) {
        return failed(errno, timeout);
    }
    std::uint8_t rsp[MODBUS_MAX_ADU_LENGTH];
    const int n = modbus_receive_confirmation(ctx_, rsp);
    if (n < 0) return failed(errno, timeout);

    // libmodbus 3.1.6 parses this reply's length and checks its CRC, nothing more (an RTU reply
    // from another unit comes back as an empty message): the rest is checked here.
    const int header = modbus_get_header_length(ctx_);
    const int crc = link_.kind == transport::tcp ? 0 : 2;
    const int pdu_length = n - header - crc;
    if (n < header || rsp[header - 1] != unit) return bad_frame("from another unit");
    const std::uint8_t* pdu = rsp + header;
    if (pdu_length >= 2 && pdu[0] == (function | 0x80)) return exception_reply(pdu[1]);
    if (pdu_length < 1 || pdu[0] != function) {
        return bad_frame("function " + hex2(pdu_length < 1 ? 0 : pdu[0]) + " answering " +
                         hex2(function));
    }
    // FC05/06 echo address and value, FC15/16 address and quantity: the same four bytes of the
    // request either way.
    if (pdu_length != 5 || !std::equal(pdu + 1, pdu + 5, req.begin() + 2)) {
        const bool single =
            function == MODBUS_FC_WRITE_SINGLE_COIL || function == MODBUS_FC_WRITE_SINGLE_REGISTER;
        const auto word = [](const std::uint8_t* at) { return at[0] << 8 | at[1]; };
        const std::string what = single ? " value " : " quantity ";
        std::string echo = "a " + std::to_string(pdu_length) + "-byte reply";
        if (pdu_length >= 5) {
            echo =
                "address " + std::to_string(word(pdu + 1)) + what + std::to_string(word(pdu + 3));
        }
        return bad_frame("the echo says " + echo + ", the request was address " +
                         std::to_string(address) + what + std::to_string(word(req.data() + 4)));
    }
    return {};
}

}  // namespace edgegate
