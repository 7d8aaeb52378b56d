#include "tests/helpers/mosquitto.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "tests/helpers/wait.hpp"

namespace edgegate::test {
namespace {

constexpr const char* mosquitto_binary = "/usr/sbin/mosquitto";
constexpr auto start_deadline = std::chrono::seconds(10);
constexpr auto stop_deadline = std::chrono::seconds(10);

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

void replace_all(std::string& text, const std::string& from, const std::string& to) {
    for (auto pos = text.find(from); pos != std::string::npos;
         pos = text.find(from, pos + to.size())) {
        text.replace(pos, from.size(), to);
    }
}

// Started as root, mosquitto drops to the `mosquitto` user before it writes its log and
// persistence and reads its certificates and password file, so they must belong to that user.
void hand_to_mosquitto_user(const std::string& path) {
    if (geteuid() != 0) return;
    if (const passwd* pw = getpwnam("mosquitto"); pw != nullptr) {
        if (chown(path.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
            throw std::runtime_error("chown " + path + " to mosquitto failed");
        }
    }
}

// A copy of `from` in the broker's folder, readable by the broker's user.
std::string copy_for_broker(const std::string& from, const temp_dir& dir, const char* name) {
    const std::string to = dir.file(name);
    std::filesystem::copy_file(from, to, std::filesystem::copy_options::overwrite_existing);
    hand_to_mosquitto_user(to);
    return to;
}

void write_password_file(const std::map<std::string, std::string>& users, const temp_dir& dir) {
    const std::string file = dir.file("passwd");
    std::ofstream{file};
    for (const auto& [user, password] : users) {
        child_process p({"mosquitto_passwd", "-b", file, user, password},
                        dir.file("mosquitto_passwd.out"));
        if (p.wait_exit(std::chrono::seconds(10)) != 0) {
            throw std::runtime_error("mosquitto_passwd failed:\n" +
                                     read_file(dir.file("mosquitto_passwd.out")));
        }
    }
    hand_to_mosquitto_user(file);
}

bool accepts_connections(const std::string& host, int port) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
        close(fd);
        return false;
    }
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    close(fd);
    return ok;
}

}  // namespace

mosquitto_broker::mosquitto_broker(bool persistence)
    : mosquitto_broker([persistence] {
          broker_options options;
          options.persistence = persistence;
          return options;
      }()) {}

mosquitto_broker::mosquitto_broker(broker_options options)
    : port_(free_tcp_port()), host_(options.host), launcher_(options.launcher) {
    std::string conf = read_file(std::string(EDGEGATE_FIXTURES) + "/mosquitto.conf.in");
    if (conf.empty())
        throw std::runtime_error("cannot read " EDGEGATE_FIXTURES "/mosquitto.conf.in");
    replace_all(conf, "listener @PORT@ 127.0.0.1", "listener @PORT@ " + host_);
    replace_all(conf, "@PORT@", std::to_string(port_));
    replace_all(conf, "@DIR@", dir_.path());
    replace_all(conf, "@PERSISTENCE@", options.persistence ? "true" : "false");
    if (!options.users.empty()) {
        write_password_file(options.users, dir_);
        conf += "\npassword_file " + dir_.file("passwd") + "\n";
    }
    if (options.tls) {
        // Two ports bound and released in turn may come out equal.
        do {
            tls_port_ = free_tcp_port();
        } while (tls_port_ == port_);
        conf += "\nlistener " + std::to_string(tls_port_) + " 127.0.0.1\n" + "cafile " +
                copy_for_broker(options.tls->ca_file, dir_, "ca.pem") + "\n" + "certfile " +
                copy_for_broker(options.tls->cert_file, dir_, "server.pem") + "\n" + "keyfile " +
                copy_for_broker(options.tls->key_file, dir_, "server.key") + "\n" +
                "require_certificate " + (options.tls->require_certificate ? "true" : "false") +
                "\n";
    }
    conf += "\n" + options.extra_config + "\n";
    std::ofstream(dir_.file("mosquitto.conf")) << conf;
    hand_to_mosquitto_user(dir_.path());
    start();
}

mosquitto_broker::~mosquitto_broker() = default;

std::string mosquitto_broker::uri() const { return "tcp://" + host_ + ":" + std::to_string(port_); }

std::string mosquitto_broker::tls_uri(const std::string& host) const {
    return "ssl://" + host + ":" + std::to_string(tls_port_);
}

std::string mosquitto_broker::log() const { return read_file(dir_.file("mosquitto.log")); }

void mosquitto_broker::start() {
    if (running()) return;
    std::vector<std::string> argv = launcher_;
    argv.insert(argv.end(), {mosquitto_binary, "-c", dir_.file("mosquitto.conf")});
    process_ = std::make_unique<child_process>(std::move(argv), dir_.file("mosquitto.out"));
    const bool up = wait_until(
        [&] {
            return !process_->running() ||
                   (accepts_connections(host_, port_) &&
                    (tls_port_ == 0 || accepts_connections("127.0.0.1", tls_port_)));
        },
        start_deadline);
    if (!up || !process_->running()) {
        const std::string log =
            read_file(dir_.file("mosquitto.out")) + read_file(dir_.file("mosquitto.log"));
        process_.reset();
        throw std::runtime_error("mosquitto did not start on port " + std::to_string(port_) +
                                 ":\n" + log);
    }
}

void mosquitto_broker::kill() {
    if (!process_) return;
    process_->signal(SIGKILL);
    process_->wait_exit(stop_deadline);
    process_.reset();
}

void mosquitto_broker::pause() {
    if (process_) process_->signal(SIGSTOP);
}

void mosquitto_broker::resume() {
    if (process_) process_->signal(SIGCONT);
}

void mosquitto_broker::stop() {
    if (!process_) return;
    process_->signal(SIGTERM);
    process_->signal(SIGCONT);  // a paused broker acts on the SIGTERM once it runs again
    if (!process_->wait_exit(stop_deadline)) process_->signal(SIGKILL);
    process_.reset();
}

bool mosquitto_broker::running() { return process_ && process_->running(); }

}  // namespace edgegate::test
