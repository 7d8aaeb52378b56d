#include "tests/helpers/net_namespace.hpp"

#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "tests/helpers/process.hpp"

namespace edgegate::test {
namespace {

constexpr auto ip_deadline = std::chrono::seconds(10);

std::string read_all(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

int run_ip(const temp_dir& dir, const std::vector<std::string>& args, std::string* output) {
    const std::string log = dir.file("ip.out");
    std::ofstream{log, std::ios::trunc};
    std::vector<std::string> argv{"ip"};
    argv.insert(argv.end(), args.begin(), args.end());
    child_process p(std::move(argv), log);
    const auto code = p.wait_exit(ip_deadline);
    if (output != nullptr) *output = read_all(log);
    return code.value_or(-1);
}

}  // namespace

std::string net_namespace::unavailable_reason() {
    if (geteuid() != 0) return "not root: network namespaces need CAP_SYS_ADMIN";
    if (access("/usr/sbin/ip", X_OK) != 0 && access("/sbin/ip", X_OK) != 0 &&
        access("/usr/bin/ip", X_OK) != 0) {
        return "no `ip` command (package iproute2)";
    }
    temp_dir dir;
    const std::string probe = "egprobe" + std::to_string(getpid());
    std::string out;
    if (run_ip(dir, {"netns", "add", probe}, &out) != 0) return "ip netns add refused: " + out;
    run_ip(dir, {"netns", "del", probe}, nullptr);
    return {};
}

net_namespace::net_namespace(std::string name) : name_(std::move(name)) {
    ip({"netns", "del", name_});
    must({"netns", "add", name_});
    must({"-n", name_, "link", "set", "lo", "up"});
}

net_namespace::~net_namespace() { remove_all(); }

void net_namespace::remove_all() {
    // Deleting one end of a veth deletes both; the namespace takes what is left inside it.
    for (const auto& i : host_ifs_) ip({"link", "del", i});
    host_ifs_.clear();
    ip({"netns", "del", name_});
}

void net_namespace::add_link(const std::string& host_if, const std::string& inner_if,
                             const std::string& host_addr, const std::string& inner_addr) {
    ip({"link", "del", host_if});
    host_ifs_.push_back(host_if);
    must({"link", "add", host_if, "type", "veth", "peer", "name", inner_if, "netns", name_});
    must({"addr", "add", host_addr + "/30", "dev", host_if});
    must({"link", "set", host_if, "up"});
    must({"-n", name_, "addr", "add", inner_addr + "/30", "dev", inner_if});
    must({"-n", name_, "link", "set", inner_if, "up"});
}

void net_namespace::set_inner_link(const std::string& inner_if, bool up) {
    must({"-n", name_, "link", "set", inner_if, up ? "up" : "down"});
}

int net_namespace::ip(const std::vector<std::string>& args, std::string* output) {
    return run_ip(dir_, args, output);
}

void net_namespace::must(const std::vector<std::string>& args) {
    std::string out;
    if (ip(args, &out) != 0) {
        std::string cmd = "ip";
        for (const auto& a : args) cmd += " " + a;
        throw std::runtime_error(cmd + " failed: " + out);
    }
}

}  // namespace edgegate::test
