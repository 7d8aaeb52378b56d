#include "gateway/service/notify.hpp"

#include <systemd/sd-daemon.h>

#include <cstdlib>
#include <string>

namespace edgegate {

namespace {

// unset_environment=0: the status and watchdog threads notify again later.
void send(const std::string& state) { sd_notify(0, state.c_str()); }

}  // namespace

bool notify_enabled() {
    const char* socket = std::getenv("NOTIFY_SOCKET");
    return socket != nullptr && *socket != '\0';
}

void notify_ready() { send("READY=1"); }

void notify_status(std::string_view status) {
    // A newline would end the assignment and start another one.
    std::string line = "STATUS=";
    for (const char c : status) line += c == '\n' ? ' ' : c;
    send(line);
}

void notify_stopping() { send("STOPPING=1"); }

void notify_watchdog() { send("WATCHDOG=1"); }

}  // namespace edgegate
