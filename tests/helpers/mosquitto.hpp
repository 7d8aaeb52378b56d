#pragma once

#include <memory>
#include <string>

#include "tests/helpers/process.hpp"
#include "tests/helpers/temp_dir.hpp"

namespace edgegate::test {

// A mosquitto of the test's own on 127.0.0.1 and a free port, configured from the pinned
// tests/fixtures/mosquitto.conf.in, with its persistence and log in its own temporary folder
// (mosquitto.log there). The port is chosen once, so a restarted broker comes back where its
// clients expect it. Test thread only.
class mosquitto_broker {
  public:
    // Starts the broker (see start()).
    explicit mosquitto_broker(bool persistence = true);
    ~mosquitto_broker();
    mosquitto_broker(const mosquitto_broker&) = delete;
    mosquitto_broker& operator=(const mosquitto_broker&) = delete;

    int port() const { return port_; }
    // tcp://127.0.0.1:PORT
    std::string uri() const;
    // The broker's own folder (config, persistence, log).
    const std::string& dir() const { return dir_.path(); }

    // Starts the broker and waits (10 s at most) until the port accepts connections; throws
    // with the broker's log when it does not come up.
    void start();
    // SIGKILL and reap: the broker dies as in a crash; only its last autosave (at most 1 s old)
    // survives. Messages it had already acknowledged (PUBACK) but not yet delivered to a
    // subscriber nor saved are lost with it (measured: a few dozen at 10k msg/s), so a test that
    // needs every seq to arrive uses stop(), or requires only the seqs after the publisher's last
    // PUBACK.
    void kill();
    // SIGTERM and reap: the broker saves its sessions (queued and in-flight QoS 1 messages of
    // persistent subscribers included) and exits, so nothing it acknowledged is lost.
    void stop();
    bool running();

  private:
    temp_dir dir_;
    int port_;
    std::unique_ptr<child_process> process_;
};

}  // namespace edgegate::test
