#pragma once

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "diagnostics.hpp"
#include "units.hpp"

namespace edgegate {

// Reads one YAML mapping of a configuration file on behalf of the section's owner (config/,
// each driver, rules/), reporting every problem to `diagnostics` with the node's position and
// key path instead of throwing. Each getter marks its key as known; `finish()` then reports
// every key nobody asked for, with the nearest known one ("did you mean 'x'?").
// Getters return the default when the key is absent or empty (`key:` or `key: ~`) and also when
// the value is invalid (after reporting it), so validation goes on and all errors are collected.
// A mapping or a sequence where a scalar is expected, text where a number is expected, a value
// outside [min, max] and duplicate keys are all reported at the offending node.
// Used on the main thread at start-up only.
class yaml_section {
  public:
    // `node` may be undefined/null (an absent section: every getter returns its default).
    // A node that is present but not a mapping is reported as an error, and so are repeated keys
    // (yaml-cpp accepts them silently).
    yaml_section(const YAML::Node& node, std::string path, diagnostics& diag);

    bool has(std::string_view key) const;

    std::string str(std::string_view key, std::string def);
    std::optional<std::string> opt_str(std::string_view key);
    // Absent: "missing required key 'k'" at the section; empty: "must not be empty" at the key.
    // Returns "" after reporting either.
    std::string required_str(std::string_view key);
    // `true` or `false` only: yes/no/on/off are booleans in YAML 1.1 but strings in YAML 1.2,
    // so they are refused rather than guessed.
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
    // The entries of the sequence under `key` (a device's `points`), each a section with the path
    // `<path>.<key>[i]`; an absent, empty or non-sequence value is reported ("expected a
    // non-empty list of <key>") and gives no entries.
    std::vector<yaml_section> entries(std::string_view key);

    // Report an error at `at` (or at this section when `at` has no position) under
    // `path() + "." + subkey` (no dot before a subscript such as "[2]"; path() when empty).
    void error(const YAML::Node& at, std::string_view subkey, std::string message);
    void error(std::string message);

    // Report every key that no getter asked for.
    void finish();

    const std::string& path() const { return path_; }
    const YAML::Node& node() const { return node_; }
    diagnostics& diag() { return diag_; }

  private:
    // A key of this mapping and its value; both undefined when the key is absent.
    struct entry {
        YAML::Node key{YAML::NodeType::Undefined};
        YAML::Node value{YAML::NodeType::Undefined};
    };

    struct scalar_value {
        std::string text;
        YAML::Mark mark;
    };

    // Finds `key` and marks it known.
    entry lookup(std::string_view key);
    // The scalar text of `key` and its position; nullopt when absent or empty, and (after
    // reporting that `expected` was wanted) when the value is a mapping or a sequence.
    std::optional<scalar_value> scalar(std::string_view key, std::string_view expected);
    std::string key_path(std::string_view key) const;
    // Where to report a problem with `e`: the value, or the key when the value is empty (the
    // parser places an empty value on the next line).
    YAML::Mark where(const entry& e) const;
    void report(const YAML::Mark& at, std::string path, std::string message);

    YAML::Node node_;
    std::string path_;
    diagnostics& diag_;
    // The section's own position; for an absent section, its parent's, so that errors such as a
    // missing required key still point somewhere.
    YAML::Mark mark_;
    bool is_map_ = false;
    std::set<std::string, std::less<>> known_;
};

// User text in single quotes for a message, cut at 80 characters or at the first line break so
// that every error stays on one line.
std::string quote(std::string_view text);

// How a value reads in "expected X, got Y": quote(text), "a mapping", "a sequence" or "nothing".
std::string describe_value(const YAML::Node& node);

// Reads a `{ min, max }` mapping of reconnect/retry delays (each 10ms..1h, min <= max) into
// `min` and `max`, which hold the defaults on entry, and finishes the section.
void read_delay_range(yaml_section section, duration& min, duration& max);

// The candidate nearest to `word` by edit distance (case-insensitive, a swap of neighbours counts
// as one edit), if close enough to be a likely typo: at most two edits and at most half the
// longer word ("sinus" -> "sine", but not "ab" -> "id"), or at most a third of the longer word.
// Ties go to the earlier candidate.
std::optional<std::string> nearest(std::string_view word,
                                   const std::vector<std::string>& candidates);

}  // namespace edgegate
