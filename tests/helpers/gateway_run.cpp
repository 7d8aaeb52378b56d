#include "tests/helpers/gateway_run.hpp"

#include <fstream>

namespace edgegate::test {

std::string write_gateway_config(const gateway_setup& s) {
    const std::string path = s.dir + "/gateway.yaml";
    std::ofstream out(path);
    out << "gateway: { id: " << s.gateway_id << " }\n"
        << "journal:\n  path: journal.db\n  durability: normal\n"
        << "mqtt:\n  uri: " << s.uri << "\n  keepalive: 5s\n"
        << "  reconnect: { min: 100ms, max: " << s.reconnect_max << " }\n"
        << "devices:\n  - name: sim\n    driver: simulated\n    poll: " << s.poll
        << "\n    points:\n";
    for (int i = 0; i < s.points; ++i) {
        out << "      - { name: c" << i << ", signal: counter }\n";
    }
    return path;
}

std::string journal_path(const gateway_setup& s) { return s.dir + "/journal.db"; }

std::int64_t contiguous_prefix(const std::map<std::int64_t, int>& seqs) {
    std::int64_t n = 0;
    for (const auto& [seq, count] : seqs) {
        if (seq != n + 1) break;
        n = seq;
    }
    return n;
}

std::int64_t duplicates(const std::map<std::int64_t, int>& seqs) {
    std::int64_t d = 0;
    for (const auto& [seq, count] : seqs) d += count - 1;
    return d;
}

}  // namespace edgegate::test
