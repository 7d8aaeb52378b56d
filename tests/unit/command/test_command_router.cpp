// The command router between the MQTT callback and the drivers: which commands reach a device,
// which are refused and with what answer, and that every one of them produces an outcome.
#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "gateway/command/command_router.hpp"

using namespace edgegate;
using namespace std::chrono_literals;

namespace {

// A device whose only writable point is `relay` (booleans); it confirms every write at once
// with the value written, as a device that reads back what it was told would.
class relay_box final : public driver {
  public:
    void start(reading_sink) override {}
    void stop() override {}
    const std::string& name() const override { return name_; }
    std::optional<std::string> check_write(const std::string& point,
                                           const value& v) const override {
        if (point != "relay") return "unknown point '" + point + "'";
        if (!std::holds_alternative<bool>(v)) return "expects true or false";
        return std::nullopt;
    }
    void write(const std::string& point, const value& v, write_done done) override {
        writes.emplace_back(point, v);
        done({true, {}, v});
    }

    std::vector<std::pair<std::string, value>> writes;

  private:
    std::string name_ = "box";
};

// A device of a driver without writes: the interface's default refuses.
class sensor final : public driver {
  public:
    void start(reading_sink) override {}
    void stop() override {}
    const std::string& name() const override { return name_; }

  private:
    std::string name_ = "sensor";
};

struct bench {
    commands_section cfg;
    std::vector<std::unique_ptr<driver>> devices;
    relay_box* box = nullptr;
    std::vector<command_outcome> outcomes;
    timestamp now = from_unix_ms(1795768200000);  // 2026-11-27T08:30:00Z
    std::unique_ptr<command_router> router;

    explicit bench(int rate = 10) {
        cfg.rate = rate;
        auto b = std::make_unique<relay_box>();
        box = b.get();
        devices.push_back(std::move(b));
        devices.push_back(std::make_unique<sensor>());
        router = std::make_unique<command_router>(
            cfg, devices,
            [this](ingest_item&& item) {
                outcomes.push_back(std::get<command_outcome>(std::move(item)));
                return true;
            },
            [this] { return now; });
    }

    const command_outcome& send(std::string_view device, std::string_view point,
                                std::string_view payload, bool retained = false) {
        const auto before = outcomes.size();
        router->on_command(device, point, payload, retained);
        REQUIRE(outcomes.size() == before + 1);
        return outcomes.back();
    }
};

}  // namespace

TEST_CASE("an accepted command is written and answered under the caller's id") {
    bench b;
    const auto& out = b.send("box", "relay", R"({"value": true, "id": "op-1"})");
    CHECK(out.result.ok);
    CHECK(out.result.error.empty());
    CHECK(out.device == "box");
    CHECK(out.point == "relay");
    CHECK(out.id == "op-1");
    CHECK(out.requested == "true");
    REQUIRE(out.result.value);
    CHECK(std::get<bool>(*out.result.value));
    CHECK(out.ts == b.now);
    REQUIRE(b.box->writes.size() == 1);
    CHECK(b.box->writes[0].first == "relay");
}

TEST_CASE("refusals reach the caller and nothing is written") {
    bench b;
    CHECK(b.send("bx", "relay", R"({"value": true, "id": "1"})").result.error ==
          "unknown device 'bx', did you mean 'box'?");
    CHECK(b.send("box", "fan", R"({"value": true})").result.error == "unknown point 'fan'");
    CHECK(b.send("box", "relay", R"({"value": 1})").result.error == "expects true or false");
    CHECK(b.send("box", "relay", R"({"value": true)").result.error.starts_with("malformed JSON"));
    CHECK(b.send("sensor", "temperature", R"({"value": 1})").result.error ==
          "point 'temperature' of device 'sensor' is not writable (the device's driver takes no "
          "writes)");
    const auto& retained = b.send("box", "relay", R"({"value": true, "id": "r"})", true);
    CHECK(retained.result.error ==
          "retained command refused: publish commands without the retain flag");
    CHECK(retained.id == "r");
    for (const auto& o : b.outcomes) CHECK_FALSE(o.result.ok);
    CHECK(b.box->writes.empty());
}

TEST_CASE("a command older than max_age is ignored and one within it is carried out") {
    bench b;
    const auto& stale =
        b.send("box", "relay", R"({"value": true, "id": "old", "ts": "2026-11-27T08:29:00Z"})");
    CHECK_FALSE(stale.result.ok);
    CHECK(stale.result.error ==
          "stale command ignored: sent at 2026-11-27T08:29:00.000Z, 1m ago, older than "
          "commands.max_age (30s)");
    CHECK(b.box->writes.empty());
    const auto& fresh =
        b.send("box", "relay", R"({"value": false, "id": "new", "ts": "2026-11-27T08:29:45Z"})");
    CHECK(fresh.result.ok);
    CHECK(b.box->writes.size() == 1);
}

TEST_CASE("commands beyond the rate of a point are refused") {
    bench b(3);
    for (int i = 0; i < 3; ++i) CHECK(b.send("box", "relay", R"({"value": true})").result.ok);
    CHECK(b.send("box", "relay", R"({"value": true})").result.error ==
          "rate limit: more than 3 commands per second to this point (commands.rate)");
    CHECK(b.box->writes.size() == 3);
}

TEST_CASE("after close commands are dropped unanswered") {
    bench b;
    b.router->close();
    b.router->on_command("box", "relay", R"({"value": true})", false);
    CHECK(b.outcomes.empty());
    CHECK(b.box->writes.empty());
}
