#pragma once

#include <optional>
#include <string>

#include "gateway/core/clock.hpp"
#include "gateway/core/value.hpp"

namespace edgegate {

// How a device answered one write: the value it holds afterwards (read back, in engineering
// units), or why the write failed.
struct write_result {
    bool ok = false;
    std::string error;                     // empty when ok
    std::optional<edgegate::value> value;  // what the device holds after the write, when known
};

// The outcome of one command received on `<prefix>/<gw>/cmd/<device>/<point>`, accepted or
// refused. The pipeline journals it twice: the answer to the caller on
// `cmd/<device>/<point>/result` and the audit record on `audit` (gateway/command/README.md).
struct command_outcome {
    std::string device;
    std::string point;
    std::optional<std::string> id;  // the caller's "id", when it sent one
    std::string requested;          // the request's "value" as JSON text; "null" when unknown
    write_result result;
    timestamp ts;  // when the outcome was known
};

}  // namespace edgegate
