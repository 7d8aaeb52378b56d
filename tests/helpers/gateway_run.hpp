#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace edgegate::test {

// A gateway configuration for integration tests: one simulated device `sim` with `points`
// counter points polled every `poll` (10 x 2ms: about 5,000 readings/s), a journal in `dir`,
// the broker at `uri`.
struct gateway_setup {
    std::string dir;
    std::string uri;
    std::string gateway_id = "it-gw";
    int points = 10;
    std::string poll = "2ms";
    std::string reconnect_max = "1s";
};

// Writes `<dir>/gateway.yaml` and returns its path.
std::string write_gateway_config(const gateway_setup& s);

// The journal file the configuration above uses.
std::string journal_path(const gateway_setup& s);

// The largest N such that every seq 1..N is present in `seqs`.
std::int64_t contiguous_prefix(const std::map<std::int64_t, int>& seqs);

// Sum over seq of (times seen - 1).
std::int64_t duplicates(const std::map<std::int64_t, int>& seqs);

}  // namespace edgegate::test
