// The command payload parser on whatever arrives on <prefix>/<gw>/cmd/<device>/<point>, then the
// answer and audit events built from what it read, as the router builds them: parse_command must
// never throw, must refuse or accept consistently, and everything it hands on (the id, the
// requested value as JSON text) must leave the gateway as valid JSON.

#include <rapidjson/document.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "gateway/command/command_parser.hpp"
#include "gateway/core/payload.hpp"

namespace {

using namespace edgegate;

[[noreturn]] void fail(std::string_view what, std::string_view text) {
    std::fprintf(stderr, "%.*s:\n%.*s\n", static_cast<int>(what.size()), what.data(),
                 static_cast<int>(text.size()), text.data());
    std::abort();
}

void expect_json(std::string_view what, std::string_view json, bool object) {
    rapidjson::Document doc;
    doc.Parse<rapidjson::kParseValidateEncodingFlag>(json.data(), json.size());
    if (doc.HasParseError()) fail(std::string(what) + " is not valid JSON", json);
    if (object && !doc.IsObject()) fail(std::string(what) + " is not a JSON object", json);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view payload(reinterpret_cast<const char*>(data), size);
    const parsed_command cmd = parse_command(payload);

    if (cmd.error.empty() != cmd.value.has_value()) {
        fail("a command is accepted exactly when it has a value and no error", cmd.error);
    }
    if (cmd.id && cmd.id->size() > 256) fail("an id over 256 bytes was accepted", *cmd.id);
    // The audit record splices `requested` in unchecked: it must be JSON on its own.
    expect_json("requested", cmd.requested, false);

    command_outcome c;
    c.device = "boiler";
    c.point = "setpoint";
    c.id = cmd.id;
    c.requested = cmd.requested;
    c.result.ok = cmd.error.empty();
    c.result.error = cmd.error;
    c.result.value = cmd.value;
    c.ts = cmd.ts.value_or(timestamp{});
    for (const event& ev : make_command_events(c)) {
        expect_json(ev.topic, ev.body, true);
        expect_json(ev.topic + " finalized", finalize_payload(1, "gw1", ev.body), true);
    }
    return 0;
}
