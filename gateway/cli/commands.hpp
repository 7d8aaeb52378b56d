#pragma once

#include <string>

namespace edgegate {

// Each subcommand returns the process exit code. Main thread.

// Runs the gateway until SIGTERM/SIGINT (0) or a fatal error (1); 1 also for an invalid
// configuration or a journal that cannot be opened.
int run_gateway(const std::string& config_path);

// 0 when the file is valid, 1 when it has errors (all printed), 2 when it cannot be read.
int check_config(const std::string& config_path);

// Prints the journal's state; with `verify` also runs the full integrity check (1 when it
// fails). 2 when the journal cannot be opened.
int show_status(const std::string& config_path, bool verify);

// `edgegate probe modbus`: what to read, and from where.
struct modbus_probe {
    // tcp://HOST[:PORT] (502 by default), rtu-over-tcp://HOST:PORT, or a serial device
    // (/dev/ttyUSB0, or rtu:/dev/ttyUSB0).
    std::string target;
    int unit = 1;
    std::string table = "holding";
    int address = 0;
    int count = 4;
    std::string timeout = "1s";
    int baud = 19200;
    std::string parity = "even";
    int data_bits = 8;
    int stop_bits = 1;
};

// Reads once and prints the raw registers with every decoding of them (types x byte orders).
// 0 when the read succeeded, 1 when it failed, 2 for arguments that make no sense.
int probe_modbus(const modbus_probe& probe);

}  // namespace edgegate
