// The alert event is part of the public MQTT interface: exact strings on purpose.
#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <cmath>

#include "gateway/core/payload.hpp"

using namespace edgegate;

namespace {

const timestamp raised_at = from_unix_ms(1795727155123);  // 2026-11-26T21:05:55.123Z

alert sample() {
    alert a;
    a.rule = "boiler_overheat";
    a.device = "boiler";
    a.point = "temperature";
    a.state = alert_state::raised;
    a.severity = severity::critical;
    a.measured = 91.5;
    a.threshold = value(std::int64_t{90});
    a.message = "boiler temperature at 91.5°C, limit 90";
    a.ts = raised_at;
    a.since = raised_at;
    return a;
}

}  // namespace

TEST_CASE("a raised alert is a retained high-lane event on alerts/<rule>/<device>/<point>") {
    const event ev = make_alert_event(sample());
    CHECK(ev.kind == event_kind::alert);
    CHECK(ev.lane == lane::high);
    CHECK(ev.retain);
    CHECK(ev.ts == raised_at);
    CHECK(ev.topic == "alerts/boiler_overheat/boiler/temperature");
    CHECK(ev.body ==
          R"({"rule":"boiler_overheat","device":"boiler","point":"temperature","state":"raised",)"
          R"("severity":"critical","value":91.5,"threshold":90,)"
          R"("message":"boiler temperature at 91.5°C, limit 90",)"
          R"("ts":"2026-11-26T21:05:55.123Z","since":"2026-11-26T21:05:55.123Z"})");
    CHECK(full_topic("edgegate", "gw1", ev.topic) ==
          "edgegate/gw1/alerts/boiler_overheat/boiler/temperature");
    CHECK(finalize_payload(42, "gw1", ev.body)
              .starts_with(R"({"seq":42,"gateway":"gw1","rule":"boiler_overheat",)"));
}

TEST_CASE("a cleared alert carries its peak and how long it was active, in seconds") {
    auto a = sample();
    a.state = alert_state::cleared;
    a.measured = std::int64_t{84};
    a.ts = raised_at + std::chrono::milliseconds(90500);
    a.peak = 97.25;
    a.active_for = std::chrono::milliseconds(90500);
    CHECK(encode_alert_body(a) ==
          R"({"rule":"boiler_overheat","device":"boiler","point":"temperature","state":"cleared",)"
          R"("severity":"critical","value":84,"threshold":90,)"
          R"("message":"boiler temperature at 91.5°C, limit 90",)"
          R"("ts":"2026-11-26T21:07:25.623Z","since":"2026-11-26T21:05:55.123Z",)"
          R"("peak":97.25,"duration":90.5})");
    a.active_for = std::chrono::minutes(2);
    CHECK(encode_alert_body(a).ends_with(R"("peak":97.25,"duration":120})"));
}

TEST_CASE("bands, booleans, text, unknown and non-finite values encode as valid JSON") {
    auto a = sample();
    a.threshold = value_band{std::int64_t{2}, 8.5};
    a.measured = std::nan("");
    CHECK(encode_alert_body(a).find(R"("value":null,"threshold":[2,8.5],)") != std::string::npos);
    a.threshold = value(true);
    a.measured = false;
    CHECK(encode_alert_body(a).find(R"("value":false,"threshold":true,)") != std::string::npos);
    a.threshold = value(std::string("fault \"E7\""));
    a.measured.reset();
    CHECK(encode_alert_body(a).find(R"("value":null,"threshold":"fault \"E7\"",)") !=
          std::string::npos);
    a.threshold = std::monostate{};
    a.state = alert_state::cleared;
    a.peak.reset();
    a.message = "bad \xff byte";
    const std::string body = encode_alert_body(a);
    CHECK(body.find(R"("threshold":null,)") != std::string::npos);
    CHECK(body.find(R"("peak":null,"duration":0})") != std::string::npos);
    rapidjson::Document doc;
    doc.Parse<rapidjson::kParseValidateEncodingFlag>(body.data(), body.size());
    CHECK_FALSE(doc.HasParseError());
}

TEST_CASE("severities are named as in the configuration") {
    CHECK(to_string(severity::info) == "info");
    CHECK(to_string(severity::warning) == "warning");
    CHECK(to_string(severity::critical) == "critical");
}
