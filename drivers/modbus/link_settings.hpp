#pragma once

#include <string>

namespace edgegate {

enum class transport { tcp, rtu, rtu_over_tcp };

// Where a Modbus connection goes and how: a TCP endpoint, or a serial line with its framing.
// Devices whose settings have the same key() share one connection and one thread.
struct link_settings {
    transport kind = transport::tcp;
    std::string host;
    int port = 502;
    std::string serial;
    int baud = 19200;
    char parity = 'E';  // 'N', 'E' or 'O', as libmodbus wants it
    int data_bits = 8;
    int stop_bits = 1;

    // host:port for both TCP transports, the device path for a serial line.
    std::string key() const;
    // For logs and messages: tcp://10.0.0.5:502, rtu-over-tcp://10.0.0.6:4001,
    // rtu:/dev/ttyUSB0 (19200 8E1).
    std::string describe() const;
};

std::string transport_name(transport t);

// The baud rates libmodbus 3.1.6 maps to a termios speed from 1200 up; for any other value it
// silently opens the line at 9600, so the configuration refuses them.
bool is_standard_baud(int baud);
std::string standard_bauds();

}  // namespace edgegate
