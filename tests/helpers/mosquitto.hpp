#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/helpers/process.hpp"
#include "tests/helpers/temp_dir.hpp"

namespace edgegate::test {

// A TLS listener on a second port, beside the plain one (which a test's subscriber can keep
// using). The files are copied into the broker's folder, where its user can read them.
struct broker_tls {
    std::string ca_file;    // client certificates must chain to it
    std::string cert_file;  // the server certificate
    std::string key_file;
    bool require_certificate = false;  // refuse a client without a certificate
};

struct broker_options {
    bool persistence = true;
    std::optional<broker_tls> tls;
    // User name -> password, put into a mosquitto password_file. allow_anonymous stays true,
    // so a client without a user name (the test's subscriber) still connects, while one giving
    // a user name must give its password.
    std::map<std::string, std::string> users;
    // The listener's address, and the host of uri(): another one than loopback for a broker
    // inside a network namespace (tests/helpers/net_namespace.hpp).
    std::string host = "127.0.0.1";
    // Put before the mosquitto command line, e.g. {"ip", "netns", "exec", NAME}.
    std::vector<std::string> launcher;
    // Appended to the pinned configuration: a later line overrides an earlier one (a smaller
    // max_queued_messages, say), and a `listener` line adds a listener.
    std::string extra_config;
};

// A mosquitto of the test's own on 127.0.0.1 (or options.host) and a free port, configured from the
// pinned tests/fixtures/mosquitto.conf.in, with its persistence and log in its own temporary folder
// (mosquitto.log there). The port is chosen once, so a restarted broker comes back where its
// clients expect it. Test thread only.
class mosquitto_broker {
  public:
    // Starts the broker (see start()).
    explicit mosquitto_broker(bool persistence = true);
    explicit mosquitto_broker(broker_options options);
    ~mosquitto_broker();
    mosquitto_broker(const mosquitto_broker&) = delete;
    mosquitto_broker& operator=(const mosquitto_broker&) = delete;

    int port() const { return port_; }
    // tcp://127.0.0.1:PORT
    std::string uri() const;
    // The TLS listener's port (0 without one) and ssl://HOST:PORT, HOST as given: the name a
    // client verifies the certificate against.
    int tls_port() const { return tls_port_; }
    std::string tls_uri(const std::string& host = "127.0.0.1") const;
    // The broker's own folder (config, persistence, log).
    const std::string& dir() const { return dir_.path(); }
    // What the broker has logged so far (connections, refusals, TLS errors).
    std::string log() const;

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
    // SIGSTOP / SIGCONT: a broker that keeps its connections open but answers nothing, as
    // behind a network black hole (TCP still acknowledges, MQTT stays silent).
    void pause();
    void resume();

  private:
    temp_dir dir_;
    int port_;
    int tls_port_ = 0;
    std::string host_ = "127.0.0.1";
    std::vector<std::string> launcher_;
    std::unique_ptr<child_process> process_;
};

}  // namespace edgegate::test
