// The gateway binary against a mosquitto with a TLS listener and a password file: certificates
// made by openssl in each test's folder, verification of the broker's chain and host name,
// client certificates, user names and passwords, and the password kept out of every output.
#include <doctest/doctest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "gateway/journal/journal.hpp"
#include "tests/helpers/gateway_run.hpp"
#include "tests/helpers/mosquitto.hpp"
#include "tests/helpers/mqtt_subscriber.hpp"
#include "tests/helpers/process.hpp"
#include "tests/helpers/temp_dir.hpp"
#include "tests/helpers/wait.hpp"

using namespace edgegate;
using namespace edgegate::test;
using namespace std::chrono_literals;

namespace {

constexpr auto poll_every = 50ms;

std::string read_text(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::size_t occurrences(const std::string& text, const std::string& needle) {
    std::size_t n = 0;
    for (auto pos = text.find(needle); pos != std::string::npos;
         pos = text.find(needle, pos + needle.size())) {
        ++n;
    }
    return n;
}

void run_openssl(const temp_dir& dir, std::vector<std::string> args) {
    args.insert(args.begin(), "openssl");
    child_process p(args, dir.file("openssl.log"));
    REQUIRE_MESSAGE(p.wait_exit(30s) == 0, read_text(dir.file("openssl.log")));
}

// A throw-away PKI in `dir`: a CA the gateway trusts, one it does not, certificates for the
// broker (for localhost and 127.0.0.1, and one for another name only) and for the gateway.
// P-256 keys: quick to make, and what a small gateway would use.
struct test_pki {
    const temp_dir& dir;
    int serial = 1;

    explicit test_pki(const temp_dir& d) : dir(d) {
        make_ca("ca");
        make_ca("other_ca");
        make_cert("server", "ca", "localhost",
                  "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
        make_cert("other_name", "ca", "broker.example",
                  "subjectAltName=DNS:broker.example\nextendedKeyUsage=serverAuth\n");
        make_cert("client", "ca", "tls-gw", "extendedKeyUsage=clientAuth\n");
    }

    std::string pem(const std::string& name) const { return dir.file(name + ".pem"); }
    std::string key(const std::string& name) const { return dir.file(name + ".key"); }

    void make_ca(const std::string& name) {
        run_openssl(dir, {"req", "-x509", "-newkey", "ec", "-pkeyopt",
                          "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key(name), "-out",
                          pem(name), "-days", "2", "-subj", "/CN=edgegate test " + name});
    }

    void make_cert(const std::string& name, const std::string& ca, const std::string& cn,
                   const std::string& extensions) {
        const std::string csr = dir.file(name + ".csr");
        const std::string ext = dir.file(name + ".ext");
        std::ofstream(ext) << extensions;
        run_openssl(dir,
                    {"req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                     "-nodes", "-keyout", key(name), "-out", csr, "-subj", "/CN=" + cn});
        run_openssl(dir,
                    {"x509", "-req", "-in", csr, "-CA", pem(ca), "-CAkey", key(ca), "-set_serial",
                     std::to_string(++serial), "-days", "2", "-out", pem(name), "-extfile", ext});
    }
};

// A broker with a TLS listener presenting the certificate `server` of `pki`.
broker_options tls_broker(const test_pki& pki, const std::string& server, bool require_cert) {
    broker_options options;
    options.tls = broker_tls{pki.pem("ca"), pki.pem(server), pki.key(server), require_cert};
    return options;
}

// A gateway with one simulated counter (20 readings/s) and its own journal in `dir`, talking
// to `uri` with `mqtt_extra` (indented YAML lines) added to its mqtt section. The file is
// private (0600) unless `mode` says otherwise.
struct tls_gateway {
    const temp_dir& dir;
    std::string config;

    tls_gateway(const temp_dir& d, const std::string& uri, const std::string& mqtt_extra,
                const std::string& id = "tls-gw",
                std::filesystem::perms mode = std::filesystem::perms::owner_read |
                                              std::filesystem::perms::owner_write)
        : dir(d), config(d.file(id + ".yaml")) {
        std::ofstream(config) << "gateway: { id: " << id << " }\n"
                              << "journal: { path: " << id << ".db, durability: normal }\n"
                              << "mqtt:\n  uri: " << uri << "\n  keepalive: 5s\n"
                              << "  reconnect: { min: 100ms, max: 500ms }\n"
                              << mqtt_extra << "devices:\n  - name: sim\n    driver: simulated\n"
                              << "    poll: 50ms\n    points:\n"
                              << "      - { name: c0, signal: counter }\n";
        std::filesystem::permissions(config, mode);
    }

    std::string log_file() const { return config + ".log"; }
    std::string log() const { return read_text(log_file()); }

    child_process start() const {
        return child_process({EDGEGATE_BIN, "run", "-c", config}, log_file());
    }

    std::int64_t committed() const {
        const std::string journal = config.substr(0, config.size() - 5) + ".db";
        if (!std::filesystem::exists(journal)) return 0;
        return journal_reader(journal).read_stats().last_seq;
    }

    // `edgegate check` on this configuration: exit code and everything it printed.
    std::pair<int, std::string> check() const {
        const std::string out = config + ".check";
        child_process p({EDGEGATE_BIN, "check", "-c", config}, out);
        const auto code = p.wait_exit(30s);
        return {code.value_or(-1), read_text(out)};
    }

    bool log_has(const std::string& text, std::chrono::milliseconds deadline = 30s) const {
        if (wait_until([&] { return log().find(text) != std::string::npos; }, deadline,
                       poll_every)) {
            return true;
        }
        MESSAGE("waited for '" << text << "' in the gateway's log:\n" << log());
        return false;
    }
};

std::string tls_options(const std::string& lines) { return "  tls:\n" + lines; }

// Every seq 1..n arrived at `sub`.
bool arrived_up_to(const mqtt_subscriber& sub, std::int64_t n) {
    return wait_until([&] { return contiguous_prefix(sub.seq_counts()) >= n; }, 60s, poll_every);
}

void stop(child_process& gw) {
    gw.signal(SIGTERM);
    CHECK(gw.wait_exit(15s) == 0);
}

}  // namespace

TEST_CASE("a broker whose certificate chains to ca_file and names the host is trusted") {
    temp_dir dir;
    const test_pki pki(dir);
    mosquitto_broker broker(tls_broker(pki, "server", false));
    mqtt_subscriber sub(broker.uri(), "edgegate/#");
    // Both names of the server certificate.
    for (const std::string host : {"localhost", "127.0.0.1"}) {
        CAPTURE(host);
        const tls_gateway gw(dir, broker.tls_uri(host), tls_options("    ca_file: ca.pem\n"),
                             "gw-" + std::string(host == "localhost" ? "name" : "ip"));
        auto process = gw.start();
        CHECK(gw.log_has("mqtt: connected to " + broker.tls_uri(host)));
        const std::size_t before = sub.count();
        CHECK(wait_until([&] { return sub.count() >= before + 20; }, 30s, poll_every));
        stop(process);
        CHECK(gw.log().find("warn") == std::string::npos);
    }
}

TEST_CASE("a broker certificate from another CA is refused and nothing is delivered") {
    temp_dir dir;
    const test_pki pki(dir);
    mosquitto_broker broker(tls_broker(pki, "server", false));
    mqtt_subscriber sub(broker.uri(), "edgegate/#");
    const tls_gateway gw(dir, broker.tls_uri(), tls_options("    ca_file: other_ca.pem\n"));
    auto process = gw.start();
    CHECK(gw.log_has("mqtt: cannot connect to the broker: TLS handshake with 127.0.0.1:" +
                     std::to_string(broker.tls_port()) +
                     " failed: certificate verify failed (self-signed certificate in "
                     "certificate chain); retrying"));
    // Several refused attempts, one log line: the outage is reported once.
    CHECK(wait_until([&] { return occurrences(broker.log(), "OpenSSL Error") >= 3; }, 30s,
                     poll_every));
    CHECK(occurrences(gw.log(), "TLS handshake") == 1);
    CHECK(gw.committed() > 0);
    CHECK(sub.seq_counts().empty());
    stop(process);
}

TEST_CASE("a certificate for another host name is refused") {
    temp_dir dir;
    const test_pki pki(dir);
    // Trusted CA, but the certificate names broker.example only.
    mosquitto_broker broker(tls_broker(pki, "other_name", false));
    mqtt_subscriber sub(broker.uri(), "edgegate/#");
    const tls_gateway gw(dir, broker.tls_uri("localhost"), tls_options("    ca_file: ca.pem\n"));
    auto process = gw.start();
    CHECK(gw.log_has("mqtt: cannot connect to the broker: TLS handshake with localhost:" +
                     std::to_string(broker.tls_port()) +
                     " failed: the broker's certificate does not name localhost"));
    CHECK(wait_until([&] { return gw.committed() > 20; }, 30s, poll_every));
    CHECK(sub.seq_counts().empty());
    stop(process);
}

TEST_CASE("verify false connects to a broker it cannot verify and warns at every start") {
    temp_dir dir;
    const test_pki pki(dir);
    mosquitto_broker broker(tls_broker(pki, "other_name", false));
    mqtt_subscriber sub(broker.uri(), "edgegate/#");
    // Neither the CA (not given, not in the system store) nor the name would pass.
    const tls_gateway gw(dir, broker.tls_uri("localhost"), tls_options("    verify: false\n"));
    const std::string warning =
        "mqtt: mqtt.tls.verify is false: the broker's certificate and host name are not checked";
    for (int start = 1; start <= 2; ++start) {
        CAPTURE(start);
        auto process = gw.start();
        const std::size_t before = sub.count();
        CHECK(wait_until([&] { return sub.count() >= before + 20; }, 30s, poll_every));
        stop(process);
        CHECK(occurrences(gw.log(), warning) == static_cast<std::size_t>(start));
    }
    const auto [code, output] = gw.check();
    CHECK(code == 0);
    CHECK(output.find("warning: mqtt.tls.verify is false") != std::string::npos);
}

TEST_CASE("a broker that requires a client certificate accepts ours and refuses none") {
    temp_dir dir;
    const test_pki pki(dir);
    mosquitto_broker broker(tls_broker(pki, "server", true));
    mqtt_subscriber sub(broker.uri(), "edgegate/#");

    const tls_gateway without(dir, broker.tls_uri(), tls_options("    ca_file: ca.pem\n"),
                              "no-cert");
    {
        auto process = without.start();
        CHECK(without.log_has("mqtt: cannot connect to the broker: TLS session with 127.0.0.1:" +
                              std::to_string(broker.tls_port()) +
                              " closed by the broker after the handshake: it probably "
                              "requires a client certificate (set mqtt.tls.cert_file and "
                              "key_file); retrying"));
        CHECK(wait_until([&] { return without.committed() > 20; }, 30s, poll_every));
        stop(process);
    }
    CHECK(sub.seq_counts().empty());

    const tls_gateway with(dir, broker.tls_uri(),
                           tls_options("    ca_file: ca.pem\n    cert_file: client.pem\n"
                                       "    key_file: client.key\n"),
                           "with-cert");
    auto process = with.start();
    CHECK(with.log_has("mqtt: connected to " + broker.tls_uri()));
    CHECK(arrived_up_to(sub, 20));
    stop(process);
}

// The password is read once, at start (so `edgegate check` can report a missing file): a fixed
// password file takes effect at the next start, as any other configuration change does.
TEST_CASE("a wrong password is refused clearly and the events wait for the right one") {
    const std::string right = "right-Pa55word-7f3a";
    const std::string wrong = "wrong-Pa55word-c91e";
    temp_dir dir;
    broker_options options;
    options.users = {{"tls-gw", right}};
    mosquitto_broker broker(options);
    mqtt_subscriber sub(broker.uri(), "edgegate/#");
    const std::string password_file = dir.file("password");
    std::ofstream(password_file) << wrong << '\n';
    std::filesystem::permissions(password_file, std::filesystem::perms::owner_read);
    const tls_gateway gw(dir, broker.uri(), "  username: tls-gw\n  password_file: password\n");

    std::int64_t at_stop = 0;
    {
        auto process = gw.start();
        CHECK(gw.log_has("mqtt: cannot connect to the broker: broker 127.0.0.1:" +
                         std::to_string(broker.port()) +
                         " refused the connection: not authorized (wrong user name or password, "
                         "or not allowed); retrying"));
        // Retried, with the outage logged once.
        CHECK(wait_until([&] { return occurrences(broker.log(), "not authorised") >= 3; }, 30s,
                         poll_every));
        CHECK(occurrences(gw.log(), "refused the connection") == 1);
        CHECK(wait_until([&] { return gw.committed() > 20; }, 30s, poll_every));
        stop(process);
        at_stop = gw.committed();
    }
    CHECK(sub.seq_counts().empty());

    std::filesystem::permissions(password_file, std::filesystem::perms::owner_write);
    std::ofstream(password_file) << right << '\n';
    const auto [code, output] = gw.check();
    CHECK(code == 0);
    auto process = gw.start();
    CHECK(gw.log_has("mqtt: connected to " + broker.uri()));
    CHECK(arrived_up_to(sub, at_stop));
    stop(process);

    for (const auto& text : {gw.log(), output}) {
        CHECK(text.find(right) == std::string::npos);
        CHECK(text.find(wrong) == std::string::npos);
    }
}

TEST_CASE("edgegate check warns about credentials readable by others and never shows a password") {
    temp_dir dir;
    const std::string password = "env-Pa55word-42";
    const tls_gateway gw(dir, "tcp://127.0.0.1:1883",
                         "  username: tls-gw\n  password_env: EDGEGATE_TEST_PASSWORD\n", "shared",
                         std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
                             std::filesystem::perms::group_read |
                             std::filesystem::perms::others_read);
    const std::string out = dir.file("check.out");
    child_process p({EDGEGATE_BIN, "check", "-c", gw.config}, out,
                    {"EDGEGATE_TEST_PASSWORD=" + password});
    CHECK(p.wait_exit(30s) == 0);
    const std::string output = read_text(out);
    CHECK(output.find("warning: " + gw.config +
                      " holds broker credentials (mqtt.username) and is readable by others "
                      "(mode 0644): chmod o-r " +
                      gw.config) != std::string::npos);
    CHECK(output.find(": ok (") != std::string::npos);
    CHECK(output.find(password) == std::string::npos);

    // Without the variable: an error naming the variable, not a value.
    const auto [code, missing] = gw.check();
    CHECK(code == 1);
    CHECK(missing.find("mqtt.password_env: environment variable 'EDGEGATE_TEST_PASSWORD' is not "
                       "set") != std::string::npos);
}
