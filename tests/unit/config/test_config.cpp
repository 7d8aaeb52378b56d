// Loading and validating configuration files: every bad fixture with the exact errors it must
// produce, the good fixtures and shipped examples with their values and defaults, and the
// yaml_section getters the drivers use.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "gateway/config/config.hpp"
#include "gateway/core/diagnostics.hpp"
#include "gateway/core/names.hpp"
#include "gateway/core/yaml_section.hpp"
#include "tests/helpers/config_messages.hpp"
#include "tests/helpers/temp_dir.hpp"

using namespace edgegate;
using namespace std::chrono_literals;

namespace {

using edgegate::test::messages;

std::string fixture(const std::string& name) {
    return std::string(EDGEGATE_FIXTURES) + "/config/" + name;
}

// Every error of `file` as printed by `edgegate check`; empty when it loads.
messages errors_of(const std::string& file) {
    try {
        load_config(file);
    } catch (const config_exception& e) {
        messages lines;
        for (const auto& err : e.errors()) lines.push_back(err.to_string());
        return lines;
    }
    return {};
}

// The one message of every malformed broker URI.
std::string broker_uri_error(const std::string& uri) {
    return "expected a broker URI such as tcp://127.0.0.1:1883 (tcp://, mqtt://, ssl:// or "
           "mqtts:// then HOST[:PORT]), got '" +
           uri + "'";
}

// The one message of every malformed metrics.listen.
std::string listen_error(const std::string& listen) {
    return "expected HOST:PORT such as 127.0.0.1:9102 ([ADDRESS]:PORT for IPv6, PORT 1..65535), "
           "got '" +
           listen + "'";
}

struct bad_case {
    std::string file;
    // Each error is `file` followed by one of these.
    messages errors;
};

// clang-format off
const std::vector<bad_case> bad_cases = {
    // Unknown keys, with and without a likely intended one.
    {"unknown_key.yaml",
     {":4:3: journal.max_byte: unknown key 'max_byte', did you mean 'max_bytes'?"}},
    {"unknown_top_level_key.yaml",
     {":3:1: jurnal: unknown key 'jurnal', did you mean 'journal'?"}},
    {"unknown_key_no_suggestion.yaml",
     {":3:3: mqtt.colour: unknown key 'colour'"}},
    {"duplicate_key.yaml",
     {":4:3: mqtt.qos: duplicate key 'qos'"}},

    // Enumerations.
    {"bad_durability.yaml",
     {":4:15: journal.durability: unknown value 'ful', did you mean 'full'?"}},
    {"bad_version.yaml",
     {":2:12: mqtt.version: unknown value '3', expected one of: 3.1.1, 5"}},
    {"bad_log_level.yaml",
     {":2:10: log.level: unknown value 'warning', expected one of: trace, debug, info, warn, "
      "error"}},

    // Numbers, durations and sizes.
    {"commands_rate_zero.yaml",
     {":3:9: commands.rate: 0 is out of range (1..1000)"}},
    {"qos_out_of_range.yaml",
     {":2:8: mqtt.qos: 3 is out of range (0..2)"}},
    {"window_out_of_range.yaml",
     {":2:11: mqtt.window: 0 is out of range (1..10000)"}},
    {"rate_limit_negative.yaml",
     {":2:15: mqtt.rate_limit: -5 is out of range (0..1000000)"}},
    {"batch_too_large.yaml",
     {":3:10: mqtt.batch: 5000 is out of range (1..1000)"}},
    {"not_a_number.yaml",
     {":2:17: journal.commit_batch: expected a whole number, got 'many'"}},
    {"bad_duration.yaml",
     {":2:12: journal.max_age: expected a duration (a whole number and ms, s, m, h or d, e.g. "
      "250ms, 5s, 7d), got '1.5d'"}},
    {"duration_out_of_range.yaml",
     {":2:20: journal.commit_interval: 1m is out of range (1ms..10s)"}},
    {"keepalive_fraction.yaml",
     {":2:14: mqtt.keepalive: expected a whole number of seconds, got '1500ms'"}},
    {"bad_size.yaml",
     {":2:14: journal.max_bytes: expected a size (a number of bytes, or a whole number and KiB, "
      "MiB, GiB or TiB, e.g. 64KiB, 256MiB), got '10MB'"}},
    {"reconnect_min_above_max.yaml",
     {":2:14: mqtt.reconnect: min (1m) is greater than max (10s)"}},

    // The document itself.
    {"malformed.yaml",
     {":3:2: invalid YAML: end of map not found"}},
    {"unclosed_flow.yaml",
     {":2:8: invalid YAML: end of map flow not found"}},
    // yaml-cpp stops at 2000 levels and reports the end of the line.
    {"too_deep.yaml",
     {":2:4207: invalid YAML: nested too deeply"}},
    {"two_documents.yaml",
     {":3:1: expected a single YAML document"}},
    // yaml-cpp 0.7's LoadAll never returns on this one (fuzzing found it).
    {"stray_comma.yaml",
     {":1:1: expected a single YAML document"}},
    {"not_a_mapping.yaml",
     {":1:1: expected a mapping, got a sequence"}},

    // Values of the wrong type.
    {"wrong_type.yaml",
     {":3:5: mqtt.uri: expected a string, got a mapping"}},
    {"section_not_mapping.yaml",
     {":1:10: journal: expected a mapping, got '/var/lib/edgegate/journal.db'"}},
    {"devices_not_sequence.yaml",
     {":2:3: devices: expected a sequence, got a mapping"}},
    {"device_not_mapping.yaml",
     {":2:5: devices[0]: expected a mapping, got 'boiler'"}},
    {"rules_not_sequence.yaml",
     {":1:8: rules: expected a sequence, got a mapping"}},

    // Strings with rules of their own.
    {"bad_gateway_id.yaml",
     {":2:7: gateway.id: 'pi boiler #1' may only contain A-Z a-z 0-9 _ . -"}},
    {"empty_journal_path.yaml",
     {":2:9: journal.path: must not be empty"}},
    {"empty_client_id.yaml",
     {":2:14: mqtt.client_id: must not be empty"}},
    {"bad_uri.yaml",
     {":2:8: mqtt.uri: " + broker_uri_error("http://127.0.0.1:1883")}},
    {"bad_uri_port.yaml",
     {":2:8: mqtt.uri: " + broker_uri_error("tcp://127.0.0.1:99999")}},
    {"bad_topic_prefix.yaml",
     {":2:17: mqtt.topic_prefix: invalid topic prefix 'plant/#': must not contain the MQTT "
      "wildcards '+' or '#'"}},
    {"topic_prefix_slash.yaml",
     {":2:17: mqtt.topic_prefix: invalid topic prefix '/plant': must not start or end with '/'"}},

    // TLS and credentials. Files are relative to the configuration file's folder; errors name
    // a password file, never what it holds.
    {"tls_with_tcp_uri.yaml",
     {":3:8: mqtt.tls: TLS settings need an ssl:// or mqtts:// uri, got 'tcp://127.0.0.1:1883'"}},
    {"tls_missing_ca_file.yaml",
     {":4:14: mqtt.tls.ca_file: cannot read " + fixture("bad/no_such_ca.pem") +
      ": No such file or directory"}},
    {"tls_cert_without_key.yaml",
     {":5:16: mqtt.tls.cert_file: a client certificate needs both cert_file and key_file, "
      "key_file is missing"}},
    {"tls_key_without_cert.yaml",
     {":5:15: mqtt.tls.key_file: a client certificate needs both cert_file and key_file, "
      "cert_file is missing"}},
    {"password_without_username.yaml",
     {":2:17: mqtt.password_env: a password needs a username"}},
    {"password_file_and_env.yaml",
     {":4:17: mqtt.password_env: password_file and password_env are exclusive, keep one"}},
    {"missing_password_file.yaml",
     {":3:18: mqtt.password_file: cannot read " + fixture("bad/no_such_password") +
      ": No such file or directory"}},
    {"empty_password_file.yaml",
     {":3:18: mqtt.password_file: the first line of " + fixture("files/empty_password") +
      " is empty"}},
    {"password_env_unset.yaml",
     {":3:17: mqtt.password_env: environment variable 'EDGEGATE_TEST_UNSET_VARIABLE' is not "
      "set"}},

    // Devices.
    {"duplicate_device.yaml",
     {":5:11: devices[1].name: duplicate device name 'boiler'"}},
    {"bad_device_name.yaml",
     {":2:11: devices[0].name: 'boiler room/1' may only contain A-Z a-z 0-9 _ . -"}},
    {"missing_name.yaml",
     {":2:5: devices[0]: missing required key 'name'"}},
    {"missing_driver.yaml",
     {":2:5: devices[0]: missing required key 'driver'"}},
    {"unknown_driver.yaml",
     {":3:13: devices[0].driver: unknown driver 'simulatd', did you mean 'simulated'?"}},
    // The other keys belong to a driver nobody knows, so they are not reported.
    {"unknown_driver_no_suggestion.yaml",
     {":3:13: devices[0].driver: unknown driver 'opcua', expected one of: gpio, modbus, simulated"}},
    // The driver's own keys, reported by the driver with the same positions and paths.
    {"bad_point_signal.yaml",
     {":10:17: devices[1].points[0].signal: unknown value 'sinus', did you mean 'sine'?"}},

    // Rules: rules/ reads each entry (every rule error has its golden case in
    // tests/fixtures/rules), and the loader checks them against the devices.
    {"rule_without_condition.yaml",
     {":3:5: rules[0]: missing required key 'match'",
      ":3:5: rules[0]: missing a condition, one of: above, below, outside, inside, equals, "
      "rate_above, rate_below, stale",
      ":4:5: rules[0].when: unknown key 'when'"}},
    {"rule_unknown_device.yaml",
     {":7:12: rules[0].match: no device named 'boilr', did you mean 'boiler'?"}},
    {"rule_glob_matches_no_device.yaml",
     {":7:12: rules[0].match: 'pump*' matches no device"}},
    {"rule_device_with_other_errors.yaml",
     {":5:44: devices[0].points[0].signal: unknown value 'sinus', did you mean 'sine'?",
      ":10:15: rules[0].severity: unknown value 'critcal', did you mean 'critical'?"}},

    // The metrics endpoint and the status message.
    {"metrics_listen_without_port.yaml",
     {":2:11: metrics.listen: " + listen_error("localhost")}},
    {"metrics_port_out_of_range.yaml",
     {":1:20: metrics.listen: " + listen_error("127.0.0.1:70000")}},
    {"metrics_ipv6_without_brackets.yaml",
     {":2:11: metrics.listen: " + listen_error("::1:9102")}},
    {"metrics_misspelt_listen.yaml",
     {":2:3: metrics: missing required key 'listen'",
      ":2:3: metrics.lisen: unknown key 'lisen', did you mean 'listen'?"}},
    {"status_interval_out_of_range.yaml",
     {":2:20: mqtt.status_interval: 500ms is out of range (1s..1d)"}},

    // All errors, in file order, although unknown keys are found last.
    {"several_errors.yaml",
     {":5:15: journal.durability: unknown value 'nomal', did you mean 'normal'?",
      ":6:14: journal.max_bytes: 1KiB is out of range (1MiB..1TiB)",
      ":7:17: journal.commit_batch: 0 is out of range (1..100000)",
      ":9:8: mqtt.uri: " + broker_uri_error("http://broker:1883"),
      ":11:3: mqtt.kepalive: unknown key 'kepalive', did you mean 'keepalive'?",
      ":16:38: devices[0].points[0].signal: unknown value 'sinus', did you mean 'sine'?"}},
};
// clang-format on

// The values every key takes when the file does not set it.
void check_defaults(const gateway_config& cfg) {
    const journal_section journal;
    const mqtt_section mqtt;
    CHECK(cfg.log_level == "info");
    CHECK(cfg.commands.max_age == 30s);
    CHECK(cfg.commands.rate == 10);
    CHECK(is_valid_name(cfg.gateway.id));
    CHECK(cfg.journal.path == journal.path);
    CHECK(cfg.journal.durability == journal.durability);
    CHECK(cfg.journal.max_bytes == journal.max_bytes);
    CHECK(cfg.journal.max_age == journal.max_age);
    CHECK(cfg.journal.commit_interval == journal.commit_interval);
    CHECK(cfg.journal.commit_batch == journal.commit_batch);
    CHECK(cfg.mqtt.uri == mqtt.uri);
    CHECK(cfg.mqtt.client_id == "edgegate-" + cfg.gateway.id);
    CHECK(cfg.mqtt.version == mqtt.version);
    CHECK(cfg.mqtt.qos == mqtt.qos);
    CHECK(cfg.mqtt.keepalive == mqtt.keepalive);
    CHECK(cfg.mqtt.topic_prefix == mqtt.topic_prefix);
    CHECK(cfg.mqtt.window == mqtt.window);
    CHECK(cfg.mqtt.rate_limit == 0);
    CHECK(cfg.mqtt.batch == 1);
    CHECK(cfg.mqtt.reconnect.min == mqtt.reconnect.min);
    CHECK(cfg.mqtt.reconnect.max == mqtt.reconnect.max);
    CHECK_FALSE(cfg.mqtt.tls.has_value());
    CHECK(cfg.mqtt.username.empty());
    CHECK(cfg.mqtt.password.empty());
    CHECK(cfg.mqtt.warnings.empty());
    CHECK(cfg.mqtt.status_interval == 60s);
    CHECK_FALSE(cfg.metrics.has_value());
}

std::string normal(const std::filesystem::path& p) { return p.lexically_normal().string(); }

}  // namespace

TEST_CASE("every bad configuration fails with exactly its errors, positions and key paths") {
    for (const auto& c : bad_cases) {
        const std::string file = fixture("bad/" + c.file);
        messages expected;
        for (const auto& tail : c.errors) expected.push_back(file + tail);
        CAPTURE(c.file);
        CHECK(errors_of(file) == expected);
    }
}

TEST_CASE("every file in fixtures/config/bad has its case") {
    std::set<std::string> covered;
    for (const auto& c : bad_cases) covered.insert(c.file);
    std::set<std::string> present;
    for (const auto& entry : std::filesystem::directory_iterator(fixture("bad"))) {
        present.insert(entry.path().filename().string());
    }
    CHECK(present == covered);
    CHECK(present.size() >= 20);
}

TEST_CASE("a file without settings takes every default") {
    for (const char* name : {"good/empty.yaml", "good/empty_sections.yaml"}) {
        CAPTURE(name);
        const gateway_config cfg = load_config(fixture(name));
        check_defaults(cfg);
        CHECK(cfg.devices.empty());
        CHECK(cfg.rules.empty());
        CHECK(cfg.file == fixture(name));
    }
}

TEST_CASE("a file setting every key loads every value") {
    const gateway_config cfg = load_config(fixture("good/full.yaml"));
    CHECK(cfg.log_level == "debug");
    CHECK(cfg.gateway.id == "pi-boiler-01");
    CHECK(cfg.journal.path == normal(fixture("good/data/journal.db")));
    CHECK(cfg.journal.durability == durability::normal);
    CHECK(cfg.journal.max_bytes == 64ull << 20);
    CHECK(cfg.journal.max_age == 48h);
    CHECK(cfg.journal.commit_interval == 250ms);
    CHECK(cfg.journal.commit_batch == 500);
    CHECK(cfg.mqtt.uri == "mqtt://[::1]:1884");
    CHECK(cfg.mqtt.client_id == "boiler-gateway");
    CHECK(cfg.mqtt.version == 5);
    CHECK(cfg.mqtt.qos == 2);
    CHECK(cfg.mqtt.keepalive == 1min);
    CHECK(cfg.mqtt.topic_prefix == "plant/north");
    CHECK(cfg.mqtt.window == 64);
    CHECK(cfg.mqtt.rate_limit == 500);
    CHECK(cfg.mqtt.batch == 100);
    CHECK(cfg.mqtt.reconnect.min == 1s);
    CHECK(cfg.mqtt.reconnect.max == 2min);
    CHECK(cfg.commands.max_age == 10s);
    CHECK(cfg.commands.rate == 2);
    REQUIRE(cfg.devices.size() == 2);
    CHECK(cfg.devices[0]->name() == "boiler");
    CHECK(cfg.devices[1]->name() == "coldroom.1");
    REQUIRE(cfg.rules.size() == 2);
    const rule& hot = cfg.rules[0];
    CHECK(hot.name == "boiler_overheat");
    CHECK(hot.device_pattern == "boiler");
    CHECK(hot.point_pattern == "temperature");
    CHECK(hot.when.kind == condition_kind::above);
    CHECK(hot.when.limit == 90);
    CHECK(hot.when.clear_level == 85);
    CHECK(hot.hold == 10s);
    CHECK(hot.clear_hold == 5s);
    CHECK(hot.severity == severity::critical);
    CHECK(hot.message.text() == "{device} {point} at {value}{unit} (limit {threshold})");
    const rule& door = cfg.rules[1];
    CHECK(door.device_pattern == "coldroom*");
    CHECK(door.when.kind == condition_kind::equals);
    CHECK(door.when.target == value(true));
    CHECK(door.hold == 5min);
    CHECK(door.repeat == 15min);
    CHECK(door.severity == severity::warning);
}

TEST_CASE("TLS files and the password file are read relative to the configuration file") {
    const gateway_config cfg = load_config(fixture("good/tls.yaml"));
    CHECK(cfg.mqtt.uri == "mqtts://broker.example:8883");
    REQUIRE(cfg.mqtt.tls.has_value());
    CHECK(cfg.mqtt.tls->ca_file == normal(fixture("files/ca.pem")));
    CHECK(cfg.mqtt.tls->cert_file == normal(fixture("files/client.pem")));
    CHECK(cfg.mqtt.tls->key_file == normal(fixture("files/client.key")));
    CHECK(cfg.mqtt.tls->verify);
    CHECK(cfg.mqtt.username == "boiler-gw");
    // The first line, without its CR LF.
    CHECK(cfg.mqtt.password.reveal() == "fixture-password");
    // The checkout decides the files' modes, so only the kind of warning is certain.
    for (const auto& w : cfg.mqtt.warnings) {
        CAPTURE(w);
        CHECK(w.find("is readable by others") != std::string::npos);
        CHECK(w.find("fixture-password") == std::string::npos);
    }
}

namespace {

// Sets (or, with nullptr, unsets) an environment variable for one test and restores it after.
class scoped_env {
  public:
    scoped_env(const char* name, const char* value) : name_(name) {
        if (const char* old = std::getenv(name)) old_ = old;
        if (value != nullptr) {
            ::setenv(name, value, 1);
        } else {
            ::unsetenv(name);
        }
    }
    ~scoped_env() {
        if (old_) {
            ::setenv(name_, old_->c_str(), 1);
        } else {
            ::unsetenv(name_);
        }
    }
    scoped_env(const scoped_env&) = delete;
    scoped_env& operator=(const scoped_env&) = delete;

  private:
    const char* name_;
    std::optional<std::string> old_;
};

std::string write_file(const test::temp_dir& dir, const std::string& name, const std::string& text,
                       int mode) {
    const std::string path = dir.file(name);
    std::ofstream(path) << text;
    std::filesystem::permissions(path, static_cast<std::filesystem::perms>(mode));
    return path;
}

}  // namespace

TEST_CASE("ssl:// without a ca_file verifies against the system CA store and needs one") {
    test::temp_dir dir;
    // Where OpenSSL, and so Paho, looks for the system store: here an empty one.
    std::filesystem::create_directory(dir.file("certs"));
    scoped_env store_dir("SSL_CERT_DIR", dir.file("certs").c_str());
    scoped_env store_file("SSL_CERT_FILE", dir.file("ca-certificates.crt").c_str());

    const std::string plain =
        write_file(dir, "plain.yaml", "mqtt:\n  uri: ssl://broker:8883\n", 0600);
    CHECK(errors_of(plain) ==
          messages{plain +
                   ":2:8: mqtt.uri: the broker's certificate cannot be verified: "
                   "tls.ca_file is not set and the system CA store (" +
                   dir.file("certs") + ", " + dir.file("ca-certificates.crt") +
                   ") is empty; set tls.ca_file or install ca-certificates"});

    // Verification off needs no store, and says so at every start.
    const std::string unverified =
        write_file(dir, "unverified.yaml",
                   "mqtt:\n  uri: ssl://broker:8883\n  tls: { verify: false }\n", 0600);
    const gateway_config off = load_config(unverified);
    REQUIRE(off.mqtt.tls.has_value());
    CHECK_FALSE(off.mqtt.tls->verify);
    CHECK(off.mqtt.warnings ==
          messages{"mqtt.tls.verify is false: the broker's certificate and host name are not "
                   "checked, so anyone on the network path can pose as the broker"});

    write_file(dir, "ca-certificates.crt", "a bundle\n", 0644);
    const gateway_config system = load_config(plain);
    REQUIRE(system.mqtt.tls.has_value());
    CHECK(system.mqtt.tls->ca_file.empty());
    CHECK(system.mqtt.tls->verify);
    CHECK(system.mqtt.warnings.empty());
}

TEST_CASE("credentials readable by others give a warning and still load") {
    test::temp_dir dir;
    scoped_env password("EDGEGATE_TEST_PASSWORD", "env-password");
    const std::string text =
        "mqtt:\n  username: boiler-gw\n  password_env: EDGEGATE_TEST_PASSWORD\n";
    const std::string shared = write_file(dir, "shared.yaml", text, 0644);
    const gateway_config cfg = load_config(shared);
    CHECK(cfg.mqtt.username == "boiler-gw");
    CHECK(cfg.mqtt.password.reveal() == "env-password");
    CHECK(cfg.mqtt.warnings ==
          messages{shared +
                   " holds broker credentials (mqtt.username) and is readable by others "
                   "(mode 0644): chmod o-r " +
                   shared});
    CHECK(load_config(write_file(dir, "private.yaml", text, 0640)).mqtt.warnings.empty());

    // A key file counts as a credential too; the key and the password file are checked
    // themselves.
    write_file(dir, "ca.pem", "ca\n", 0644);
    write_file(dir, "client.pem", "certificate\n", 0644);
    const std::string key = write_file(dir, "client.key", "key\n", 0604);
    const std::string secret_file = write_file(dir, "password", "file-password\n", 0604);
    const std::string mtls =
        write_file(dir, "mtls.yaml",
                   "mqtt:\n  uri: ssl://broker:8883\n  tls: { ca_file: ca.pem, "
                   "cert_file: client.pem, key_file: client.key }\n",
                   0644);
    CHECK(load_config(mtls).mqtt.warnings ==
          messages{
              "mqtt.tls.key_file " + key + " is readable by others (mode 0604): chmod o-r " + key,
              mtls +
                  " holds broker credentials (mqtt.tls.key_file) and is readable by "
                  "others (mode 0644): chmod o-r " +
                  mtls});
    const std::string with_file = write_file(
        dir, "file.yaml", "mqtt:\n  username: boiler-gw\n  password_file: password\n", 0600);
    const gateway_config from_file = load_config(with_file);
    CHECK(from_file.mqtt.password.reveal() == "file-password");
    CHECK(from_file.mqtt.warnings ==
          messages{"mqtt.password_file " + secret_file +
                   " is readable by others (mode 0604): chmod o-r " + secret_file});
}

TEST_CASE("metrics.listen takes HOST:PORT with a bracketed IPv6 address") {
    const gateway_config cfg = load_config(fixture("good/metrics.yaml"));
    REQUIRE(cfg.metrics.has_value());
    CHECK(cfg.metrics->host == "::1");
    CHECK(cfg.metrics->port == 9200);
    CHECK(cfg.mqtt.status_interval == 10s);
}

TEST_CASE("a relative journal path is relative to the configuration file, not to the caller") {
    const auto absolute = std::filesystem::path(fixture("good/full.yaml"));
    const auto relative = std::filesystem::relative(absolute, std::filesystem::current_path());
    REQUIRE(relative.is_relative());
    const gateway_config cfg = load_config(relative.string());
    CHECK(cfg.journal.path == normal(absolute.parent_path() / "data/journal.db"));
}

TEST_CASE("the shipped examples load: demo.yaml as the demo, gateway.yaml with every default") {
    const std::string config_dir = EDGEGATE_SOURCE_DIR "/config";

    const gateway_config demo = load_config(config_dir + "/demo.yaml");
    CHECK(demo.gateway.id == "demo-gw");
    CHECK(demo.journal.path == normal(config_dir + "/journal.db"));
    CHECK(demo.journal.durability == durability::full);
    CHECK(demo.mqtt.uri == "tcp://127.0.0.1:1883");
    CHECK(demo.mqtt.client_id == "edgegate-demo-gw");
    REQUIRE(demo.devices.size() == 3);
    CHECK(demo.devices[0]->name() == "boiler");
    CHECK(demo.devices[1]->name() == "coldroom");
    CHECK(demo.devices[2]->name() == "meter");
    CHECK(demo.rules.size() == 5);

    // The annotated reference states each default: it must agree with the code.
    const gateway_config reference = load_config(config_dir + "/gateway.yaml");
    check_defaults(reference);
    CHECK(reference.devices.size() == 1);
    CHECK(reference.rules.size() == 2);
}

TEST_CASE("a file that cannot be read is config_unreadable, naming the file and the reason") {
    const std::string missing = fixture("good/no_such_file.yaml");
    CHECK_THROWS_WITH_AS(
        load_config(missing),
        (missing + ": cannot read configuration: No such file or directory").c_str(),
        config_unreadable);
    const std::string folder = fixture("good");
    CHECK_THROWS_WITH_AS(load_config(folder),
                         (folder + ": cannot read configuration: not a regular file").c_str(),
                         config_unreadable);
}

TEST_CASE("a file over 1 MiB is refused before parsing; exactly 1 MiB is read") {
    test::temp_dir dir;
    const std::string line(63, '#');  // 64 bytes with the newline
    const std::string at_limit = dir.file("at_limit.yaml");
    {
        std::ofstream out(at_limit);
        for (int i = 0; i < (1 << 20) / 64; ++i) out << line << '\n';
    }
    REQUIRE(std::filesystem::file_size(at_limit) == 1u << 20);
    CHECK(load_config(at_limit).devices.empty());

    const std::string over = dir.file("over.yaml");
    std::filesystem::copy_file(at_limit, over);
    std::ofstream(over, std::ios::app) << '\n';
    CHECK_THROWS_WITH_AS(
        load_config(over),
        (over + ": cannot read configuration: file is too large (1048577 bytes, the limit is 1MiB)")
            .c_str(),
        config_unreadable);
}

TEST_CASE("config_exception carries every error and prints them one per line") {
    const std::string file = fixture("bad/several_errors.yaml");
    try {
        load_config(file);
        FAIL("no exception");
    } catch (const config_exception& e) {
        REQUIRE(e.errors().size() == 6);
        CHECK(e.errors()[0].file == file);
        CHECK(e.errors()[0].line == 5);
        CHECK(e.errors()[0].column == 15);
        CHECK(e.errors()[0].path == "journal.durability");
        CHECK(e.errors()[0].message == "unknown value 'nomal', did you mean 'normal'?");
        const std::string what = e.what();
        CHECK(what.starts_with(e.errors()[0].to_string() + "\n"));
        CHECK(what.ends_with("\n" + e.errors()[5].to_string()));
    }
}

// The getters below are what each driver validates its own section with.
namespace {

struct section_fixture {
    diagnostics diag{"t.yaml"};

    yaml_section load(const std::string& text, const std::string& path = "s") {
        return yaml_section(YAML::Load(text), path, diag);
    }

    messages errors() const {
        messages lines;
        for (const auto& e : diag.errors()) lines.push_back(e.to_string());
        return lines;
    }
};

}  // namespace

TEST_CASE_FIXTURE(section_fixture,
                  "getters return the value, or the default when absent or empty") {
    auto s = load("a: hello\nb: true\nc: -12\nd: 2.5\ne: 5s\nf: 64KiB\ng: normal\nh:\ni: ~\n");
    CHECK(s.has("a"));
    CHECK(s.has("h"));
    CHECK_FALSE(s.has("z"));
    CHECK(s.str("a", "x") == "hello");
    CHECK(s.opt_str("a") == "hello");
    CHECK(s.required_str("a") == "hello");
    CHECK(s.boolean("b", false));
    CHECK(s.integer("c", 0, -100, 100) == -12);
    CHECK(s.number("d", 0, 0, 10) == 2.5);
    CHECK(s.opt_number("d", 0, 10) == 2.5);
    CHECK(s.dur("e", 1s, 0ms, 1h) == 5s);
    CHECK(s.size("f", 0, 0, 1ull << 20) == 64u * 1024);
    CHECK(s.enumeration("g", "full", {"full", "normal"}) == "normal");
    CHECK(s.str("h", "dflt") == "dflt");
    CHECK(s.integer("i", 7, 0, 10) == 7);
    CHECK(s.str("z", "dflt") == "dflt");
    CHECK(s.opt_str("z") == std::nullopt);
    CHECK(s.opt_number("z", 0, 1) == std::nullopt);
    CHECK_FALSE(s.boolean("z", false));
    CHECK(s.dur("z", 3s, 0ms, 1h) == 3s);
    CHECK_FALSE(s.raw("z").IsDefined());
    CHECK(s.raw("a").Scalar() == "hello");
    s.finish();
    CHECK(errors().empty());
}

TEST_CASE_FIXTURE(section_fixture, "getters report a wrong value at its position and go on") {
    auto s = load(
        "a: [1, 2]\n"
        "b: yes\n"
        "c: 1.5\n"
        "d: abc\n"
        "e: 150\n"
        "f: 99999999999999999999\n"
        "g: nan\n"
        "h: {x: 1}\n"
        "i: 1e999\n");
    CHECK(s.str("a", "dflt") == "dflt");
    CHECK(s.boolean("b", false) == false);
    CHECK(s.integer("c", 3, 0, 10) == 3);
    CHECK(s.number("d", 1, 0, 100) == 1);
    CHECK(s.number("e", 1, 0, 100) == 1);
    CHECK(s.integer("f", 0, 0, 10) == 0);
    CHECK(s.opt_number("g", 0, 1) == std::nullopt);
    CHECK(s.enumeration("h", "full", {"full", "normal"}) == "full");
    CHECK(s.number("i", 0, -1e15, 1e15) == 0);
    s.finish();
    CHECK(errors() == messages{
                          "t.yaml:1:4: s.a: expected a string, got a sequence",
                          "t.yaml:2:4: s.b: expected true or false, got 'yes'",
                          "t.yaml:3:4: s.c: expected a whole number, got '1.5'",
                          "t.yaml:4:4: s.d: expected a number, got 'abc'",
                          "t.yaml:5:4: s.e: 150 is out of range (0..100)",
                          "t.yaml:6:4: s.f: 99999999999999999999 is out of range (0..10)",
                          "t.yaml:7:4: s.g: expected a number, got 'nan'",
                          "t.yaml:8:4: s.h: expected one of full, normal, got a mapping",
                          "t.yaml:9:4: s.i: 1e999 is out of range (-1e+15..1e+15)",
                      });
}

TEST_CASE_FIXTURE(section_fixture, "required keys: missing at the section, empty at the key") {
    auto s = load("x: 1\nname:\nother: \"\"\nlist: [a]\n", "devices[0]");
    CHECK(s.required_str("driver").empty());
    CHECK(s.required_str("name").empty());
    CHECK(s.required_str("other").empty());
    CHECK(s.required_str("list").empty());
    CHECK(s.integer("x", 0, 0, 9) == 1);
    s.finish();
    CHECK(errors() == messages{
                          "t.yaml:1:1: devices[0]: missing required key 'driver'",
                          "t.yaml:2:1: devices[0].name: must not be empty",
                          "t.yaml:3:8: devices[0].other: must not be empty",
                          "t.yaml:4:7: devices[0].list: expected a string, got a sequence",
                      });
}

TEST_CASE_FIXTURE(section_fixture, "child sections: nested paths, absent ones use the parent") {
    auto top = load("mqtt:\n  reconnect: { min: 1s, mx: 2s }\nempty:\n", "");
    auto mqtt = top.child("mqtt");
    auto reconnect = mqtt.child("reconnect");
    CHECK(reconnect.path() == "mqtt.reconnect");
    CHECK(reconnect.dur("min", 0ms, 0ms, 1h) == 1s);
    CHECK(reconnect.dur("max", 5s, 0ms, 1h) == 5s);
    reconnect.finish();
    auto absent = mqtt.child("tls");
    CHECK(absent.str("ca", "none") == "none");
    absent.required_str("cert");
    auto empty = top.child("empty");
    empty.required_str("name");
    empty.error(YAML::Node(), "[2]", "not there");
    mqtt.finish();
    top.finish();
    CHECK(errors() == messages{
                          "t.yaml:2:25: mqtt.reconnect.mx: unknown key 'mx', did you mean 'max'?",
                          "t.yaml:2:3: mqtt.tls: missing required key 'cert'",
                          "t.yaml:3:1: empty: missing required key 'name'",
                          "t.yaml:3:1: empty[2]: not there",
                      });
}

TEST_CASE_FIXTURE(section_fixture, "a section that is not a mapping is reported once") {
    auto s = load("- a\n- b\n", "devices[3]");
    CHECK(s.str("name", "d") == "d");
    CHECK_FALSE(s.has("name"));
    s.finish();
    auto long_scalar = load(std::string(100, 'x'), "p");
    auto block_scalar = load("|\n  one\n  two\n", "q");
    long_scalar.finish();
    auto odd_key = load("? [a, b]\n: 1\nok: 2\n", "k");
    odd_key.finish();
    CHECK(errors() ==
          messages{
              "t.yaml:1:1: devices[3]: expected a mapping, got a sequence",
              "t.yaml:1:1: p: expected a mapping, got '" + std::string(80, 'x') + "...'",
              "t.yaml:1:1: q: expected a mapping, got 'one...'",
              "t.yaml:1:3: k: expected a plain key, got a sequence",
              "t.yaml:3:1: k.ok: unknown key 'ok'",
          });
}
