#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "drivers/modbus/link_settings.hpp"
#include "drivers/modbus/point.hpp"
#include "gateway/core/units.hpp"

struct _modbus;

namespace edgegate {

// How one request (a read or a write) ended, as far as the line's loop cares.
enum class read_status {
    ok,
    // The device answered with an exception (other than the gateway ones): it is alive.
    exception,
    // Nothing (or only part of a frame) came back in time, or a gateway said the device
    // behind it did not answer (exceptions 0A and 0B).
    no_answer,
    // Something came back that is not the answer: bad CRC, another slave's or transaction's
    // reply, a wrong length.
    bad_frame,
    // The connection or the serial device failed; it has to be reopened.
    link_down,
};

struct read_result {
    read_status status = read_status::ok;
    int exception = 0;  // the Modbus exception code when status is `exception`
    std::string error;  // what went wrong, for logs and device events; empty when ok
};

// One Modbus link through libmodbus: a TCP connection (Modbus TCP, or RTU frames over TCP), or
// a serial device. Not thread-safe: owned and used by one thread, which must not mind SIGPIPE
// being blocked on it (open() blocks it: RTU over TCP writes with write(2), which would
// otherwise raise it when the peer has gone).
class modbus_connection {
  public:
    explicit modbus_connection(link_settings link);
    ~modbus_connection();
    modbus_connection(const modbus_connection&) = delete;
    modbus_connection& operator=(const modbus_connection&) = delete;

    // (Re)opens the link: connects within `timeout` (TCP), or opens and configures the serial
    // device. Returns what went wrong, nullopt on success. Blocks up to `timeout`.
    std::optional<std::string> open(duration timeout);
    void close();
    bool is_open() const { return ctx_ != nullptr; }

    // One read request of `count` registers or bits of `table` from `address` of `unit`. On
    // success `data` holds them (a bit as 0 or 1). Whatever is waiting in the input from an
    // earlier exchange (a late reply, the rest of a garbled frame) is discarded first, so it
    // cannot be taken for this answer. Blocks up to `timeout` (plus the gaps between the bytes
    // of a slow serial reply).
    read_result read(int unit, modbus_table table, int address, int count, duration timeout,
                     std::vector<std::uint16_t>& data);

    // One write request to `table` (coil or holding) from `address` of `unit`: `data` holds one
    // register, or one bit as 0 or 1, per address. FC05 (one coil) or FC06 (one register), FC15
    // or FC16 for several, or always when `multiple`. libmodbus 3.1.6 does not check write
    // replies (the FC05/06 echo least of all), so this does: the unit id, the function code and
    // the echo (address and value for FC05/06, address and quantity for FC15/16); a mismatch is
    // a bad_frame. Pending input is discarded first, as for reads. Blocks up to `timeout`.
    read_result write(int unit, modbus_table table, int address,
                      std::span<const std::uint16_t> data, bool multiple, duration timeout);

    const link_settings& link() const { return link_; }

  private:
    void discard_pending();
    // Before every request: discards pending input, addresses `unit`, sets the timeouts.
    void prepare(int unit, duration timeout);
    // A request that failed with libmodbus's `err`.
    read_result failed(int err, duration timeout);
    read_result exception_reply(int code);
    // A reply that is not the answer: whatever else is on its way is discarded too.
    read_result bad_frame(const std::string& why);

    link_settings link_;
    _modbus* ctx_ = nullptr;
    // The connected socket for the TCP transports: connected here rather than by libmodbus,
    // which cannot resolve host names with a timeout nor speak RTU over TCP.
    int socket_ = -1;
    std::vector<std::uint8_t> bits_;
};

}  // namespace edgegate
