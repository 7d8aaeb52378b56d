#pragma once

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "diagnostics.hpp"
#include "units.hpp"

namespace edgegate {

// Reads one YAML mapping of a configuration file on behalf of the section's owner (config/,
// each driver, rules/), reporting every problem to `diagnostics` with the node's position and
// key path instead of throwing. Each getter marks its key as known; `finish()` then reports
// every key nobody asked for, with the nearest known one ("did you mean 'x'?").
// Getters return the default when the key is absent and also when the value is invalid (after
// reporting it), so validation goes on and all errors are collected.
// Used on the main thread at start-up only.
class yaml_section {
public:
    // `node` may be undefined/null (an absent section: every getter returns its default).
    // A node that is present but not a mapping is reported as an error.
    yaml_section(YAML::Node node, std::string path, diagnostics& diag);

    bool has(std::string_view key) const;

    std::string str(std::string_view key, std::string def);
    std::optional<std::string> opt_str(std::string_view key);
    std::string required_str(std::string_view key);
    bool boolean(std::string_view key, bool def);
    std::int64_t integer(std::string_view key, std::int64_t def, std::int64_t min,
                         std::int64_t max);
    double number(std::string_view key, double def, double min, double max);
    std::optional<double> opt_number(std::string_view key, double min, double max);
    duration dur(std::string_view key, duration def, duration min, duration max);
    std::uint64_t size(std::string_view key, std::uint64_t def, std::uint64_t min,
                       std::uint64_t max);
    // One of `options`; a misspelling gets "did you mean 'x'?".
    std::string enumeration(std::string_view key, std::string def,
                            std::initializer_list<std::string_view> options);
    // A nested mapping (absent -> empty section).
    yaml_section child(std::string_view key);
    // The raw node (absent -> undefined node), for sequences the caller walks itself.
    YAML::Node raw(std::string_view key);

    // Report an error at `at` (or at this section when `at` has no position) under
    // `path() + "." + subpath`.
    void error(const YAML::Node& at, std::string_view subkey, std::string message);
    void error(std::string message);

    // Report every key that no getter asked for.
    void finish();

    const std::string& path() const { return path_; }
    const YAML::Node& node() const { return node_; }
    diagnostics& diag() { return diag_; }

private:
    YAML::Node lookup(std::string_view key);
    std::string key_path(std::string_view key) const;

    YAML::Node node_;
    std::string path_;
    diagnostics& diag_;
    std::set<std::string, std::less<>> known_;
};

// The candidate nearest to `word` by edit distance, if close enough to be a likely typo.
std::optional<std::string> nearest(std::string_view word,
                                   const std::vector<std::string>& candidates);

}  // namespace edgegate
