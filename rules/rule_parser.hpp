#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <string_view>
#include <vector>

#include "gateway/core/diagnostics.hpp"
#include "rules/rule.hpp"

namespace edgegate {

// Reads the `rules:` section on behalf of the configuration loader (main thread, start-up).
// `node` is the section's value (absent or null: no rules) and `path` its key path ("rules").
// Every problem is reported to `diag` as FILE:LINE:COL: rules[2].above: message, and reading
// goes on, so that all of them are reported; the rules returned are only meaningful when `diag`
// stays clean. `source` is the text `node` was parsed from: it places a bad message placeholder
// at its own line and column (without it, at the message). `devices`, when given, are the
// configured device names: a `match` naming no such device, or a glob matching none, is an error.
std::vector<rule> parse_rules(const YAML::Node& node, const std::string& path, diagnostics& diag,
                              std::string_view source,
                              const std::vector<std::string>* devices = nullptr);

}  // namespace edgegate
