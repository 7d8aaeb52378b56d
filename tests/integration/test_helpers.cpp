// The test helpers work against the real peers the other integration tests rely on.
#include <doctest/doctest.h>
#include <mqtt/async_client.h>
#include <signal.h>

#include <fstream>

#include "tests/helpers/mosquitto.hpp"
#include "tests/helpers/mqtt_subscriber.hpp"
#include "tests/helpers/process.hpp"
#include "tests/helpers/temp_dir.hpp"
#include "tests/helpers/wait.hpp"

using namespace std::chrono_literals;
using namespace edgegate::test;

namespace {

void publish(const std::string& uri, const std::string& topic, const std::string& payload) {
    mqtt::async_client client(uri, "edgegate-test-pub", nullptr);
    client.connect(mqtt::connect_options_builder().mqtt_version(MQTTVERSION_3_1_1).finalize())
        ->wait();
    client.publish(topic, payload, 1, false)->wait();
    client.disconnect()->wait();
}

}  // namespace

TEST_CASE("temp_dir is removed with its contents") {
    std::string path;
    {
        temp_dir dir;
        path = dir.path();
        std::ofstream(dir.file("a.txt")) << "x";
        CHECK(std::ifstream(dir.file("a.txt")).good());
    }
    CHECK_FALSE(std::ifstream(path + "/a.txt").good());
}

TEST_CASE("child_process reports exit codes, signals and output") {
    temp_dir dir;
    {
        child_process p({"sh", "-c", "echo out; echo err >&2; exit 3"}, dir.file("log"));
        CHECK(p.wait_exit(5s) == 3);
        CHECK_FALSE(p.running());
    }
    std::ifstream log(dir.file("log"));
    std::string out, err;
    std::getline(log, out);
    std::getline(log, err);
    CHECK(out == "out");
    CHECK(err == "err");

    child_process env_child({"sh", "-c", "exit $EDGEGATE_TEST_CODE"}, {}, {"EDGEGATE_TEST_CODE=7"});
    CHECK(env_child.wait_exit(5s) == 7);

    child_process sleeper({"sleep", "30"});
    CHECK(sleeper.running());
    CHECK(rss_kib(sleeper.pid()) > 0);
    CHECK_FALSE(sleeper.wait_exit(20ms).has_value());
    sleeper.signal(SIGTERM);
    CHECK(sleeper.wait_exit(5s) == 128 + SIGTERM);
    CHECK(rss_kib(sleeper.pid()) == -1);
}

TEST_CASE("free_tcp_port returns a usable port") {
    const int port = free_tcp_port();
    CHECK(port > 0);
    CHECK(port < 65536);
}

TEST_CASE("mosquitto_broker and mqtt_subscriber survive a broker crash") {
    mosquitto_broker broker;
    REQUIRE(broker.running());
    CHECK(broker.uri() == "tcp://127.0.0.1:" + std::to_string(broker.port()));

    mqtt_subscriber sub(broker.uri(), "edgegate/#");
    REQUIRE(sub.connected());
    publish(broker.uri(), "edgegate/gw/data/a/b", R"({"seq":1,"gateway":"gw"})");
    REQUIRE(sub.wait_for_count(1, 5s));
    CHECK(sub.messages().front().topic == "edgegate/gw/data/a/b");
    CHECK_FALSE(sub.messages().front().retained);

    broker.kill();
    CHECK_FALSE(broker.running());
    CHECK(wait_until([&] { return !sub.connected(); }, 5s));
    broker.start();
    REQUIRE(wait_until([&] { return sub.connected(); }, 10s));

    publish(broker.uri(), "edgegate/gw/status", R"({"seq":2})");
    REQUIRE(sub.wait_for_count(2, 5s));
    CHECK(sub.seq_counts() == std::map<std::int64_t, int>{{1, 1}, {2, 1}});
}

TEST_CASE("a persistent subscriber gets what was queued while it was away") {
    mosquitto_broker broker;
    { mqtt_subscriber first(broker.uri(), "q/#", "edgegate-test-queued"); }
    publish(broker.uri(), "q/x", R"({"seq":5})");
    mqtt_subscriber again(broker.uri(), "q/#", "edgegate-test-queued");
    REQUIRE(again.wait_for_count(1, 5s));
    CHECK(again.seq_counts() == std::map<std::int64_t, int>{{5, 1}});
}
