#include "drivers/modbus/link_settings.hpp"

#include <algorithm>
#include <array>

namespace edgegate {

namespace {

constexpr std::array bauds = {1200,  2400,   4800,   9600,   19200, 38400,
                              57600, 115200, 230400, 460800, 921600};

}  // namespace

std::string link_settings::key() const {
    if (kind == transport::rtu) return serial;
    const bool ipv6 = host.find(':') != std::string::npos;
    return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::string link_settings::describe() const {
    if (kind == transport::rtu) {
        return "rtu:" + serial + " (" + std::to_string(baud) + " " + std::to_string(data_bits) +
               parity + std::to_string(stop_bits) + ")";
    }
    return transport_name(kind) + "://" + key();
}

std::string transport_name(transport t) {
    switch (t) {
        case transport::tcp:
            return "tcp";
        case transport::rtu:
            return "rtu";
        case transport::rtu_over_tcp:
            return "rtu-over-tcp";
    }
    return "tcp";
}

bool is_standard_baud(int baud) {
    return std::find(bauds.begin(), bauds.end(), baud) != bauds.end();
}

std::string standard_bauds() {
    std::string text;
    for (const int b : bauds) {
        if (!text.empty()) text += ", ";
        text += std::to_string(b);
    }
    return text;
}

}  // namespace edgegate
