#include "gateway/config/config.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/parser.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
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

// Where the root node of a stream's second document is, found without building any node.
class second_document_mark : public YAML::EventHandler {
  public:
    std::optional<YAML::Mark> mark;

    void OnDocumentStart(const YAML::Mark&) override { ++documents_; }
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark& m, YAML::anchor_t) override { node(m); }
    void OnAlias(const YAML::Mark& m, YAML::anchor_t) override { node(m); }
    void OnScalar(const YAML::Mark& m, const std::string&, YAML::anchor_t,
                  const std::string&) override {
        node(m);
    }
    void OnSequenceStart(const YAML::Mark& m, const std::string&, YAML::anchor_t,
                         YAML::EmitterStyle::value) override {
        node(m);
    }
    void OnSequenceEnd() override {}
    void OnMapStart(const YAML::Mark& m, const std::string&, YAML::anchor_t,
                    YAML::EmitterStyle::value) override {
        node(m);
    }
    void OnMapEnd() override {}

  private:
    void node(const YAML::Mark& m) {
        if (documents_ == 2 && !mark) mark = m;
    }
    int documents_ = 0;
};

YAML::Node parse(const std::string& text, diagnostics& diag) {
    try {
        const YAML::Node root = YAML::Load(text);
        // A second document is more often a stray `---` or an indentation slip than intent.
        // Not YAML::LoadAll: in yaml-cpp 0.7 it never returns on a stray ',' at the top level
        // (the same empty document again and again until memory runs out, jbeder/yaml-cpp#1040),
        // so the stream is walked for at most two documents.
        std::istringstream stream(text);
        YAML::Parser parser(stream);
        second_document_mark second;
        for (int i = 0; i < 2 && parser.HandleNextDocument(second); ++i) {
        }
        if (second.mark) {
            diag.error(second.mark->line, second.mark->column, "",
                       "expected a single YAML document");
        }
        return root;
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

// Relative to the configuration file, not to the working directory, so a configuration means
// the same thing whoever starts the gateway and from wherever.
std::string relative_to_config(const std::string& path, const std::string& config_file) {
    const std::filesystem::path p(path);
    if (p.is_absolute()) return path;
    std::error_code ec;
    auto folder = std::filesystem::absolute(config_file, ec).parent_path();
    if (ec) folder = std::filesystem::path(config_file).parent_path();
    return (folder / p).lexically_normal().string();
}

// Why `path` cannot be opened for reading as a regular file; nothing when it can. Opened rather
// than access()ed: the same test the daemon's own open will face.
std::optional<std::string> unreadable_reason(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return errno_text();
    const fd_guard guard(fd);
    struct stat st {};
    if (::fstat(fd, &st) != 0) return errno_text();
    if (!S_ISREG(st.st_mode)) return "not a regular file";
    return std::nullopt;
}

// The permission bits of `path` when others (not owner, not group) may read it.
std::optional<unsigned> readable_by_others(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 || (st.st_mode & S_IROTH) == 0) return std::nullopt;
    return static_cast<unsigned>(st.st_mode & 07777);
}

std::string octal_mode(unsigned mode) {
    std::array<char, 8> buf{};
    std::snprintf(buf.data(), buf.size(), "%04o", mode);
    return buf.data();
}

bool is_tls_uri(std::string_view uri) {
    return uri.starts_with("ssl://") || uri.starts_with("mqtts://");
}

// OpenSSL's default verify paths as Paho loads them when no trust store is given: the bundle
// and the hashed folder, each overridable by the same environment variable OpenSSL reads.
// Usable when either holds something.
struct system_ca_store {
    std::string file;
    std::string dir;

    static system_ca_store current() {
        const char* file = std::getenv("SSL_CERT_FILE");
        const char* dir = std::getenv("SSL_CERT_DIR");
        return {file != nullptr ? file : "/etc/ssl/certs/ca-certificates.crt",
                dir != nullptr ? dir : "/etc/ssl/certs"};
    }

    bool usable() const {
        std::error_code ec;
        if (std::filesystem::is_regular_file(file, ec) &&
            std::filesystem::file_size(file, ec) > 0 && !ec) {
            return true;
        }
        std::filesystem::directory_iterator it(dir, ec);
        return !ec && it != std::filesystem::directory_iterator();
    }
};

// A file the broker connection needs, checked now so that `edgegate check` reports a wrong path
// rather than the first connect attempt. Empty when absent; nothing after reporting it.
std::optional<std::string> readable_file(yaml_section& section, std::string_view key,
                                         const std::string& config_file) {
    const auto value = section.opt_str(key);
    if (!value) return std::string();
    const std::string path = relative_to_config(*value, config_file);
    if (const auto reason = unreadable_reason(path)) {
        section.error(section.raw(key), key, "cannot read " + path + ": " + *reason);
        return std::nullopt;
    }
    return path;
}

// The first line of `path`, without its line break. Errors name the file, never its content.
std::optional<std::string> read_password_file(const std::string& path, std::string& error) {
    // A password is a line; a larger one is the wrong file, and is not read into memory.
    constexpr std::size_t max_bytes = 4096;
    if (const auto reason = unreadable_reason(path)) {
        error = "cannot read " + path + ": " + *reason;
        return std::nullopt;
    }
    std::ifstream in(path, std::ios::binary);
    std::string line;
    for (char c; line.size() <= max_bytes && in.get(c) && c != '\n';) line += c;
    if (in.bad()) {
        error = "cannot read " + path;
        return std::nullopt;
    }
    if (line.size() > max_bytes) {
        error = "the first line of " + path + " is longer than " + std::to_string(max_bytes) +
                " bytes: not a password file";
        return std::nullopt;
    }
    // Written on Windows, or by an editor that does.
    if (line.ends_with('\r')) line.pop_back();
    if (line.empty()) {
        error = "the first line of " + path + " is empty";
        return std::nullopt;
    }
    return line;
}

void read_tls(yaml_section& mqtt, mqtt_section& m, const std::string& config_file) {
    const bool tls_uri = is_tls_uri(m.uri);
    if (mqtt.has("tls") && !tls_uri && is_valid_broker_uri(m.uri)) {
        mqtt.error(mqtt.raw("tls"), "tls",
                   "TLS settings need an ssl:// or mqtts:// uri, got " + quote(m.uri));
    }
    yaml_section section = mqtt.child("tls");
    tls_section tls;
    const auto ca_file = readable_file(section, "ca_file", config_file);
    tls.ca_file = ca_file.value_or("");
    tls.cert_file = readable_file(section, "cert_file", config_file).value_or("");
    tls.key_file = readable_file(section, "key_file", config_file).value_or("");
    tls.verify = section.boolean("verify", tls.verify);
    if (const auto mode = tls.key_file.empty() ? std::nullopt : readable_by_others(tls.key_file)) {
        m.warnings.push_back("mqtt.tls.key_file " + tls.key_file + " is readable by others (mode " +
                             octal_mode(*mode) + "): chmod o-r " + tls.key_file);
    }
    // Only the keys as written count: an unreadable file was reported already.
    const bool has_cert = section.has("cert_file");
    const bool has_key = section.has("key_file");
    if (has_cert != has_key) {
        const std::string present = has_cert ? "cert_file" : "key_file";
        section.error(section.raw(present), present,
                      "a client certificate needs both cert_file and key_file, " +
                          std::string(has_cert ? "key_file" : "cert_file") + " is missing");
    }
    section.finish();
    if (!tls_uri) return;
    // An unreadable ca_file was reported already; the system store is what none means.
    if (tls.verify && ca_file && ca_file->empty()) {
        const auto store = system_ca_store::current();
        if (!store.usable()) {
            mqtt.error(mqtt.raw("uri"), "uri",
                       "the broker's certificate cannot be verified: tls.ca_file is not set and "
                       "the system CA store (" +
                           store.dir + ", " + store.file +
                           ") is empty; set tls.ca_file or install ca-certificates");
        }
    }
    if (!tls.verify) {
        m.warnings.push_back(
            "mqtt.tls.verify is false: the broker's certificate and host name are not checked, "
            "so anyone on the network path can pose as the broker");
    }
    m.tls = std::move(tls);
}

void read_credentials(yaml_section& section, mqtt_section& m, const std::string& config_file) {
    if (auto user = section.opt_str("username")) m.username = std::move(*user);
    const auto file = section.opt_str("password_file");
    const auto env = section.opt_str("password_env");
    if (file && env) {
        section.error(section.raw("password_env"), "password_env",
                      "password_file and password_env are exclusive, keep one");
        return;
    }
    if ((file || env) && m.username.empty()) {
        const std::string_view key = file ? "password_file" : "password_env";
        section.error(section.raw(key), key, "a password needs a username");
        return;
    }
    if (file) {
        const std::string path = relative_to_config(*file, config_file);
        std::string error;
        if (auto password = read_password_file(path, error)) {
            m.password = secret(std::move(*password));
            if (const auto mode = readable_by_others(path)) {
                m.warnings.push_back("mqtt.password_file " + path +
                                     " is readable by others (mode " + octal_mode(*mode) +
                                     "): chmod o-r " + path);
            }
        } else {
            section.error(section.raw("password_file"), "password_file", error);
        }
    } else if (env) {
        const char* value = std::getenv(env->c_str());
        if (value == nullptr || *value == '\0') {
            section.error(section.raw("password_env"), "password_env",
                          "environment variable " + quote(*env) +
                              (value == nullptr ? " is not set" : " is empty"));
        } else {
            m.password = secret(value);
        }
    }
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
    } else {
        j.path = relative_to_config(j.path, config_file);
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

void read_mqtt(yaml_section section, mqtt_section& m, const std::string& gateway_id,
               const std::string& config_file) {
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
    m.rate_limit = static_cast<int>(section.integer("rate_limit", m.rate_limit, 0, 1000000));
    m.batch = static_cast<int>(section.integer("batch", m.batch, 1, 1000));
    m.status_interval = section.dur("status_interval", m.status_interval, 1s, 24h);
    read_delay_range(section.child("reconnect"), m.reconnect.min, m.reconnect.max);
    read_tls(section, m, config_file);
    read_credentials(section, m, config_file);
    // Others could read the user name, and learn where the private key lies.
    const char* credential = !m.username.empty()                 ? "mqtt.username"
                             : m.tls && !m.tls->key_file.empty() ? "mqtt.tls.key_file"
                                                                 : nullptr;
    if (credential != nullptr) {
        if (const auto mode = readable_by_others(config_file)) {
            m.warnings.push_back(config_file + " holds broker credentials (" + credential +
                                 ") and is readable by others (mode " + octal_mode(*mode) +
                                 "): chmod o-r " + config_file);
        }
    }
    section.finish();
}

// HOST:PORT, HOST an IPv4 address, a name or a bracketed IPv6 address, PORT 1..65535.
std::optional<metrics_section> parse_listen(std::string_view text) {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    std::string_view host = text.substr(0, colon);
    const std::string_view port = text.substr(colon + 1);
    if (host.starts_with('[') && host.ends_with(']')) {
        host = host.substr(1, host.size() - 2);
    } else if (host.find(':') != std::string_view::npos) {
        return std::nullopt;  // an IPv6 address needs its brackets
    }
    if (host.empty() || host.find_first_of("[]/@ \t?#") != std::string_view::npos) {
        return std::nullopt;
    }
    if (port.empty() || port.size() > 5 ||
        !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return std::nullopt;
    }
    const int number = std::stoi(std::string(port));
    if (number < 1 || number > 65535) return std::nullopt;
    return metrics_section{std::string(host), number};
}

void read_metrics(yaml_section section, gateway_config& cfg) {
    if (!section.node().IsDefined() || section.node().IsNull()) return;
    const auto listen = section.opt_str("listen");
    if (!listen) {
        section.required_str("listen");
    } else if (auto parsed = parse_listen(*listen)) {
        cfg.metrics = std::move(*parsed);
    } else {
        section.error(section.raw("listen"), "listen",
                      "expected HOST:PORT such as 127.0.0.1:9102 ([ADDRESS]:PORT for IPv6, "
                      "PORT 1..65535), got " +
                          quote(*listen));
    }
    section.finish();
}

void read_commands(yaml_section section, commands_section& c) {
    c.max_age = section.dur("max_age", c.max_age, 1s, 24h);
    c.rate = static_cast<int>(section.integer("rate", c.rate, 1, 1000));
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
        read_mqtt(top.child("mqtt"), cfg.mqtt, cfg.gateway.id, path);
        read_commands(top.child("commands"), cfg.commands);
        read_metrics(top.child("metrics"), cfg);
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
