#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "gateway/core/clock.hpp"
#include "gateway/core/value.hpp"

namespace edgegate {

// The largest command payload read; anything longer is refused unread.
inline constexpr std::size_t max_command_bytes = 4096;

// A command payload, {"value": <json>, "id": "<caller's id>", "ts": "<ISO 8601>"}, as far as it
// could be read. Filled as much as possible even when `error` is set, so that a refusal still
// names the caller's id and the requested value.
struct parsed_command {
    std::optional<std::string> id;
    // The request's value as JSON text ("null" when there is none or the payload is unreadable).
    std::string requested = "null";
    // The value as a point value: true/false -> bool, an integral number -> int64 (uint64 above
    // INT64_MAX), any other number -> double, a string -> string.
    std::optional<edgegate::value> value;
    std::optional<timestamp> ts;
    // Why the command is refused; empty when it is well formed.
    std::string error;
};

// Reads a command payload from outside (the MQTT callback thread). Pure; never throws for any
// input. Refuses: payloads over max_command_bytes, malformed JSON, a non-object, unknown keys
// (with the nearest known one), a missing or non-scalar "value", an "id" that is not a string
// (or longer than 256 bytes), a "ts" that is not an ISO 8601 time with a zone.
parsed_command parse_command(std::string_view payload);

}  // namespace edgegate
