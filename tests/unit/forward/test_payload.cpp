// Payload encoding is the public MQTT interface: these are exact strings on purpose.
#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <cmath>
#include <limits>

#include "gateway/core/payload.hpp"

using namespace edgegate;

namespace {

// 2026-11-26T21:05:55.123Z
const timestamp sample_ts = from_unix_ms(1795727155123);

reading sample(edgegate::value v, std::string unit = "°C") {
    reading r;
    r.device = "boiler";
    r.point = "temperature";
    r.value = std::move(v);
    r.quality = quality::good;
    r.ts = sample_ts;
    r.unit = std::move(unit);
    return r;
}

bool valid_json(const std::string& text) {
    rapidjson::Document doc;
    doc.Parse<rapidjson::kParseValidateEncodingFlag>(text.data(), text.size());
    return !doc.HasParseError() && doc.IsObject();
}

}  // namespace

TEST_CASE("a reading body has its keys in the documented order") {
    CHECK(format_iso8601(sample_ts) == "2026-11-26T21:05:55.123Z");
    CHECK(encode_reading_body(sample(71.5)) ==
          R"({"device":"boiler","point":"temperature","ts":"2026-11-26T21:05:55.123Z",)"
          R"("value":71.5,"unit":"°C","quality":"good"})");
}

TEST_CASE("an empty unit is left out") {
    auto r = sample(true, "");
    r.quality = quality::uncertain;
    CHECK(encode_reading_body(r) ==
          R"({"device":"boiler","point":"temperature","ts":"2026-11-26T21:05:55.123Z",)"
          R"("value":true,"quality":"uncertain"})");
}

TEST_CASE("integers stay exact") {
    const auto body = [](edgegate::value v) {
        const auto text = encode_reading_body(sample(std::move(v), ""));
        const auto start = text.find("\"value\":") + 8;
        return text.substr(start, text.find(',', start) - start);
    };
    CHECK(body(std::numeric_limits<std::int64_t>::min()) == "-9223372036854775808");
    CHECK(body(std::numeric_limits<std::int64_t>::max()) == "9223372036854775807");
    CHECK(body(std::numeric_limits<std::uint64_t>::max()) == "18446744073709551615");
    CHECK(body(std::int64_t{0}) == "0");
    CHECK(body(false) == "false");
    CHECK(body(72.0) == "72.0");
    CHECK(body(0.1) == "0.1");
    CHECK(body(-1.5e-7) == "-1.5e-7");
}

TEST_CASE("non-finite doubles become null") {
    for (const double d : {std::nan(""), std::numeric_limits<double>::infinity(),
                           -std::numeric_limits<double>::infinity()}) {
        auto r = sample(d);
        r.quality = quality::bad;
        CHECK(encode_reading_body(r) ==
              R"({"device":"boiler","point":"temperature","ts":"2026-11-26T21:05:55.123Z",)"
              R"("value":null,"unit":"°C","quality":"bad"})");
    }
}

TEST_CASE("hostile strings are escaped") {
    const std::string nasty = std::string("a\"b\\c\n\t\x01/") + '\0' + "é";
    const auto body = encode_reading_body(sample(nasty, "\"u\""));
    CHECK(body == R"({"device":"boiler","point":"temperature","ts":"2026-11-26T21:05:55.123Z",)"
                  R"("value":"a\"b\\c\n\t\u0001/\u0000é","unit":"\"u\"","quality":"good"})");
    CHECK(valid_json(body));
}

TEST_CASE("invalid UTF-8 is replaced by U+FFFD, byte by byte") {
    const auto value_of = [](const std::string& s) {
        const auto text = encode_reading_body(sample(s, ""));
        CHECK(valid_json(text));
        const auto start = text.find("\"value\":") + 8;
        return text.substr(start, text.find(",\"quality\"") - start);
    };
    CHECK(value_of("ok\xff") == "\"ok\xEF\xBF\xBD\"");                              // never valid
    CHECK(value_of("\xC3") == "\"\xEF\xBF\xBD\"");                                  // truncated
    CHECK(value_of("\xC0\xAF") == "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");                  // overlong '/'
    CHECK(value_of("\xED\xA0\x80") == "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");  // surrogate
    CHECK(value_of("\xF4\x90\x80\x80x").ends_with("x\""));          // above U+10FFFF
    CHECK(value_of("\xF0\x9F\x94\xA5") == "\"\xF0\x9F\x94\xA5\"");  // valid 4 bytes kept
    CHECK(value_of("\xE2\x82\xAC") == "\"\xE2\x82\xAC\"");          // valid 3 bytes kept
}

TEST_CASE("a reading event goes to data/<device>/<point> on the normal lane") {
    const auto ev = make_reading_event(sample(71.5));
    CHECK(ev.kind == event_kind::reading);
    CHECK(ev.lane == lane::normal);
    CHECK_FALSE(ev.retain);
    CHECK(ev.ts == sample_ts);
    CHECK(ev.topic == "data/boiler/temperature");
    CHECK(ev.body == encode_reading_body(sample(71.5)));
}

TEST_CASE("a status event goes to events on the high lane") {
    const auto ev = make_status_event("dropped", sample_ts, "\"count\":3");
    CHECK(ev.kind == event_kind::status);
    CHECK(ev.lane == lane::high);
    CHECK_FALSE(ev.retain);
    CHECK(ev.topic == "events");
    CHECK(ev.body == R"({"event":"dropped","ts":"2026-11-26T21:05:55.123Z","count":3})");
    CHECK(make_status_event("started", sample_ts, "").body ==
          R"({"event":"started","ts":"2026-11-26T21:05:55.123Z"})");
}

TEST_CASE("finalize_payload puts seq and gateway first") {
    const auto body = encode_reading_body(sample(71.5));
    CHECK(finalize_payload(42, "gw1", body) ==
          R"({"seq":42,"gateway":"gw1","device":"boiler","point":"temperature",)"
          R"("ts":"2026-11-26T21:05:55.123Z","value":71.5,"unit":"°C","quality":"good"})");
    CHECK(finalize_payload(1, "gw", "{}") == R"({"seq":1,"gateway":"gw"})");
    CHECK(finalize_payload(1, "gw", " { } ") == R"({"seq":1,"gateway":"gw" } )");
    CHECK(finalize_payload(9223372036854775807, "g\"w", R"({"a":1})") ==
          R"({"seq":9223372036854775807,"gateway":"g\"w","a":1})");
}

TEST_CASE("finalize_payload keeps a body that is not an object as a string") {
    const auto out = finalize_payload(7, "gw", "[1,2]");
    CHECK(out == R"({"seq":7,"gateway":"gw","body":"[1,2]"})");
    CHECK(valid_json(out));
    CHECK(finalize_payload(7, "gw", "") == R"({"seq":7,"gateway":"gw","body":""})");
}

TEST_CASE("full_topic joins prefix, gateway and the relative topic") {
    CHECK(full_topic("edgegate", "gw1", "data/boiler/temperature") ==
          "edgegate/gw1/data/boiler/temperature");
    CHECK(full_topic("site/a", "gw1", "status") == "site/a/gw1/status");
    CHECK(full_topic("", "gw1", "events") == "gw1/events");
}
