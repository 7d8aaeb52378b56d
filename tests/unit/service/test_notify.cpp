// The sd_notify messages, on a NOTIFY_SOCKET of the test's own.
#include <doctest/doctest.h>

#include <chrono>

#include "gateway/service/notify.hpp"
#include "tests/helpers/temp_dir.hpp"
#include "tests/unit/service/env_guard.hpp"
#include "tests/unit/service/notify_listener.hpp"

using namespace edgegate;
using namespace edgegate::test;
using namespace std::chrono_literals;

TEST_CASE("notify messages reach the socket named by NOTIFY_SOCKET") {
    temp_dir dir;
    notify_listener sd(dir.file("notify"));
    env_guard env({{"NOTIFY_SOCKET", sd.path()}});
    REQUIRE(notify_enabled());

    notify_ready();
    CHECK(sd.receive(2s) == "READY=1");
    notify_status("broker connected,\n0 event(s) waiting");
    CHECK(sd.receive(2s) == "STATUS=broker connected, 0 event(s) waiting");
    notify_stopping();
    CHECK(sd.receive(2s) == "STOPPING=1");
    notify_watchdog();
    CHECK(sd.receive(2s) == "WATCHDOG=1");
}

TEST_CASE("without NOTIFY_SOCKET notifying does nothing") {
    env_guard env({{"NOTIFY_SOCKET", std::nullopt}});
    CHECK_FALSE(notify_enabled());
    notify_ready();
    notify_watchdog();
}
