#pragma once

#include <cstdint>
#include <string>

#include "clock.hpp"

namespace edgegate {

// Priority lanes of the journal. The forwarder serves `high` (status events, alerts) before a
// `normal` (readings) backlog; `seq` order holds within each lane.
enum class lane : int { high = 0, normal = 1 };
inline constexpr int lane_count = 2;

enum class event_kind : int { reading = 0, alert = 1, status = 2 };

// What the gateway stores and forwards. `topic` is relative to `<prefix>/<gateway>/`
// (e.g. "data/boiler/temperature"), and `body` is a JSON object *without* `seq` and
// `gateway`: both are added when the event is published (see forward/payload.hpp), so the
// journal stays compact and a renamed gateway or prefix applies to the backlog too.
struct event {
    event_kind kind = event_kind::reading;
    edgegate::lane lane = lane::normal;
    bool retain = false;
    timestamp ts;
    std::string topic;
    std::string body;
};

// An event as read back from the journal, with its sequence number.
struct stored_event {
    std::int64_t seq = 0;
    event ev;
};

}  // namespace edgegate
