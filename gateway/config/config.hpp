#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "drivers/driver.hpp"
#include "gateway/core/units.hpp"
#include "rules/rule.hpp"

namespace edgegate {

enum class durability { full, normal };

struct gateway_section {
    std::string id;  // default: the host name (sanitised to [A-Za-z0-9_.-])
};

struct journal_section {
    std::string path = "/var/lib/edgegate/journal.db";
    edgegate::durability durability = durability::full;
    std::uint64_t max_bytes = 256ull << 20;
    duration max_age = std::chrono::hours(24 * 7);
    duration commit_interval = std::chrono::milliseconds(50);
    int commit_batch = 1000;
};

struct backoff_section {
    duration min = std::chrono::milliseconds(500);
    duration max = std::chrono::seconds(30);
};

// A password from the configuration. No output operator, no fmt formatter and no conversion to
// a string: it cannot reach a log line, an error message or `edgegate check` output by accident.
// reveal() is for the one place that hands it to the MQTT client.
class secret {
  public:
    secret() = default;
    explicit secret(std::string value) : value_(std::move(value)) {}

    bool empty() const { return value_.empty(); }
    const std::string& reveal() const { return value_; }

  private:
    std::string value_;
};

// `mqtt.tls`: how the broker is verified and how we prove who we are (README "TLS and
// credentials"). Paths are absolute (relative ones are resolved against the configuration
// file's folder) and were readable at load.
struct tls_section {
    std::string ca_file;    // empty: the system CA store (/etc/ssl/certs)
    std::string cert_file;  // client certificate (mutual TLS); set exactly when key_file is
    std::string key_file;
    // The broker's certificate chain and host name; false only when written in the file.
    bool verify = true;
};

struct mqtt_section {
    std::string uri = "tcp://127.0.0.1:1883";
    std::string client_id;  // default: edgegate-<gateway.id>
    int version = 4;        // MQTT protocol level: 4 = "3.1.1", 5 = "5"
    int qos = 1;
    duration keepalive = std::chrono::seconds(30);
    std::string topic_prefix = "edgegate";
    int window = 256;
    // Messages published per second at most (a token bucket holding a second's worth);
    // 0: unlimited. Alerts and other high-lane events take the tokens first.
    int rate_limit = 0;
    // Readings per message while catching up (one JSON array per device on
    // "<prefix>/<gw>/batch/<device>"); 1: every reading its own message.
    int batch = 1;
    backoff_section reconnect;
    // Set exactly when `uri` is ssl:// or mqtts://.
    std::optional<tls_section> tls;
    // How often the retained status message is published again while connected.
    duration status_interval = std::chrono::seconds(60);
    std::string username;  // empty: connect without credentials
    secret password;       // from password_file or password_env; only with a username
    // What the user should know about the broker connection's security (verification off,
    // credentials readable by others): logged by the forwarder at every start, printed by
    // `edgegate check`. Never contains the password.
    std::vector<std::string> warnings;
};

// MQTT commands (gateway/command/README.md): writes to points with `writable: true`.
struct commands_section {
    // A command carrying a `ts` older than this is refused (a broker replaying a backlog).
    duration max_age = std::chrono::seconds(30);
    // Commands accepted per point per second (a token bucket holding this many).
    int rate = 10;
};

// `metrics: { listen: HOST:PORT }`: where /metrics and /healthz are served (README "Metrics").
struct metrics_section {
    std::string host;  // an IPv4 address, a host name, or an IPv6 address without brackets
    int port = 0;
    bool operator==(const metrics_section&) const = default;
};

// The whole validated configuration. Move-only: it owns the (not yet started) drivers.
struct gateway_config {
    std::string file;
    std::string log_level = "info";  // `log: { level: ... }`: trace | debug | info | warn | error
    gateway_section gateway;
    journal_section journal;
    mqtt_section mqtt;
    commands_section commands;
    std::optional<metrics_section> metrics;  // absent: no HTTP endpoint
    std::vector<std::unique_ptr<driver>> devices;
    std::vector<rule> rules;  // validated by rules/ (rules/README.md)
};

// Reads and validates `path` on the main thread. Relative journal paths are resolved against
// the configuration file's folder.
// Throws config_unreadable when the file cannot be read (missing, unreadable, over 1 MiB) and
// config_exception carrying *every* error when it is invalid.
gateway_config load_config(const std::string& path);

}  // namespace edgegate
