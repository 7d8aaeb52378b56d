#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace edgegate::bench {

struct mqtt_message {
    std::string topic;
    std::string payload;
};

struct bare_publish_result {
    std::int64_t succeeded = 0;
    std::int64_t failed = 0;
    std::chrono::steady_clock::time_point connected_at;  // the CONNACK, before the first publish
};

// The baseline of the forward figure: a Paho async client publishing `messages` at QoS 1 with
// at most `window` unacknowledged, connected with the forwarder's options, and nothing else (no
// journal, no cursor). Returns once every delivery token has completed.
bare_publish_result bare_publish(const std::string& uri, const std::vector<mqtt_message>& messages,
                                 int window);

}  // namespace edgegate::bench
