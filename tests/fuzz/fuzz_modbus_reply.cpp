// The Modbus reply handling path (drivers/modbus/connection.cpp with libmodbus underneath) on
// whatever a device or a man in the middle sends back. modbus_connection connects by itself, so
// the reply comes from a peer thread on a loopback TCP socket: it reads the request, answers
// with the input, then closes, so a short reply ends at once instead of at the timeout. The
// transport is Modbus TCP or RTU over TCP (the RTU framing and CRC path; a serial line differs
// only below libmodbus's read).
//
// Input: an 8-byte header, then the reply.
//   byte 0     bit 0: RTU over TCP (else TCP); bit 1: frame the reply (TCP: the request's
//              transaction id, protocol 0 and the length before it; RTU: its CRC after it);
//              bit 2: a write (else a read); bit 3: FC15/16 even for one value;
//              bits 4-5: the table (a write: bit 4, coil or holding)
//   byte 1     unit id (RTU: 1 + byte % 247, as the configuration allows 1..247)
//   bytes 2-3  address; bytes 4-5 count (1 + n % the function's maximum)
//   bytes 6-7  the written values' seed
// What must hold: nothing crashes or hangs; an accepted read returns exactly the values the
// reply carried, for the function asked; an accepted write had its echo checked.

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "drivers/modbus/connection.hpp"

namespace {

using namespace edgegate;
using bytes = std::vector<std::uint8_t>;
using namespace std::chrono_literals;

constexpr auto timeout = 1000ms;

[[noreturn]] void fail(std::string_view what) {
    std::fprintf(stderr, "%.*s\n", static_cast<int>(what.size()), what.data());
    std::abort();
}

std::uint16_t crc16(const bytes& frame) {
    std::uint16_t crc = 0xFFFF;
    for (const std::uint8_t b : frame) {
        crc ^= b;
        for (int i = 0; i < 8; ++i) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xA001 : crc >> 1;
    }
    return crc;
}

// One exchange's worth of work for the peer.
struct exchange {
    bytes reply;
    bool frame = false;
    bool rtu = false;
    bytes request;  // filled by the peer
    bytes sent;     // the reply as it went out, framed or not
};

// Accepts one connection per exchange on 127.0.0.1, answers, and closes. Lives as long as the
// process, and so does its thread.
class peer {
  public:
    peer() {
        listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof addr;
        if (listener_ < 0 || ::bind(listener_, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
            ::listen(listener_, 4) != 0 ||
            ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
            fail("cannot listen on loopback");
        }
        port_ = ntohs(addr.sin_port);
        std::thread([this] { loop(); }).detach();
    }

    int port() const { return port_; }

    // The calling thread then connects and runs the request; finish() waits for the peer.
    void begin(exchange& x) {
        const std::lock_guard lock(mutex_);
        job_ = &x;
        done_ = false;
        changed_.notify_all();
    }

    void finish() {
        std::unique_lock lock(mutex_);
        if (!changed_.wait_for(lock, 10s, [this] { return done_; })) fail("peer hung");
        job_ = nullptr;
    }

  private:
    static bool readable(int fd, std::chrono::milliseconds within) {
        pollfd p{fd, POLLIN, 0};
        return ::poll(&p, 1, static_cast<int>(within.count())) == 1;
    }

    void loop() {
        for (;;) {
            exchange* x = nullptr;
            {
                std::unique_lock lock(mutex_);
                changed_.wait(lock, [this] { return job_ != nullptr && !done_; });
                x = job_;
            }
            serve(*x);
            const std::lock_guard lock(mutex_);
            done_ = true;
            changed_.notify_all();
        }
    }

    void serve(exchange& x) {
        // The client may fail before connecting (it cannot on loopback, but then no hang).
        if (!readable(listener_, 2s)) return;
        const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) return;
        std::uint8_t buf[512];
        // libmodbus sends a request with one write(2): on loopback it arrives in one piece.
        if (readable(fd, 2s)) {
            const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
            if (n > 0) x.request.assign(buf, buf + n);
        }
        x.sent = x.reply;
        if (x.frame && x.rtu) {
            const std::uint16_t crc = crc16(x.sent);
            x.sent.push_back(static_cast<std::uint8_t>(crc & 0xFF));
            x.sent.push_back(static_cast<std::uint8_t>(crc >> 8));
        } else if (x.frame && x.request.size() >= 2) {
            const auto length = static_cast<std::uint16_t>(x.reply.size());
            x.sent.insert(x.sent.begin(),
                          {x.request[0], x.request[1], 0, 0, static_cast<std::uint8_t>(length >> 8),
                           static_cast<std::uint8_t>(length & 0xFF)});
        }
        if (!x.sent.empty()) ::send(fd, x.sent.data(), x.sent.size(), MSG_NOSIGNAL);
        ::shutdown(fd, SHUT_WR);
        // Until the client has closed; then a reset, so that no TIME_WAIT socket is left behind
        // for each of the millions of exchanges.
        while (readable(fd, 2s) && ::recv(fd, buf, sizeof buf, 0) > 0) {
        }
        const linger reset{1, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
        ::close(fd);
    }

    int listener_ = -1;
    int port_ = 0;
    std::mutex mutex_;
    std::condition_variable changed_;
    exchange* job_ = nullptr;
    bool done_ = true;
};

int word(const std::uint8_t* at) { return at[0] << 8 | at[1]; }

// The PDU the client accepted: after the MBAP header (TCP) or the unit id (RTU).
const std::uint8_t* reply_pdu(const exchange& x, std::size_t& length) {
    const std::size_t header = x.rtu ? 1 : 7;
    const std::size_t trailer = x.rtu ? 2 : 0;
    if (x.sent.size() < header + trailer) fail("a reply without a header was accepted");
    length = x.sent.size() - header - trailer;
    return x.sent.data() + header;
}

void check_read(const exchange& x, modbus_table table, int count,
                const std::vector<std::uint16_t>& values) {
    static constexpr std::uint8_t functions[] = {1, 2, 4, 3};  // coil, discrete, input, holding
    std::size_t length = 0;
    const std::uint8_t* pdu = reply_pdu(x, length);
    if (values.size() != static_cast<std::size_t>(count)) fail("read: wrong number of values");
    if (length < 2 || pdu[0] != functions[static_cast<int>(table)]) {
        fail("read: a reply to another function was accepted");
    }
    const bool bits = is_bit_table(table);
    const std::size_t data_bytes = bits ? (static_cast<std::size_t>(count) + 7) / 8 : 2u * count;
    if (pdu[1] != data_bytes || length < 2 + data_bytes) fail("read: a short reply was accepted");
    for (int i = 0; i < count; ++i) {
        const std::uint16_t expected = bits ? (pdu[2 + i / 8] >> (i % 8)) & 1
                                            : static_cast<std::uint16_t>(word(pdu + 2 + 2 * i));
        if (values[static_cast<std::size_t>(i)] != expected) fail("read: a value not in the reply");
    }
}

void check_write(const exchange& x) {
    std::size_t length = 0;
    const std::uint8_t* pdu = reply_pdu(x, length);
    const std::size_t request_header = x.rtu ? 1 : 7;
    if (x.request.size() < request_header + 5) fail("write: no request seen");
    const std::uint8_t* req = x.request.data() + request_header;
    // Bytes after the frame are left unread (and discarded before the next request): libmodbus
    // takes the length from the function code, not from the MBAP header.
    if (length < 5 || !std::equal(pdu, pdu + 5, req)) fail("write: a wrong echo was accepted");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    // Never destroyed: its thread waits on it until the process ends.
    static peer& the_peer = *new peer;
    if (size < 8) return -1;  // not worth keeping in the corpus
    const std::uint8_t flags = data[0];
    const int address = word(data + 2);
    const int count_seed = word(data + 4);
    const int value_seed = word(data + 6);

    exchange x;
    x.rtu = (flags & 1) != 0;
    x.frame = (flags & 2) != 0;
    const bool write = (flags & 4) != 0;
    const bool multiple = (flags & 8) != 0;
    x.reply.assign(data + 8, data + size);
    // What the configuration accepts (device_config.cpp): 0..255 on TCP, 1..247 on a serial line.
    const int unit = x.rtu ? 1 + data[1] % 247 : data[1];

    link_settings link;
    link.kind = x.rtu ? transport::rtu_over_tcp : transport::tcp;
    link.host = "127.0.0.1";
    link.port = the_peer.port();
    modbus_connection conn(link);

    the_peer.begin(x);
    if (const auto error = conn.open(timeout)) fail("connect: " + *error);
    read_result r;
    modbus_table table{};
    int count = 0;
    std::vector<std::uint16_t> values;
    if (write) {
        table = (flags & 0x10) != 0 ? modbus_table::coil : modbus_table::holding;
        const bool coil = table == modbus_table::coil;
        count = 1 + count_seed % (coil ? 1968 : 123);
        values.resize(static_cast<std::size_t>(count));
        for (int i = 0; i < count; ++i) {
            values[static_cast<std::size_t>(i)] =
                coil ? (value_seed >> (i % 16)) & 1 : static_cast<std::uint16_t>(value_seed + i);
        }
        r = conn.write(unit, table, address, values, multiple, timeout);
    } else {
        table = static_cast<modbus_table>((flags >> 4) & 3);
        count = 1 + count_seed % (is_bit_table(table) ? 2000 : 125);
        r = conn.read(unit, table, address, count, timeout, values);
    }
    conn.close();
    the_peer.finish();

    if ((r.status == read_status::ok) != r.error.empty()) fail("error text and status disagree");
    if (r.status == read_status::ok) {
        if (write) {
            check_write(x);
        } else {
            check_read(x, table, count, values);
        }
    }
    return 0;
}
