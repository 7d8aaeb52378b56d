#include "gateway/config/config.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/depthguard.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <filesystem>
#include <optional>
#include <set>
#include <system_error>
#include <tuple>

#include "drivers/registry.hpp"
#include "gateway/core/diagnostics.hpp"
#include "gateway/core/names.hpp"
#include "gateway/core/yaml_section.hpp"
#include "rules/rule_parser.hpp"

namespace edgegate {

namespace {

using namespace std::chrono_literals;

// yaml-cpp builds the whole document in memory; a configuration is a few KiB, so anything
// larger is a mistake (a journal or a log passed with -c), not a configuration.
constexpr std::size_t max_file_bytes = 1 << 20;

class fd_guard {
  public:
    explicit fd_guard(int fd) : fd_(fd) {}
    ~fd_guard() { ::close(fd_); }
    fd_guard(const fd_guard&) = delete;
    fd_guard& operator=(const fd_guard&) = delete;

  private:
    int fd_;
};

config_unreadable unreadable(const std::string& path, const std::string& reason) {
    return config_unreadable(path + ": cannot read configuration: " + reason);
}

std::string errno_text() { return std::generic_category().message(errno); }

// Not std::ifstream: it "opens" a directory and a FIFO would block; the size is checked on the
// open descriptor and again while reading, in case the file grows meanwhile.
std::string read_file(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) throw unreadable(path, errno_text());
    const fd_guard guard(fd);
    struct stat st {};
    if (::fstat(fd, &st) != 0) throw unreadable(path, errno_text());
    if (!S_ISREG(st.st_mode)) throw unreadable(path, "not a regular file");
    const auto too_large = [&path](std::size_t bytes) {
        return unreadable(path, "file is too large (" + std::to_string(bytes) +
                                    " bytes, the limit is " + format_size(max_file_bytes) + ")");
    };
    if (static_cast<std::uint64_t>(st.st_size) > max_file_bytes) {
        throw too_large(static_cast<std::size_t>(st.st_size));
    }
    std::string text;
    std::array<char, 16384> buf;
    for (;;) {
        const ssize_t n = ::read(fd, buf.data(), buf.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw unreadable(path, errno_text());
        if (n == 0) break;
        text.append(buf.data(), static_cast<std::size_t>(n));
        if (text.size() > max_file_bytes) throw too_large(text.size());
    }
    return text;
}

YAML::Node parse(const std::string& text, diagnostics& diag) {
    try {
        const std::vector<YAML::Node> documents = YAML::LoadAll(text);
        if (documents.empty()) return YAML::Node(YAML::NodeType::Null);
        // A second document is more often a stray `---` or an indentation slip than intent.
        if (documents.size() > 1) {
            const YAML::Mark m = documents[1].Mark();
            diag.error(m.line, m.column, "", "expected a single YAML document");
        }
        return documents.front();
    } catch (const YAML::DeepRecursion& e) {
        // yaml-cpp 0.7 labels this one "bad file".
        diag.error(e.mark.line, e.mark.column, "", "invalid YAML: nested too deeply");
        return YAML::Node(YAML::NodeType::Undefined);
    } catch (const YAML::Exception& e) {
        diag.error(e.mark.line, e.mark.column, "", "invalid YAML: " + e.msg);
        return YAML::Node(YAML::NodeType::Undefined);
    }
}

std::string join(const std::vector<std::string>& words) {
    std::string text;
    for (const auto& w : words) {
        if (!text.empty()) text += ", ";
        text += w;
    }
    return text;
}

std::optional<std::string> name_problem(const std::string& name) {
    if (name.empty()) return "must not be empty";
    if (!is_valid_name(name)) return quote(name) + " may only contain A-Z a-z 0-9 _ . -";
    return std::nullopt;
}

std::string host_name() {
    std::array<char, 256> buf{};
    if (::gethostname(buf.data(), buf.size() - 1) != 0) buf[0] = '\0';
    std::string id(buf.data());
    for (char& c : id) {
        if (!is_valid_name(std::string_view(&c, 1))) c = '_';
    }
    return id.empty() ? "edgegate" : id;
}

// SCHEME://HOST[:PORT], HOST possibly a bracketed IPv6 address; what Paho accepts as a server URI.
bool is_valid_broker_uri(std::string_view uri) {
    constexpr std::array<std::string_view, 4> schemes{"tcp://", "mqtt://", "ssl://", "mqtts://"};
    const auto scheme = std::find_if(schemes.begin(), schemes.end(),
                                     [uri](std::string_view s) { return uri.starts_with(s); });
    if (scheme == schemes.end()) return false;
    const std::string_view rest = uri.substr(scheme->size());
    std::string_view host = rest;
    std::string_view port;
    bool has_port = false;
    if (rest.starts_with('[')) {
        const auto close = rest.find(']');
        if (close == std::string_view::npos) return false;
        host = rest.substr(0, close + 1);
        const std::string_view after = rest.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') return false;
            port = after.substr(1);
            has_port = true;
        }
    } else if (const auto colon = rest.rfind(':'); colon != std::string_view::npos) {
        host = rest.substr(0, colon);
        port = rest.substr(colon + 1);
        has_port = true;
    }
    if (host.empty() || host.find_first_of("/@ \t?#") != std::string_view::npos) return false;
    if (!has_port) return true;
    if (port.empty() || port.size() > 5) return false;
    if (!std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return false;
    }
    const int number = std::stoi(std::string(port));
    return number >= 1 && number <= 65535;
}

std::optional<std::string> topic_prefix_problem(const std::string& prefix) {
    if (prefix.empty()) return "must not be empty";
    const std::string invalid = "invalid topic prefix " + quote(prefix) + ": ";
    if (prefix.find_first_of("+#") != std::string::npos) {
        return invalid + "must not contain the MQTT wildcards '+' or '#'";
    }
    if (prefix.front() == '/' || prefix.back() == '/') {
        return invalid + "must not start or end with '/'";
    }
    if (prefix.find("//") != std::string::npos) return invalid + "must not contain an empty level";
    return std::nullopt;
}

void read_log(yaml_section section, gateway_config& cfg) {
    cfg.log_level =
        section.enumeration("level", cfg.log_level, {"trace", "debug", "info", "warn", "error"});
    section.finish();
}

void read_gateway(yaml_section section, gateway_section& gw) {
    if (auto id = section.opt_str("id")) {
        if (const auto problem = name_problem(*id)) {
            section.error(section.raw("id"), "id", *problem);
        } else {
            gw.id = std::move(*id);
        }
    }
    if (gw.id.empty()) gw.id = host_name();
    section.finish();
}

void read_journal(yaml_section section, journal_section& j, const std::string& config_file) {
    j.path = section.str("path", j.path);
    if (j.path.empty()) {
        section.error(section.raw("path"), "path", "must not be empty");
    } else if (std::filesystem::path p(j.path); p.is_relative()) {
        // Relative to the configuration file, not to the working directory, so a configuration
        // means the same thing whoever starts the gateway and from wherever.
        std::error_code ec;
        auto folder = std::filesystem::absolute(config_file, ec).parent_path();
        if (ec) folder = std::filesystem::path(config_file).parent_path();
        j.path = (folder / p).lexically_normal().string();
    }
    j.durability = section.enumeration("durability", "full", {"full", "normal"}) == "normal"
                       ? durability::normal
                       : durability::full;
    j.max_bytes = section.size("max_bytes", j.max_bytes, 1ull << 20, 1ull << 40);
    j.max_age = section.dur("max_age", j.max_age, 1min, 3650 * 24h);
    j.commit_interval = section.dur("commit_interval", j.commit_interval, 1ms, 10s);
    j.commit_batch = static_cast<int>(section.integer("commit_batch", j.commit_batch, 1, 100000));
    section.finish();
}

void read_mqtt(yaml_section section, mqtt_section& m, const std::string& gateway_id) {
    m.uri = section.str("uri", m.uri);
    if (!is_valid_broker_uri(m.uri)) {
        section.error(section.raw("uri"), "uri",
                      "expected a broker URI such as tcp://127.0.0.1:1883 (tcp://, mqtt://, "
                      "ssl:// or mqtts:// then HOST[:PORT]), got " +
                          quote(m.uri));
    }
    if (auto id = section.opt_str("client_id")) {
        if (id->empty()) section.error(section.raw("client_id"), "client_id", "must not be empty");
        m.client_id = std::move(*id);
    }
    if (m.client_id.empty()) m.client_id = "edgegate-" + gateway_id;
    m.version = section.enumeration("version", "3.1.1", {"3.1.1", "5"}) == "5" ? 5 : 4;
    m.qos = static_cast<int>(section.integer("qos", m.qos, 0, 2));
    m.keepalive = section.dur("keepalive", m.keepalive, 1s, 1h);
    // MQTT carries the keep-alive in whole seconds; rounding would change what was asked for.
    if (m.keepalive % 1s != 0ms) {
        section.error(
            section.raw("keepalive"), "keepalive",
            "expected a whole number of seconds, got '" + format_duration(m.keepalive) + "'");
        m.keepalive = mqtt_section{}.keepalive;
    }
    m.topic_prefix = section.str("topic_prefix", m.topic_prefix);
    if (const auto problem = topic_prefix_problem(m.topic_prefix)) {
        section.error(section.raw("topic_prefix"), "topic_prefix", *problem);
    }
    m.window = static_cast<int>(section.integer("window", m.window, 1, 10000));
    read_delay_range(section.child("reconnect"), m.reconnect.min, m.reconnect.max);
    section.finish();
}

// Checks what every device entry has (a unique `name`, a known `driver`) and hands the rest
// of the entry to its driver, which reports its own keys. Returns every valid device name, also
// of entries with other errors, so that the rules naming them are not reported as well; nothing
// when the section itself is unusable, so that the rules are not checked against it at all.
std::optional<std::vector<std::string>> read_devices(yaml_section& top, gateway_config& cfg) {
    const YAML::Node devices = top.raw("devices");
    if (!devices || devices.IsNull()) return std::vector<std::string>{};
    if (!devices.IsSequence()) {
        top.error(devices, "devices", "expected a sequence, got " + describe_value(devices));
        return std::nullopt;
    }
    const std::vector<std::string> drivers = driver_names();
    std::set<std::string, std::less<>> names;
    std::size_t i = 0;
    for (const YAML::Node& entry : devices) {
        const std::string path = "devices[" + std::to_string(i++) + "]";
        if (!entry.IsMap()) {
            top.error(entry, path, "expected a mapping, got " + describe_value(entry));
            continue;
        }
        yaml_section device(entry, path, top.diag());
        const std::string name = device.required_str("name");
        if (!name.empty()) {
            if (const auto problem = name_problem(name)) {
                device.error(device.raw("name"), "name", *problem);
            } else if (!names.insert(name).second) {
                device.error(device.raw("name"), "name", "duplicate device name '" + name + "'");
            }
        }
        const std::string driver_name = device.required_str("driver");
        if (driver_name.empty()) continue;
        if (std::find(drivers.begin(), drivers.end(), driver_name) == drivers.end()) {
            // The other keys of the entry belong to a driver we do not know, so they go unchecked.
            const auto suggestion = nearest(driver_name, drivers);
            device.error(device.raw("driver"), "driver",
                         "unknown driver " + quote(driver_name) + ", " +
                             (suggestion ? "did you mean '" + *suggestion + "'?"
                                         : "expected one of: " + join(drivers)));
            continue;
        }
        if (auto d = make_driver(driver_name, name, device)) cfg.devices.push_back(std::move(d));
    }
    return std::vector<std::string>(names.begin(), names.end());
}

}  // namespace

gateway_config load_config(const std::string& path) {
    const std::string text = read_file(path);
    diagnostics diag(path);
    gateway_config cfg;
    cfg.file = path;
    const YAML::Node root = parse(text, diag);
    if (root.IsDefined()) {
        yaml_section top(root, "", diag);
        read_log(top.child("log"), cfg);
        read_gateway(top.child("gateway"), cfg.gateway);
        read_journal(top.child("journal"), cfg.journal, path);
        read_mqtt(top.child("mqtt"), cfg.mqtt, cfg.gateway.id);
        const auto device_names = read_devices(top, cfg);
        cfg.rules = parse_rules(top.raw("rules"), "rules", diag, text,
                                device_names ? &*device_names : nullptr);
        top.finish();
    }
    if (diag.ok()) return cfg;
    // Sections are read in a fixed order and unknown keys are found last; report in file order.
    std::vector<config_error> errors = diag.errors();
    std::stable_sort(errors.begin(), errors.end(), [](const auto& a, const auto& b) {
        return std::tie(a.line, a.column) < std::tie(b.line, b.column);
    });
    throw config_exception(std::move(errors));
}

}  // namespace edgegate
