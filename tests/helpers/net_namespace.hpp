#pragma once

#include <string>
#include <vector>

#include "tests/helpers/temp_dir.hpp"

namespace edgegate::test {

// A network namespace the test makes with `ip netns` (root only), and veth links from here into
// it: a peer inside it (a broker started through launcher()) is reached over a real link that
// the test can cut without a FIN. Names are the caller's; a leftover of an earlier run that was
// killed (same names) is removed first, and everything is removed by name in the destructor, so
// no path leaves a namespace or an interface behind. Test thread only; every call blocks on `ip`.
class net_namespace {
  public:
    // Empty when this process can make namespaces here; otherwise why not (not root, no `ip`,
    // `ip netns add` refused), for a test to report itself skipped.
    static std::string unavailable_reason();

    // Makes the namespace with its loopback up; throws std::runtime_error with ip's output.
    explicit net_namespace(std::string name);
    ~net_namespace();
    net_namespace(const net_namespace&) = delete;
    net_namespace& operator=(const net_namespace&) = delete;

    // A veth pair: `host_if` here with `host_addr`/30, `inner_if` in the namespace with
    // `inner_addr`/30, both up. Interface names: at most 15 characters.
    void add_link(const std::string& host_if, const std::string& inner_if,
                  const std::string& host_addr, const std::string& inner_addr);
    // Takes the inner end of a link down (or up again): the host end keeps its address and
    // route but loses its carrier, so packets sent into the link vanish (no RST, no FIN, no
    // ICMP), as when a cable is pulled at the far side.
    void set_inner_link(const std::string& inner_if, bool up);

    // The argv prefix that runs a program inside the namespace.
    std::vector<std::string> launcher() const { return {"ip", "netns", "exec", name_}; }
    const std::string& name() const { return name_; }

  private:
    // Runs `ip args...`; returns its exit code and leaves its output in `output`.
    int ip(const std::vector<std::string>& args, std::string* output = nullptr);
    void must(const std::vector<std::string>& args);
    void remove_all();

    temp_dir dir_;
    std::string name_;
    std::vector<std::string> host_ifs_;
};

}  // namespace edgegate::test
