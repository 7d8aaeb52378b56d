// The journal payload encoders with hostile strings: every device, point, rule, unit, message,
// error, id and gateway name comes from the input (quotes, backslashes, control characters,
// invalid UTF-8), and so do the values. Whatever they hold, each body and each finished payload
// must be one valid JSON object in valid UTF-8 (RFC 8259), or a subscriber drops the message.

#include <fuzzer/FuzzedDataProvider.h>
#include <rapidjson/document.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>
#include <string_view>

#include "gateway/core/payload.hpp"

namespace {

using namespace edgegate;

// Non-finite doubles on purpose: they must come out as null.
double any_double(FuzzedDataProvider& in) {
    switch (in.ConsumeIntegralInRange(0, 4)) {
        case 0:
            return std::numeric_limits<double>::quiet_NaN();
        case 1:
            return std::numeric_limits<double>::infinity();
        case 2:
            return -std::numeric_limits<double>::infinity();
        default:
            return in.ConsumeFloatingPoint<double>();
    }
}

value any_value(FuzzedDataProvider& in) {
    switch (in.ConsumeIntegralInRange(0, 4)) {
        case 0:
            return in.ConsumeBool();
        case 1:
            return in.ConsumeIntegral<std::int64_t>();
        case 2:
            return in.ConsumeIntegral<std::uint64_t>();
        case 3:
            return any_double(in);
        default:
            return in.ConsumeRandomLengthString(64);
    }
}

std::optional<value> maybe_value(FuzzedDataProvider& in) {
    if (in.ConsumeBool()) return std::nullopt;
    return any_value(in);
}

// Any time a journal row can carry, from before 1970 to far beyond 9999.
timestamp any_time(FuzzedDataProvider& in) {
    constexpr std::int64_t limit = std::numeric_limits<std::int64_t>::max() / 1'000'000;
    return from_unix_ms(in.ConsumeIntegralInRange<std::int64_t>(-limit, limit));
}

[[noreturn]] void fail(std::string_view what, std::string_view json) {
    std::fprintf(stderr, "%.*s:\n%.*s\n", static_cast<int>(what.size()), what.data(),
                 static_cast<int>(json.size()), json.data());
    std::abort();
}

void expect_object(std::string_view what, std::string_view json) {
    rapidjson::Document doc;
    doc.Parse<rapidjson::kParseValidateEncodingFlag>(json.data(), json.size());
    if (doc.HasParseError()) fail(std::string(what) + " is not valid JSON", json);
    if (!doc.IsObject()) fail(std::string(what) + " is not a JSON object", json);
}

// A body as the journal holds it, then as the forwarder publishes it.
void expect_payload(std::string_view what, const std::string& body, std::int64_t seq,
                    std::string_view gateway) {
    expect_object(what, body);
    const std::string payload = finalize_payload(seq, gateway, body);
    expect_object(std::string(what) + " finalized", payload);
    rapidjson::Document doc;
    doc.Parse(payload.data(), payload.size());
    if (!doc.HasMember("seq") || !doc["seq"].IsInt64() || doc["seq"].GetInt64() != seq) {
        fail(std::string(what) + " finalized lost its seq", payload);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider in(data, size);
    const std::string gateway = in.ConsumeRandomLengthString(32);
    const auto seq = in.ConsumeIntegral<std::int64_t>();

    reading r;
    r.device = in.ConsumeRandomLengthString(32);
    r.point = in.ConsumeRandomLengthString(32);
    r.value = any_value(in);
    r.quality = static_cast<quality>(in.ConsumeIntegralInRange(0, 2));
    r.ts = any_time(in);
    r.unit = in.ConsumeRandomLengthString(16);
    expect_payload("reading", encode_reading_body(r), seq, gateway);

    alert a;
    a.rule = in.ConsumeRandomLengthString(32);
    a.device = in.ConsumeRandomLengthString(32);
    a.point = in.ConsumeRandomLengthString(32);
    a.state = in.ConsumeBool() ? alert_state::raised : alert_state::cleared;
    a.severity = static_cast<severity>(in.ConsumeIntegralInRange(0, 2));
    a.measured = maybe_value(in);
    switch (in.ConsumeIntegralInRange(0, 2)) {
        case 0:
            break;
        case 1:
            a.threshold = any_value(in);
            break;
        default:
            a.threshold = value_band{any_value(in), any_value(in)};
            break;
    }
    a.message = in.ConsumeRandomLengthString(64);
    a.ts = any_time(in);
    a.since = any_time(in);
    a.peak = maybe_value(in);
    a.active_for = duration(in.ConsumeIntegral<std::int64_t>());
    expect_payload("alert", make_alert_event(a).body, seq, gateway);

    device_status s;
    s.device = in.ConsumeRandomLengthString(32);
    s.online = in.ConsumeBool();
    s.error = in.ConsumeRandomLengthString(64);
    s.ts = any_time(in);
    expect_payload("device event", make_device_event(s).body, seq, gateway);

    command_outcome c;
    c.device = in.ConsumeRandomLengthString(32);
    c.point = in.ConsumeRandomLengthString(32);
    if (in.ConsumeBool()) c.id = in.ConsumeRandomLengthString(64);
    // `requested` is JSON the command parser wrote (fuzz_command feeds it hostile text); here
    // one of the shapes it takes.
    c.requested = in.PickValueInArray<std::string_view>({"null", "true", "-3", "2.5", "\"x\""});
    c.result.ok = in.ConsumeBool();
    c.result.error = in.ConsumeRandomLengthString(64);
    c.result.value = maybe_value(in);
    c.ts = any_time(in);
    for (const event& ev : make_command_events(c)) {
        expect_payload("command event " + ev.topic, ev.body, seq, gateway);
    }

    // A journal row this gateway did not write: whatever it holds, the payload stays JSON as
    // long as the row is not a broken object (the journal only ever stores whole ones).
    const std::string row = in.ConsumeRemainingBytesAsString();
    rapidjson::Document parsed;
    parsed.Parse<rapidjson::kParseValidateEncodingFlag>(row.data(), row.size());
    const auto start = row.find_first_not_of(" \t\r\n");
    const bool object_text = start != std::string::npos && row[start] == '{';
    if (!object_text || (!parsed.HasParseError() && parsed.IsObject())) {
        expect_object("foreign row finalized", finalize_payload(seq, gateway, row));
    }
    return 0;
}
