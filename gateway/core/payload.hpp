#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "gateway/core/alert.hpp"
#include "gateway/core/device_status.hpp"
#include "gateway/core/event.hpp"
#include "gateway/core/reading.hpp"

namespace edgegate {

// The journal body of a reading:
// {"device":..,"point":..,"ts":"...Z","value":..,"unit":..,"quality":"good"}
// Non-finite doubles become null; strings are escaped as JSON (RapidJSON Writer). Pure.
std::string encode_reading_body(const reading& r);

// The journal event of a reading (topic "data/<device>/<point>", normal lane).
event make_reading_event(const reading& r);

// The journal body of an alert (the keys in this order; `peak` and `duration`, in seconds, on a
// clear only):
// {"rule":..,"device":..,"point":..,"state":"raised","severity":"critical","value":..,
//  "threshold":..,"message":..,"ts":"...Z","since":"...Z"}
// `value` and `threshold` are null when unknown; a band threshold is [lo, hi]. Pure.
std::string encode_alert_body(const alert& a);

// The journal event of an alert: topic "alerts/<rule>/<device>/<point>", high lane, retained
// (the broker keeps each alert's current state for subscribers that connect later).
event make_alert_event(const alert& a);

// A gateway status event for the `events` topic, high lane: {"event":"<name>","ts":..., ...}
// `extra_fields` is a JSON fragment of further members without braces ("\"count\":3") or empty.
event make_status_event(std::string_view name, timestamp ts, std::string_view extra_fields);

// A device status event (events topic, high lane):
// {"event":"device","ts":..,"device":"boiler","state":"offline","error":"timeout"}
event make_device_event(const device_status& s);

// The two journal events of a command's outcome (high lane, not retained):
// * the answer on "cmd/<device>/<point>/result":
//   {"id":..,"ok":true,"error":null,"value":..,"ts":..}  (`id` null when the caller sent none,
//   `error` null when ok, `value` the value the device holds after the write, when known)
// * the audit record on "audit":
//   {"event":"command","device":..,"point":..,"requested":<the request's value>,"id":..,"ok":..,
//    "error":..,"value":..,"ts":..}
// `requested` must be valid JSON text (the command parser writes it). Pure.
std::array<event, 2> make_command_events(const command_outcome& c);

// The published payload: `body` with "seq" and "gateway" put first.
// {"seq":42,"gateway":"gw1",<rest of body>}
std::string finalize_payload(std::int64_t seq, std::string_view gateway, std::string_view body);

// "<prefix>/<gateway>/<relative topic>"
std::string full_topic(std::string_view prefix, std::string_view gateway,
                       std::string_view relative);

}  // namespace edgegate
