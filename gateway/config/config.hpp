#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <memory>
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

struct mqtt_section {
    std::string uri = "tcp://127.0.0.1:1883";
    std::string client_id;  // default: edgegate-<gateway.id>
    int version = 4;        // MQTT protocol level: 4 = "3.1.1", 5 = "5"
    int qos = 1;
    duration keepalive = std::chrono::seconds(30);
    std::string topic_prefix = "edgegate";
    int window = 256;
    backoff_section reconnect;
};

// The whole validated configuration. Move-only: it owns the (not yet started) drivers.
struct gateway_config {
    std::string file;
    std::string log_level = "info";  // `log: { level: ... }`: trace | debug | info | warn | error
    gateway_section gateway;
    journal_section journal;
    mqtt_section mqtt;
    std::vector<std::unique_ptr<driver>> devices;
    std::vector<rule> rules;  // validated by rules/ (rules/README.md)
};

// Reads and validates `path` on the main thread. Relative journal paths are resolved against
// the configuration file's folder.
// Throws config_unreadable when the file cannot be read (missing, unreadable, over 1 MiB) and
// config_exception carrying *every* error when it is invalid.
gateway_config load_config(const std::string& path);

}  // namespace edgegate
