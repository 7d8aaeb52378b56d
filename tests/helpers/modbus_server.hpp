#pragma once

#include <pthread.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "drivers/modbus/point.hpp"
#include "tests/helpers/process.hpp"
#include "tests/helpers/temp_dir.hpp"

struct _modbus;
struct _modbus_mapping_t;

namespace edgegate::test {

// A Modbus server for tests, in process, built on libmodbus: Modbus TCP or RTU frames over TCP
// on 127.0.0.1 and a port chosen once (a restarted server comes back where its clients expect
// it), or RTU on a serial line made of a socat pseudo-terminal pair (serial() is the end for the
// driver). Every unit id is served from one map of 65536 coils, discrete inputs, input and
// holding registers, all zero at first. It serves reads (FC01-04) and writes (FC05, FC06, FC15,
// FC16; a write reply echoes the request as the specification says). It counts the requests it
// receives and injects faults.
// start()/stop() and the constructor and destructor: the test thread (socat is its child and
// dies with it); everything else: any thread. The server answers on its own thread.
class modbus_server {
  public:
    enum class kind { tcp, rtu_over_tcp, rtu };

    enum class fault {
        none,
        // Receives and never answers.
        silent,
        // Answers every request with exception_code().
        exception,
        // Answers with a transaction id that is not the request's (Modbus TCP only).
        wrong_transaction_id,
        // Sends the first half of the answer and nothing more.
        truncated,
        // RTU framing: the answer with a wrong CRC.
        bad_crc,
        // RTU framing: the answer as if from the next unit id.
        wrong_unit,
        // Answers after `delay` (see set_fault).
        late,
        // Applies a write but echoes it with the value (FC05/06) or quantity (FC15/16) plus one.
        bad_echo,
        // Echoes a write correctly but does not apply it (a device that ignores the value).
        ignore_writes,
        // Answers with as many pseudo-random bytes as the right answer has (header included).
        garbage,
        // Resets the connection (RST: SO_LINGER 0 and close) instead of answering (Modbus TCP
        // only).
        reset,
    };

    // What a client asked for. `count` is the quantity: of a read, or of an FC15/16 write; 1 for
    // FC05/06.
    struct request {
        int unit = 0;
        int function = 0;
        int address = 0;
        int count = 0;
        bool operator==(const request&) const = default;
    };

    explicit modbus_server(kind k = kind::tcp, bool start_now = true);
    ~modbus_server();
    modbus_server(const modbus_server&) = delete;
    modbus_server& operator=(const modbus_server&) = delete;

    // Listens (TCP kinds) or starts socat and opens its server end (RTU), then serves. The RTU
    // kind waits up to 10 s for socat's links; throws when they do not appear.
    void start();
    // Closes the listener, every connection (or the serial end, and stops socat): to a client
    // the server has gone.
    void stop();
    bool running() const;

    // TCP kinds: the port on 127.0.0.1.
    int port() const { return port_; }
    // RTU: the serial device the driver opens (a symlink to a pty).
    std::string serial() const;
    // tcp://127.0.0.1:PORT style endpoint for messages.
    std::string describe() const;

    void set_registers(modbus_table table, int address, std::span<const std::uint16_t> values);
    void set_register(modbus_table table, int address, std::uint16_t value);
    void set_bit(modbus_table table, int address, bool value);
    // What the map holds now: `count` registers of `table` (input or holding) from `address`,
    // and one bit of `table` (coil or discrete).
    std::vector<std::uint16_t> registers(modbus_table table, int address, int count = 1) const;
    bool bit(modbus_table table, int address) const;

    // Requests (reads and writes) that touch [address, address + count) of `table` are refused
    // with exception 02, as a device refuses addresses it does not implement.
    void add_hole(modbus_table table, int address, int count = 1);

    // The fault every request of `unit` (every unit when -1) gets from now on; fault::none
    // heals it. `exception_code` for fault::exception, `delay` for fault::late.
    void set_fault(fault f, int unit = -1, int exception_code = 4,
                   std::chrono::milliseconds delay = std::chrono::milliseconds(0));

    // Requests received (whatever was done with them) since the start or the last clear.
    std::size_t request_count() const;
    std::vector<request> requests() const;
    void clear_requests();

    // Connections accepted since construction (TCP kinds).
    std::size_t connections() const;

    // CPU time the serving thread has used (for benchmarks that want the client's share alone).
    std::chrono::nanoseconds serving_cpu() const;

  private:
    struct client;
    struct fault_setting {
        fault what = fault::none;
        int exception_code = 4;
        std::chrono::milliseconds delay{0};
    };
    struct delayed_reply {
        std::chrono::steady_clock::time_point at;
        int fd;
        std::vector<std::uint8_t> bytes;
    };

    void serve();
    void accept_client();
    // Reads what `c` sent and answers every complete request in it; false when it has gone.
    bool serve_client(client& c);
    void answer(client& c, std::span<const std::uint8_t> frame);
    // The reply to a read request `pdu` (function code first), built from the map: function,
    // byte count, data; to a write, its echo (function, address, value or quantity); or an
    // exception.
    std::vector<std::uint8_t> reply_pdu(std::span<const std::uint8_t> pdu, int exception) const;
    // The whole reply frame to `request`: MBAP header or unit id and CRC around `pdu`.
    std::vector<std::uint8_t> frame_reply(std::span<const std::uint8_t> request,
                                          std::vector<std::uint8_t> pdu, bool wrong_tid) const;
    int hole_exception(const request& r) const;
    // Carries out a write request `pdu` on the map. Called with mutex_ held.
    void apply_write(std::span<const std::uint8_t> pdu);
    void send_now(int fd, std::span<const std::uint8_t> bytes);
    void close_all();

    const kind kind_;
    int port_ = 0;
    std::unique_ptr<temp_dir> dir_;
    std::unique_ptr<child_process> socat_;

    mutable std::mutex mutex_;
    _modbus_mapping_t* map_ = nullptr;
    std::set<std::pair<int, int>> holes_;  // (table, address)
    std::map<int, fault_setting> faults_;  // unit (-1: every unit) -> fault
    std::vector<request> requests_;
    std::size_t connections_ = 0;

    // Serving state: the serving thread's own while it runs.
    _modbus* ctx_ = nullptr;
    int listener_ = -1;
    int wake_fd_ = -1;
    std::vector<std::unique_ptr<client>> clients_;
    std::vector<delayed_reply> delayed_;
    std::thread thread_;
    pthread_t serving_thread_{};
    bool running_ = false;  // the test thread's view
    // Under mutex_: whether serving_thread_ is alive, and the CPU time of earlier runs.
    bool serving_ = false;
    std::chrono::nanoseconds cpu_before_{0};
    // fault::garbage's bytes (under mutex_): the same sequence in every run.
    std::minstd_rand garbage_{7};
};

}  // namespace edgegate::test
