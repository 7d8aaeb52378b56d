#pragma once

#include <string_view>

namespace edgegate {

// The sd_notify protocol (systemd's Type=notify): each call sends one datagram to the socket
// named by NOTIFY_SOCKET and does nothing when it is unset (started by hand, or by a service
// manager that does not listen). Any thread. Never throws; a send may block for as long as the
// service manager's receive queue is full, which in practice is not at all.

// True when NOTIFY_SOCKET is set, so a status thread is worth starting.
bool notify_enabled();
// Start-up is complete: systemd considers the unit started and starts what waits for it.
void notify_ready();
// One line for `systemctl status` (STATUS=...).
void notify_status(std::string_view status);
// Shutdown has begun, so a slow stop is not mistaken for a hang at start.
void notify_stopping();
// The watchdog keep-alive (WATCHDOG=1); see watchdog.hpp for when it may be sent.
void notify_watchdog();

}  // namespace edgegate
