#include <iostream>
#include <optional>
#include <string_view>

#include "drivers/modbus/connection.hpp"
#include "drivers/modbus/probe_report.hpp"
#include "drivers/modbus/read_plan.hpp"
#include "gateway/cli/commands.hpp"
#include "gateway/core/units.hpp"

namespace edgegate {

namespace {

// HOST[:PORT] or [IPV6][:PORT] -> host and port (502 when absent).
bool split_host_port(std::string_view s, link_settings& link) {
    std::string_view host = s;
    std::string_view port;
    if (s.starts_with('[')) {
        const auto close = s.find(']');
        if (close == std::string_view::npos) return false;
        host = s.substr(1, close - 1);
        const auto rest = s.substr(close + 1);
        if (!rest.empty() && !rest.starts_with(':')) return false;
        if (!rest.empty()) port = rest.substr(1);
    } else if (const auto colon = s.rfind(':'); colon != std::string_view::npos) {
        host = s.substr(0, colon);
        port = s.substr(colon + 1);
    }
    if (host.empty()) return false;
    link.host = std::string(host);
    link.port = 502;
    if (port.empty()) return true;
    int p = 0;
    for (const char c : port) {
        if (c < '0' || c > '9' || p > 65535) return false;
        p = p * 10 + (c - '0');
    }
    link.port = p;
    return p >= 1 && p <= 65535;
}

std::optional<link_settings> parse_target(const modbus_probe& probe) {
    link_settings link;
    std::string_view t = probe.target;
    if (t.starts_with("tcp://")) {
        link.kind = transport::tcp;
        return split_host_port(t.substr(6), link) ? std::optional(link) : std::nullopt;
    }
    if (t.starts_with("rtu-over-tcp://")) {
        link.kind = transport::rtu_over_tcp;
        return split_host_port(t.substr(15), link) ? std::optional(link) : std::nullopt;
    }
    if (t.starts_with("rtu:")) t.remove_prefix(4);
    if (!t.starts_with('/')) return std::nullopt;
    link.kind = transport::rtu;
    link.serial = std::string(t);
    link.baud = probe.baud;
    link.parity = probe.parity == "none" ? 'N' : probe.parity == "odd" ? 'O' : 'E';
    link.data_bits = probe.data_bits;
    link.stop_bits = probe.stop_bits;
    return link;
}

modbus_table parse_table(const std::string& s) {
    if (s == "coil") return modbus_table::coil;
    if (s == "discrete") return modbus_table::discrete;
    if (s == "input") return modbus_table::input;
    return modbus_table::holding;
}

int usage(const std::string& message) {
    std::cerr << "edgegate probe modbus: " << message << '\n';
    return 2;
}

}  // namespace

int probe_modbus(const modbus_probe& probe) {
    const auto link = parse_target(probe);
    if (!link) {
        return usage("cannot read target '" + probe.target +
                     "': expected tcp://HOST[:PORT], rtu-over-tcp://HOST[:PORT] or a serial "
                     "device such as /dev/ttyUSB0");
    }
    if (link->kind == transport::rtu && !is_standard_baud(link->baud)) {
        return usage("unsupported baud rate " + std::to_string(link->baud) +
                     ", expected one of: " + standard_bauds());
    }
    if (link->kind != transport::tcp && (probe.unit < 1 || probe.unit > 247)) {
        return usage("--unit must be 1..247 on a serial line");
    }
    const auto timeout = parse_duration(probe.timeout);
    if (!timeout || *timeout <= duration::zero()) {
        return usage("cannot read --timeout '" + probe.timeout + "': expected e.g. 500ms or 2s");
    }
    const modbus_table table = parse_table(probe.table);
    const int limit = is_bit_table(table) ? max_read_bits : max_read_registers;
    if (probe.count > limit) {
        return usage("--count must be 1.." + std::to_string(limit) + " for table " + probe.table);
    }
    if (probe.address + probe.count > 65536) {
        return usage("--address + --count runs past 65535");
    }

    modbus_connection conn(*link);
    if (const auto error = conn.open(*timeout)) {
        std::cerr << link->describe() << ": " << *error << '\n';
        return 1;
    }
    std::vector<std::uint16_t> data;
    const read_result r = conn.read(probe.unit, table, probe.address, probe.count, *timeout, data);
    const std::string what = probe.table + " " + std::to_string(probe.address) + ".." +
                             std::to_string(probe.address + probe.count - 1) + " of unit " +
                             std::to_string(probe.unit) + " at " + link->describe();
    if (r.status != read_status::ok) {
        std::cerr << what << ": " << r.error << '\n';
        return 1;
    }
    std::cout << what << "\n\n" << format_probe_report(table, probe.address, data);
    return 0;
}

}  // namespace edgegate
