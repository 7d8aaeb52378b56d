#pragma once

#include <string>

namespace edgegate::test {

// An MQTT 3.1.1 subscriber that stops reading: it connects with a persistent session
// (clean session off, no keep-alive, so the broker never times it out), subscribes at QoS 1, and
// from then on reads nothing and acknowledges nothing, with a small receive buffer. The broker's
// in-flight window and then its queue for this client fill up, as for a consumer that hangs.
// A raw socket rather than Paho, whose client would keep reading. The constructor blocks until
// the SUBACK (5 s at most, else throws); the destructor closes the socket. Test thread only.
class stalled_mqtt_client {
  public:
    stalled_mqtt_client(const std::string& host, int port, const std::string& client_id,
                        const std::string& topic_filter);
    ~stalled_mqtt_client();
    stalled_mqtt_client(const stalled_mqtt_client&) = delete;
    stalled_mqtt_client& operator=(const stalled_mqtt_client&) = delete;

  private:
    int fd_ = -1;
};

}  // namespace edgegate::test
