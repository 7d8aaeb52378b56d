#include "tests/helpers/modbus_server.hpp"

#include <fcntl.h>
#include <modbus/modbus.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "tests/helpers/wait.hpp"

namespace edgegate::test {

namespace {

constexpr int map_size = 65536;
constexpr std::size_t rtu_request_length = 8;  // unit, function, address, count or value, CRC

bool is_multiple_write(int function) {
    return function == MODBUS_FC_WRITE_MULTIPLE_COILS ||
           function == MODBUS_FC_WRITE_MULTIPLE_REGISTERS;
}

bool is_write(int function) {
    return function == MODBUS_FC_WRITE_SINGLE_COIL || function == MODBUS_FC_WRITE_SINGLE_REGISTER ||
           is_multiple_write(function);
}

[[noreturn]] void fail(const std::string& what) {
    throw std::runtime_error(what + ": " + std::strerror(errno));
}

std::uint16_t crc16(std::span<const std::uint8_t> bytes) {
    std::uint16_t crc = 0xFFFF;
    for (const std::uint8_t b : bytes) {
        crc ^= b;
        for (int i = 0; i < 8; ++i) {
            crc = (crc & 1) != 0 ? static_cast<std::uint16_t>((crc >> 1) ^ 0xA001)
                                 : static_cast<std::uint16_t>(crc >> 1);
        }
    }
    return crc;
}

int table_of_function(int function) {
    switch (function) {
        case 1:
            return static_cast<int>(modbus_table::coil);
        case 2:
            return static_cast<int>(modbus_table::discrete);
        case 3:
        case MODBUS_FC_WRITE_SINGLE_REGISTER:
        case MODBUS_FC_WRITE_MULTIPLE_REGISTERS:
            return static_cast<int>(modbus_table::holding);
        case MODBUS_FC_WRITE_SINGLE_COIL:
        case MODBUS_FC_WRITE_MULTIPLE_COILS:
            return static_cast<int>(modbus_table::coil);
        default:
            return static_cast<int>(modbus_table::input);
    }
}

std::chrono::nanoseconds thread_cpu(pthread_t thread) {
    clockid_t clock;
    timespec ts{};
    if (pthread_getcpuclockid(thread, &clock) != 0 || clock_gettime(clock, &ts) != 0) {
        return std::chrono::nanoseconds(0);
    }
    return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

}  // namespace

struct modbus_server::client {
    int fd = -1;
    // RTU framing: bytes received that do not make a whole request yet.
    std::vector<std::uint8_t> pending;
    // fault::reset: serve() closes the connection with an RST after this request.
    bool reset = false;
};

modbus_server::modbus_server(kind k, bool start_now) : kind_(k) {
    map_ = modbus_mapping_new(map_size, map_size, map_size, map_size);
    if (map_ == nullptr) fail("modbus_mapping_new");
    if (kind_ == kind::rtu) {
        dir_ = std::make_unique<temp_dir>();
    } else {
        port_ = free_tcp_port();
    }
    if (start_now) start();
}

modbus_server::~modbus_server() {
    // A destructor must not throw; stop() throws only when it cannot wake its own thread.
    try {
        stop();
    } catch (const std::exception&) {
    }
    modbus_mapping_free(map_);
}

std::string modbus_server::serial() const { return dir_ ? dir_->file("driver") : std::string(); }

std::string modbus_server::describe() const {
    switch (kind_) {
        case kind::tcp:
            return "tcp://127.0.0.1:" + std::to_string(port_);
        case kind::rtu_over_tcp:
            return "rtu-over-tcp://127.0.0.1:" + std::to_string(port_);
        case kind::rtu:
            return "rtu:" + serial();
    }
    return {};
}

bool modbus_server::running() const { return running_; }

void modbus_server::start() {
    if (running_) return;
    if (kind_ == kind::rtu) {
        std::filesystem::remove(dir_->file("driver"));
        std::filesystem::remove(dir_->file("server"));
        socat_ = std::make_unique<child_process>(
            std::vector<std::string>{"socat", "-d", "-d",
                                     "pty,raw,echo=0,link=" + dir_->file("driver"),
                                     "pty,raw,echo=0,link=" + dir_->file("server")},
            dir_->file("socat.log"));
        const bool linked = wait_until(
            [&] {
                return std::filesystem::exists(dir_->file("driver")) &&
                       std::filesystem::exists(dir_->file("server"));
            },
            std::chrono::seconds(10));
        if (!linked) {
            std::ifstream log(dir_->file("socat.log"));
            std::stringstream text;
            text << log.rdbuf();
            throw std::runtime_error("socat made no pty pair within 10 s: " + text.str());
        }
        ctx_ = modbus_new_rtu(dir_->file("server").c_str(), 115200, 'N', 8, 1);
        if (ctx_ == nullptr || modbus_connect(ctx_) != 0) fail("open " + dir_->file("server"));
        clients_.push_back(std::make_unique<client>(client{modbus_get_socket(ctx_), {}}));
    } else {
        // The context only frames replies (modbus_reply); the sockets are the server's own.
        ctx_ = kind_ == kind::tcp ? modbus_new_tcp("127.0.0.1", port_)
                                  : modbus_new_rtu("rtu-over-tcp", 9600, 'N', 8, 1);
        if (ctx_ == nullptr) fail("libmodbus context");
        listener_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (listener_ < 0) fail("socket");
        const int one = 1;
        setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = htons(static_cast<std::uint16_t>(port_));
        if (bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
            listen(listener_, 16) != 0) {
            fail("listen on 127.0.0.1:" + std::to_string(port_));
        }
    }
    wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wake_fd_ < 0) fail("eventfd");
    running_ = true;
    std::lock_guard lock(mutex_);
    thread_ = std::thread([this] { serve(); });
    serving_thread_ = thread_.native_handle();
    serving_ = true;
}

void modbus_server::stop() {
    if (!running_) return;
    const std::uint64_t one = 1;
    if (write(wake_fd_, &one, sizeof one) < 0) fail("eventfd write");
    thread_.join();
    close_all();
    if (socat_) {
        socat_->signal(SIGTERM);
        socat_->wait_exit(std::chrono::seconds(5));
        socat_.reset();
    }
    running_ = false;
}

void modbus_server::close_all() {
    for (auto& c : clients_) {
        if (kind_ != kind::rtu) close(c->fd);
    }
    clients_.clear();
    delayed_.clear();
    if (listener_ >= 0) close(listener_);
    listener_ = -1;
    if (kind_ != kind::rtu) modbus_set_socket(ctx_, -1);
    modbus_close(ctx_);
    modbus_free(ctx_);
    ctx_ = nullptr;
    close(wake_fd_);
    wake_fd_ = -1;
}

void modbus_server::set_registers(modbus_table table, int address,
                                  std::span<const std::uint16_t> values) {
    std::lock_guard lock(mutex_);
    std::uint16_t* regs =
        table == modbus_table::input ? map_->tab_input_registers : map_->tab_registers;
    std::copy(values.begin(), values.end(), regs + address);
}

void modbus_server::set_register(modbus_table table, int address, std::uint16_t value) {
    set_registers(table, address, std::span<const std::uint16_t>(&value, 1));
}

void modbus_server::set_bit(modbus_table table, int address, bool value) {
    std::lock_guard lock(mutex_);
    std::uint8_t* bits = table == modbus_table::discrete ? map_->tab_input_bits : map_->tab_bits;
    bits[address] = value ? 1 : 0;
}

std::vector<std::uint16_t> modbus_server::registers(modbus_table table, int address,
                                                    int count) const {
    std::lock_guard lock(mutex_);
    const std::uint16_t* regs =
        table == modbus_table::input ? map_->tab_input_registers : map_->tab_registers;
    return {regs + address, regs + address + count};
}

bool modbus_server::bit(modbus_table table, int address) const {
    std::lock_guard lock(mutex_);
    const std::uint8_t* bits =
        table == modbus_table::discrete ? map_->tab_input_bits : map_->tab_bits;
    return bits[address] != 0;
}

void modbus_server::add_hole(modbus_table table, int address, int count) {
    std::lock_guard lock(mutex_);
    for (int a = address; a < address + count; ++a) {
        holes_.emplace(static_cast<int>(table), a);
    }
}

void modbus_server::set_fault(fault f, int unit, int exception_code,
                              std::chrono::milliseconds delay) {
    std::lock_guard lock(mutex_);
    faults_[unit] = fault_setting{f, exception_code, delay};
}

std::size_t modbus_server::request_count() const {
    std::lock_guard lock(mutex_);
    return requests_.size();
}

std::vector<modbus_server::request> modbus_server::requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
}

void modbus_server::clear_requests() {
    std::lock_guard lock(mutex_);
    requests_.clear();
}

std::chrono::nanoseconds modbus_server::serving_cpu() const {
    std::lock_guard lock(mutex_);
    return cpu_before_ + (serving_ ? thread_cpu(serving_thread_) : std::chrono::nanoseconds(0));
}

void modbus_server::serve() {
    // RTU replies go out with write(2), which raises SIGPIPE at a client that has gone.
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
    while (true) {
        std::vector<pollfd> fds{{wake_fd_, POLLIN, 0}};
        if (listener_ >= 0) fds.push_back({listener_, POLLIN, 0});
        const std::size_t first_client = fds.size();
        for (const auto& c : clients_) fds.push_back({c->fd, POLLIN, 0});
        int timeout_ms = -1;
        if (!delayed_.empty()) {
            const auto next =
                std::min_element(delayed_.begin(), delayed_.end(),
                                 [](const auto& a, const auto& b) { return a.at < b.at; });
            const auto left = std::chrono::ceil<std::chrono::milliseconds>(
                next->at - std::chrono::steady_clock::now());
            timeout_ms = static_cast<int>(std::max<std::int64_t>(left.count(), 0));
        }
        if (poll(fds.data(), fds.size(), timeout_ms) < 0 && errno != EINTR) break;
        if ((fds[0].revents & POLLIN) != 0) break;

        const auto now = std::chrono::steady_clock::now();
        for (auto it = delayed_.begin(); it != delayed_.end();) {
            if (it->at <= now) {
                send_now(it->fd, it->bytes);
                it = delayed_.erase(it);
            } else {
                ++it;
            }
        }
        if (listener_ >= 0 && (fds[1].revents & POLLIN) != 0) accept_client();
        // Clients accepted just now are not in `fds`; they are served from the next round.
        for (std::size_t i = first_client; i < fds.size(); ++i) {
            if (fds[i].revents == 0) continue;
            const auto it = std::find_if(clients_.begin(), clients_.end(),
                                         [&](const auto& c) { return c->fd == fds[i].fd; });
            if (it == clients_.end()) continue;
            if (!serve_client(**it)) {
                if (kind_ != kind::rtu) close((*it)->fd);
                const int gone = (*it)->fd;
                std::erase_if(delayed_, [&](const auto& d) { return d.fd == gone; });
                clients_.erase(it);
            }
        }
    }
    std::lock_guard lock(mutex_);
    cpu_before_ += thread_cpu(pthread_self());
    serving_ = false;
}

void modbus_server::accept_client() {
    const int fd = accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) return;
    clients_.push_back(std::make_unique<client>(client{fd, {}}));
    std::lock_guard lock(mutex_);
    ++connections_;
}

std::size_t modbus_server::connections() const {
    std::lock_guard lock(mutex_);
    return connections_;
}

bool modbus_server::serve_client(client& c) {
    if (kind_ == kind::tcp) {
        std::uint8_t frame[MODBUS_TCP_MAX_ADU_LENGTH];
        modbus_set_socket(ctx_, c.fd);
        const int n = modbus_receive(ctx_, frame);
        if (n > 0) answer(c, std::span<const std::uint8_t>(frame, static_cast<std::size_t>(n)));
        return n >= 0 && !c.reset;
    }
    std::uint8_t buf[512];
    const ssize_t n = read(c.fd, buf, sizeof buf);
    if (n <= 0) return n < 0 && (errno == EAGAIN || errno == EINTR);
    c.pending.insert(c.pending.end(), buf, buf + n);
    // A request the driver sends is eight bytes, or for FC15/16 nine plus its byte count.
    // Anything that does not check out is skipped a byte at a time until a frame does, as a
    // slave resynchronises on a line.
    while (c.pending.size() >= rtu_request_length) {
        std::size_t length = rtu_request_length;
        if (is_multiple_write(c.pending[1])) {
            if (c.pending.size() < 7) break;
            length = 9 + c.pending[6];
            if (c.pending.size() < length) break;
        }
        const std::span<const std::uint8_t> frame(c.pending.data(), length);
        const std::uint16_t crc = crc16(frame.first(length - 2));
        if (frame[length - 2] == (crc & 0xFF) && frame[length - 1] == (crc >> 8)) {
            answer(c, frame);
            c.pending.erase(c.pending.begin(),
                            c.pending.begin() + static_cast<std::ptrdiff_t>(length));
        } else {
            c.pending.erase(c.pending.begin());
        }
    }
    return true;
}

int modbus_server::hole_exception(const request& r) const {
    const int table = table_of_function(r.function);
    for (int a = r.address; a < r.address + r.count; ++a) {
        if (holes_.contains({table, a})) return MODBUS_EXCEPTION_ILLEGAL_DATA_ADDRESS;
    }
    return 0;
}

void modbus_server::answer(client& c, std::span<const std::uint8_t> frame) {
    const std::size_t header = kind_ == kind::tcp ? 7 : 1;
    const auto pdu = frame.subspan(
        header, kind_ == kind::tcp ? frame.size() - header : frame.size() - header - 2);
    request r;
    r.unit = frame[header - 1];
    r.function = pdu[0];
    if (pdu.size() >= 5) {
        r.address = pdu[1] << 8 | pdu[2];
        r.count = pdu[3] << 8 | pdu[4];
        if (r.function == MODBUS_FC_WRITE_SINGLE_COIL ||
            r.function == MODBUS_FC_WRITE_SINGLE_REGISTER) {
            r.count = 1;
        }
    }

    std::lock_guard lock(mutex_);
    requests_.push_back(r);
    fault_setting f;
    if (const auto it = faults_.find(r.unit);
        it != faults_.end() && it->second.what != fault::none) {
        f = it->second;
    } else if (const auto all = faults_.find(-1); all != faults_.end()) {
        f = all->second;
    }
    const bool is_read = r.function >= 1 && r.function <= 4 && pdu.size() == 5;
    const bool write = is_write(r.function) && pdu.size() >= 5 &&
                       (!is_multiple_write(r.function) ||
                        (pdu.size() >= 6 && pdu.size() == 6u + pdu[5] && r.count >= 1 &&
                         r.address + r.count <= map_size &&
                         pdu[5] == (r.function == MODBUS_FC_WRITE_MULTIPLE_COILS ? (r.count + 7) / 8
                                                                                 : 2 * r.count)));
    // A device that answers late or garbled has still carried the write out.
    if (write && hole_exception(r) == 0 && f.what != fault::silent && f.what != fault::exception &&
        f.what != fault::ignore_writes) {
        apply_write(pdu);
    }
    switch (f.what) {
        case fault::silent:
            return;
        case fault::exception:
            send_now(c.fd, frame_reply(frame, reply_pdu(pdu, f.exception_code), false));
            return;
        case fault::wrong_transaction_id:
            send_now(c.fd, frame_reply(frame, reply_pdu(pdu, hole_exception(r)), true));
            return;
        case fault::truncated: {
            auto bytes = frame_reply(frame, reply_pdu(pdu, hole_exception(r)), false);
            bytes.resize(bytes.size() / 2);
            send_now(c.fd, bytes);
            return;
        }
        case fault::bad_crc: {
            auto bytes = frame_reply(frame, reply_pdu(pdu, hole_exception(r)), false);
            bytes.back() ^= 0xFF;
            send_now(c.fd, bytes);
            return;
        }
        case fault::wrong_unit: {
            std::vector<std::uint8_t> other(frame.begin(), frame.end());
            other[0] = static_cast<std::uint8_t>(other[0] + 1);
            send_now(c.fd, frame_reply(other, reply_pdu(pdu, hole_exception(r)), false));
            return;
        }
        case fault::late:
            delayed_.push_back({std::chrono::steady_clock::now() + f.delay, c.fd,
                                frame_reply(frame, reply_pdu(pdu, hole_exception(r)), false)});
            return;
        case fault::bad_echo:
            if (write) {
                auto echo = reply_pdu(pdu, hole_exception(r));
                if (echo.size() == 5) echo[4] = static_cast<std::uint8_t>(echo[4] + 1);
                send_now(c.fd, frame_reply(frame, echo, false));
                return;
            }
            break;
        case fault::garbage: {
            auto bytes = frame_reply(frame, reply_pdu(pdu, hole_exception(r)), false);
            for (auto& b : bytes) b = static_cast<std::uint8_t>(garbage_() >> 8);
            send_now(c.fd, bytes);
            return;
        }
        case fault::reset: {
            const linger abort{1, 0};
            setsockopt(c.fd, SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
            c.reset = true;
            return;
        }
        case fault::ignore_writes:
        case fault::none:
            break;
    }
    if (write) {
        send_now(c.fd, frame_reply(frame, reply_pdu(pdu, hole_exception(r)), false));
        return;
    }
    if (const int e = hole_exception(r); e != 0 || !is_read) {
        send_now(c.fd,
                 frame_reply(frame, reply_pdu(pdu, is_read ? e : MODBUS_EXCEPTION_ILLEGAL_FUNCTION),
                             false));
        return;
    }
    // The ordinary answer is libmodbus's own.
    modbus_set_socket(ctx_, c.fd);
    modbus_reply(ctx_, frame.data(), static_cast<int>(frame.size()), map_);
}

std::vector<std::uint8_t> modbus_server::reply_pdu(std::span<const std::uint8_t> pdu,
                                                   int exception) const {
    const int function = pdu[0];
    if (exception != 0) {
        return {static_cast<std::uint8_t>(function | 0x80), static_cast<std::uint8_t>(exception)};
    }
    if (is_write(function)) return {pdu.begin(), pdu.begin() + 5};
    const int address = pdu[1] << 8 | pdu[2];
    const int count = pdu[3] << 8 | pdu[4];
    std::vector<std::uint8_t> out{static_cast<std::uint8_t>(function)};
    if (function <= 2) {
        const std::uint8_t* bits = function == 1 ? map_->tab_bits : map_->tab_input_bits;
        out.push_back(static_cast<std::uint8_t>((count + 7) / 8));
        for (int i = 0; i < count; i += 8) {
            std::uint8_t byte = 0;
            for (int b = 0; b < 8 && i + b < count; ++b) {
                byte = static_cast<std::uint8_t>(byte | (bits[address + i + b] & 1) << b);
            }
            out.push_back(byte);
        }
    } else {
        const std::uint16_t* regs = function == 3 ? map_->tab_registers : map_->tab_input_registers;
        out.push_back(static_cast<std::uint8_t>(2 * count));
        for (int i = 0; i < count; ++i) {
            out.push_back(static_cast<std::uint8_t>(regs[address + i] >> 8));
            out.push_back(static_cast<std::uint8_t>(regs[address + i] & 0xFF));
        }
    }
    return out;
}

void modbus_server::apply_write(std::span<const std::uint8_t> pdu) {
    const int function = pdu[0];
    const int address = pdu[1] << 8 | pdu[2];
    const int word = pdu[3] << 8 | pdu[4];
    switch (function) {
        case MODBUS_FC_WRITE_SINGLE_COIL:
            map_->tab_bits[address] = word == 0xFF00 ? 1 : 0;
            break;
        case MODBUS_FC_WRITE_SINGLE_REGISTER:
            map_->tab_registers[address] = static_cast<std::uint16_t>(word);
            break;
        case MODBUS_FC_WRITE_MULTIPLE_COILS:
            for (int i = 0; i < word; ++i) {
                const std::uint8_t byte = pdu[6 + static_cast<std::size_t>(i / 8)];
                map_->tab_bits[address + i] = static_cast<std::uint8_t>((byte >> (i % 8)) & 1);
            }
            break;
        default:
            for (int i = 0; i < word; ++i) {
                const std::size_t at = 6 + 2 * static_cast<std::size_t>(i);
                map_->tab_registers[address + i] =
                    static_cast<std::uint16_t>(pdu[at] << 8 | pdu[at + 1]);
            }
            break;
    }
}

std::vector<std::uint8_t> modbus_server::frame_reply(std::span<const std::uint8_t> request,
                                                     std::vector<std::uint8_t> pdu,
                                                     bool wrong_tid) const {
    std::vector<std::uint8_t> out;
    if (kind_ == kind::tcp) {
        const std::uint16_t tid =
            static_cast<std::uint16_t>((request[0] << 8 | request[1]) + (wrong_tid ? 1 : 0));
        const auto length = static_cast<std::uint16_t>(pdu.size() + 1);
        out = {static_cast<std::uint8_t>(tid >> 8),
               static_cast<std::uint8_t>(tid & 0xFF),
               0,
               0,
               static_cast<std::uint8_t>(length >> 8),
               static_cast<std::uint8_t>(length & 0xFF),
               request[6]};
        out.insert(out.end(), pdu.begin(), pdu.end());
        return out;
    }
    out.push_back(request[0]);
    out.insert(out.end(), pdu.begin(), pdu.end());
    const std::uint16_t crc = crc16(out);
    out.push_back(static_cast<std::uint8_t>(crc & 0xFF));
    out.push_back(static_cast<std::uint8_t>(crc >> 8));
    return out;
}

void modbus_server::send_now(int fd, std::span<const std::uint8_t> bytes) {
    std::size_t sent = 0;
    while (sent < bytes.size()) {
        const ssize_t n = kind_ == kind::rtu
                              ? write(fd, bytes.data() + sent, bytes.size() - sent)
                              : send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) {
            if (n < 0 && errno == EINTR) continue;
            return;  // the client has gone; serve() notices on its next read
        }
        sent += static_cast<std::size_t>(n);
    }
}

}  // namespace edgegate::test
