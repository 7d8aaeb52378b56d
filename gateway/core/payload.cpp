#include "gateway/core/payload.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cmath>
#include <optional>
#include <type_traits>

namespace edgegate {
namespace {

using json_writer = rapidjson::Writer<rapidjson::StringBuffer>;

constexpr std::string_view replacement_character = "\xEF\xBF\xBD";  // U+FFFD

// Length of the well-formed UTF-8 sequence at the start of `s` (RFC 3629: no overlongs, no
// surrogates, nothing above U+10FFFF), or 0 when it is not one.
std::size_t utf8_sequence_length(std::string_view s) {
    const auto b = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
    const auto continuation = [&](std::size_t i) { return i < s.size() && (b(i) & 0xC0) == 0x80; };
    const unsigned char c = b(0);
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) return continuation(1) ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        if (!continuation(1) || !continuation(2)) return 0;
        if (c == 0xE0 && b(1) < 0xA0) return 0;   // overlong
        if (c == 0xED && b(1) >= 0xA0) return 0;  // UTF-16 surrogate
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (!continuation(1) || !continuation(2) || !continuation(3)) return 0;
        if (c == 0xF0 && b(1) < 0x90) return 0;   // overlong
        if (c == 0xF4 && b(1) >= 0x90) return 0;  // above U+10FFFF
        return 4;
    }
    return 0;
}

// JSON must be valid UTF-8, and RapidJSON's Writer copies bytes through unchecked, so a value
// from a device (a Modbus string register, say) with invalid bytes has each of them replaced by
// U+FFFD: the message stays valid JSON and the rest of the text stays readable.
void write_string(json_writer& w, std::string_view s) {
    std::size_t i = 0;
    std::size_t n = 0;
    while (i < s.size() && (n = utf8_sequence_length(s.substr(i))) != 0) i += n;
    if (i == s.size()) {
        w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
        return;
    }
    std::string clean(s.substr(0, i));
    while (i < s.size()) {
        n = utf8_sequence_length(s.substr(i));
        if (n == 0) {
            clean += replacement_character;
            ++i;
        } else {
            clean.append(s.substr(i, n));
            i += n;
        }
    }
    w.String(clean.data(), static_cast<rapidjson::SizeType>(clean.size()));
}

void write_value(json_writer& w, const value& v) {
    std::visit(
        [&](const auto& x) {
            using t = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<t, bool>) {
                w.Bool(x);
            } else if constexpr (std::is_same_v<t, std::int64_t>) {
                w.Int64(x);
            } else if constexpr (std::is_same_v<t, std::uint64_t>) {
                w.Uint64(x);
            } else if constexpr (std::is_same_v<t, double>) {
                // JSON has no NaN or infinity.
                if (std::isfinite(x)) {
                    w.Double(x);
                } else {
                    w.Null();
                }
            } else {
                write_string(w, x);
            }
        },
        v);
}

void write_key(json_writer& w, std::string_view key) {
    w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
}

void write_ts(json_writer& w, timestamp ts) {
    const std::string text = format_iso8601(ts);
    w.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
}

void write_optional_value(json_writer& w, const std::optional<value>& v) {
    if (v) {
        write_value(w, *v);
    } else {
        w.Null();
    }
}

void write_threshold(json_writer& w, const alert_threshold& t) {
    if (const auto* single = std::get_if<value>(&t)) {
        write_value(w, *single);
    } else if (const auto* band = std::get_if<value_band>(&t)) {
        w.StartArray();
        write_value(w, band->lo);
        write_value(w, band->hi);
        w.EndArray();
    } else {
        w.Null();
    }
}

std::string json_string(std::string_view s) {
    rapidjson::StringBuffer buf;
    json_writer w(buf);
    write_string(w, s);
    return {buf.GetString(), buf.GetSize()};
}

}  // namespace

std::string encode_reading_body(const reading& r) {
    rapidjson::StringBuffer buf;
    json_writer w(buf);
    w.StartObject();
    write_key(w, "device");
    write_string(w, r.device);
    write_key(w, "point");
    write_string(w, r.point);
    write_key(w, "ts");
    write_ts(w, r.ts);
    write_key(w, "value");
    write_value(w, r.value);
    if (!r.unit.empty()) {
        write_key(w, "unit");
        write_string(w, r.unit);
    }
    write_key(w, "quality");
    const std::string_view q = to_string(r.quality);
    w.String(q.data(), static_cast<rapidjson::SizeType>(q.size()));
    w.EndObject();
    return {buf.GetString(), buf.GetSize()};
}

event make_reading_event(const reading& r) {
    event ev;
    ev.kind = event_kind::reading;
    ev.lane = lane::normal;
    ev.retain = false;
    ev.ts = r.ts;
    ev.topic = "data/" + r.device + "/" + r.point;
    ev.body = encode_reading_body(r);
    return ev;
}

std::string encode_alert_body(const alert& a) {
    rapidjson::StringBuffer buf;
    json_writer w(buf);
    w.StartObject();
    write_key(w, "rule");
    write_string(w, a.rule);
    write_key(w, "device");
    write_string(w, a.device);
    write_key(w, "point");
    write_string(w, a.point);
    write_key(w, "state");
    write_string(w, a.state == alert_state::raised ? "raised" : "cleared");
    write_key(w, "severity");
    write_string(w, to_string(a.severity));
    write_key(w, "value");
    write_optional_value(w, a.measured);
    write_key(w, "threshold");
    write_threshold(w, a.threshold);
    write_key(w, "message");
    write_string(w, a.message);
    write_key(w, "ts");
    write_ts(w, a.ts);
    write_key(w, "since");
    write_ts(w, a.since);
    if (a.state == alert_state::cleared) {
        write_key(w, "peak");
        write_optional_value(w, a.peak);
        write_key(w, "duration");
        // Seconds, like every rate and time in the rules; milliseconds survive as decimals.
        const auto ms = a.active_for.count();
        if (ms % 1000 == 0) {
            w.Int64(ms / 1000);
        } else {
            w.Double(static_cast<double>(ms) / 1000.0);
        }
    }
    w.EndObject();
    return {buf.GetString(), buf.GetSize()};
}

event make_alert_event(const alert& a) {
    event ev;
    ev.kind = event_kind::alert;
    ev.lane = lane::high;
    ev.retain = true;
    ev.ts = a.ts;
    ev.topic = "alerts/" + a.rule + "/" + a.device + "/" + a.point;
    ev.body = encode_alert_body(a);
    return ev;
}

event make_status_event(std::string_view name, timestamp ts, std::string_view extra_fields) {
    rapidjson::StringBuffer buf;
    json_writer w(buf);
    w.StartObject();
    write_key(w, "event");
    write_string(w, name);
    write_key(w, "ts");
    write_ts(w, ts);
    w.EndObject();
    std::string body(buf.GetString(), buf.GetSize());
    if (!extra_fields.empty()) {
        body.pop_back();
        body += ',';
        body += extra_fields;
        body += '}';
    }
    event ev;
    ev.kind = event_kind::status;
    ev.lane = lane::high;
    ev.retain = false;
    ev.ts = ts;
    ev.topic = "events";
    ev.body = std::move(body);
    return ev;
}

event make_device_event(const device_status& s) {
    std::string extra = "\"device\":" + json_string(s.device) + ",\"state\":\"" +
                        (s.online ? "online" : "offline") + '"';
    if (!s.error.empty()) extra += ",\"error\":" + json_string(s.error);
    return make_status_event("device", s.ts, extra);
}

namespace {

// The members a command's answer and its audit record share.
void write_command_outcome(json_writer& w, const command_outcome& c) {
    write_key(w, "id");
    if (c.id) {
        write_string(w, *c.id);
    } else {
        w.Null();
    }
    write_key(w, "ok");
    w.Bool(c.result.ok);
    write_key(w, "error");
    if (c.result.ok) {
        w.Null();
    } else {
        write_string(w, c.result.error);
    }
    write_key(w, "value");
    write_optional_value(w, c.result.value);
    write_key(w, "ts");
    write_ts(w, c.ts);
}

event command_event(const command_outcome& c, std::string topic, std::string body) {
    event ev;
    ev.kind = event_kind::status;
    ev.lane = lane::high;
    ev.retain = false;
    ev.ts = c.ts;
    ev.topic = std::move(topic);
    ev.body = std::move(body);
    return ev;
}

}  // namespace

std::array<event, 2> make_command_events(const command_outcome& c) {
    rapidjson::StringBuffer result;
    {
        json_writer w(result);
        w.StartObject();
        write_command_outcome(w, c);
        w.EndObject();
    }
    rapidjson::StringBuffer audit;
    {
        json_writer w(audit);
        w.StartObject();
        write_key(w, "event");
        write_string(w, "command");
        write_key(w, "device");
        write_string(w, c.device);
        write_key(w, "point");
        write_string(w, c.point);
        write_key(w, "requested");
        w.RawValue(c.requested.data(), c.requested.size(), rapidjson::kObjectType);
        write_command_outcome(w, c);
        w.EndObject();
    }
    return {command_event(c, "cmd/" + c.device + "/" + c.point + "/result",
                          {result.GetString(), result.GetSize()}),
            command_event(c, "audit", {audit.GetString(), audit.GetSize()})};
}

std::string finalize_payload(std::int64_t seq, std::string_view gateway, std::string_view body) {
    const auto start = body.find_first_not_of(" \t\r\n");
    std::string out = "{\"seq\":";
    out.reserve(body.size() + gateway.size() + 40);
    out += std::to_string(seq);
    out += ",\"gateway\":";
    out += json_string(gateway);
    if (start == std::string_view::npos || body[start] != '{') {
        // Not an object (a journal row this gateway did not write): carried as a string rather
        // than spliced, so the message stays valid JSON.
        out += ",\"body\":";
        out += json_string(body);
        out += '}';
        return out;
    }
    const auto rest = body.substr(start + 1);
    const auto next = rest.find_first_not_of(" \t\r\n");
    if (next == std::string_view::npos || rest[next] != '}') out += ',';
    out += rest;
    return out;
}

std::string full_topic(std::string_view prefix, std::string_view gateway,
                       std::string_view relative) {
    std::string out;
    out.reserve(prefix.size() + gateway.size() + relative.size() + 2);
    if (!prefix.empty()) {
        out += prefix;
        out += '/';
    }
    out += gateway;
    out += '/';
    out += relative;
    return out;
}

}  // namespace edgegate
