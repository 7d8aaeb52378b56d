// The journal events of a command's outcome: the answer on cmd/<device>/<point>/result and the
// audit record, as a subscriber reads them.
#include <doctest/doctest.h>

#include "gateway/core/payload.hpp"

using namespace edgegate;

TEST_CASE("an accepted write is answered and audited") {
    command_outcome c;
    c.device = "meter";
    c.point = "setpoint";
    c.id = "dash-\"7\"";
    c.requested = "21.5";
    c.result = {true, {}, value(21.5)};
    c.ts = from_unix_ms(1795768200250);
    const auto [result, audit] = make_command_events(c);
    CHECK(result.topic == "cmd/meter/setpoint/result");
    CHECK(
        result.body ==
        R"({"id":"dash-\"7\"","ok":true,"error":null,"value":21.5,"ts":"2026-11-27T08:30:00.250Z"})");
    CHECK(result.lane == lane::high);
    CHECK_FALSE(result.retain);
    CHECK(audit.topic == "audit");
    CHECK(
        audit.body ==
        R"({"event":"command","device":"meter","point":"setpoint","requested":21.5,"id":"dash-\"7\"","ok":true,"error":null,"value":21.5,"ts":"2026-11-27T08:30:00.250Z"})");
    CHECK(audit.lane == lane::high);
}

TEST_CASE("a refusal without an id carries null and the error") {
    command_outcome c;
    c.device = "meter";
    c.point = "setpoint";
    c.requested = "{\"a\":[1,2]}";
    c.result = {false, "out of range", std::nullopt};
    c.ts = from_unix_ms(0);
    const auto [result, audit] = make_command_events(c);
    CHECK(
        result.body ==
        R"({"id":null,"ok":false,"error":"out of range","value":null,"ts":"1970-01-01T00:00:00.000Z"})");
    CHECK(audit.body.find(R"("requested":{"a":[1,2]})") != std::string::npos);
}
