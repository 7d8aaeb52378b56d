// edgegate-modbus-sim: a Modbus TCP device for the demo (`make demo`) and for trying the driver
// without hardware. It serves a small energy meter whose values change with time (the map is
// in drivers/modbus/README.md) on 127.0.0.1 only: it answers with libmodbus's modbus_reply,
// which must not face untrusted peers (CVE-2022-0367).
#include <modbus/modbus.h>
#include <signal.h>
#include <sys/select.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <numbers>
#include <set>
#include <string_view>

#include "drivers/modbus/byte_order.hpp"

namespace {

volatile sig_atomic_t stop_requested = 0;

void on_stop_signal(int) { stop_requested = 1; }

double wave(double seconds, double period) {
    return std::sin(2 * std::numbers::pi * seconds / period);
}

void put(std::uint16_t* regs, edgegate::byte_order order, std::uint64_t raw, std::size_t count) {
    edgegate::raw_to_registers(order, raw, std::span<std::uint16_t>(regs, count));
}

void put_string(std::uint16_t* regs, std::string_view text, std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) {
        const auto hi = 2 * i < text.size() ? static_cast<unsigned char>(text[2 * i]) : 0;
        const auto lo = 2 * i + 1 < text.size() ? static_cast<unsigned char>(text[2 * i + 1]) : 0;
        regs[i] = static_cast<std::uint16_t>(hi << 8 | lo);
    }
}

// The meter at `t` seconds since start.
void update(modbus_mapping_t* m, double t) {
    using edgegate::byte_order;
    const double voltage = 230 + 3 * wave(t, 20);
    const double current = 12 + 4 * wave(t, 30);
    const bool running = std::fmod(t, 60) < 30;
    const bool alarm = current > 15;
    std::uint16_t* h = m->tab_registers;
    put(h + 0, byte_order::abcd, std::bit_cast<std::uint32_t>(static_cast<float>(voltage)), 2);
    put(h + 2, byte_order::cdab, std::bit_cast<std::uint32_t>(static_cast<float>(current)), 2);
    put(h + 4, byte_order::abcd, static_cast<std::uint32_t>(100000 + t * voltage * current / 3600),
        2);
    h[6] = static_cast<std::uint16_t>(std::lround(5000 + 5 * wave(t, 45)));
    h[7] = static_cast<std::uint16_t>((running ? 1 : 0) | (alarm ? 1 << 3 : 0));
    h[8] =
        static_cast<std::uint16_t>(static_cast<std::int16_t>(std::lround(215 + 20 * wave(t, 90))));
    put(h + 10, byte_order::abcd, static_cast<std::uint64_t>(t), 4);
    put_string(h + 20, "EGSIM-0001", 8);
    m->tab_bits[0] = running ? 1 : 0;
    m->tab_input_registers[0] = static_cast<std::uint16_t>(std::lround(250 + 30 * wave(t, 40)));
    m->tab_input_bits[0] = std::fmod(t, 45) < 5 ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"edgegate-modbus-sim: a simulated Modbus TCP energy meter on 127.0.0.1"};
    int port = 1502;
    app.add_option("--port", port, "TCP port on 127.0.0.1")
        ->capture_default_str()
        ->check(CLI::Range(1, 65535));
    CLI11_PARSE(app, argc, argv);

    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGINT, &sa, nullptr);
    signal(SIGPIPE, SIG_IGN);

    modbus_t* ctx = modbus_new_tcp("127.0.0.1", port);
    modbus_mapping_t* map = modbus_mapping_new(16, 16, 64, 16);
    if (ctx == nullptr || map == nullptr) {
        std::fprintf(stderr, "edgegate-modbus-sim: %s\n", modbus_strerror(errno));
        return 1;
    }
    const int listener = modbus_tcp_listen(ctx, 8);
    if (listener < 0) {
        std::fprintf(stderr, "edgegate-modbus-sim: listen on 127.0.0.1:%d: %s\n", port,
                     modbus_strerror(errno));
        return 1;
    }
    std::printf("edgegate-modbus-sim: serving on 127.0.0.1:%d\n", port);
    std::fflush(stdout);

    const auto start = std::chrono::steady_clock::now();
    std::set<int> clients;
    std::uint8_t query[MODBUS_TCP_MAX_ADU_LENGTH];
    while (stop_requested == 0) {
        fd_set ready;
        FD_ZERO(&ready);
        FD_SET(listener, &ready);
        int top = listener;
        for (const int c : clients) {
            FD_SET(c, &ready);
            top = std::max(top, c);
        }
        if (select(top + 1, &ready, nullptr, nullptr, nullptr) < 0) continue;  // EINTR: a signal
        if (FD_ISSET(listener, &ready)) {
            int s = listener;
            if (const int c = modbus_tcp_accept(ctx, &s); c >= 0) clients.insert(c);
        }
        for (auto it = clients.begin(); it != clients.end();) {
            const int c = *it;
            if (!FD_ISSET(c, &ready)) {
                ++it;
                continue;
            }
            modbus_set_socket(ctx, c);
            const int n = modbus_receive(ctx, query);
            if (n > 0) {
                const std::chrono::duration<double> t = std::chrono::steady_clock::now() - start;
                update(map, t.count());
                modbus_reply(ctx, query, n, map);
            }
            if (n < 0) {
                close(c);
                it = clients.erase(it);
            } else {
                ++it;
            }
        }
    }
    for (const int c : clients) close(c);
    close(listener);
    modbus_mapping_free(map);
    modbus_set_socket(ctx, -1);
    modbus_free(ctx);
    return 0;
}
