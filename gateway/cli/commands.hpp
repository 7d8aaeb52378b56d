#pragma once

#include <cstdint>
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

// `edgegate events` and `edgegate replay`: which journaled events (README "Local history").
// Every option left empty selects everything.
struct history_query {
    std::string since;       // a duration ago ("10m", "2h", "7d") or an ISO 8601 time
    std::string until;       // likewise; the event's source ts must be before it
    std::string device;      // a device name
    std::string point;       // a point name
    std::string kind;        // reading, alert or event
    std::int64_t limit = 0;  // at most this many, the first in seq order; 0: no limit
};

// Prints the selected events, one JSON object per line: the payload as it was published with
// the full topic put first. Reads the journal through a read-only connection, so a running
// gateway is not disturbed. 0 when done (also when nothing matched), 1 for bad arguments, 2 when
// the configuration or the journal cannot be read.
int show_events(const std::string& config_path, const history_query& query);

struct replay_options {
    int rate = 1000;       // publishes per second, at most
    bool dry_run = false;  // print what would be published instead
};

// Republishes the selected events to `<prefix>/<gw>/replay/<topic>` (QoS 1, not retained) with
// the client id `<mqtt.client_id>-replay`, waits for every PUBACK and prints how many went out.
// Never writes the journal (its cursors included). Exit codes as show_events(), and 3 when the
// broker cannot be reached or an event is not acknowledged.
int replay_events(const std::string& config_path, const history_query& query,
                  const replay_options& options);

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
