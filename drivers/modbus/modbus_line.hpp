#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "drivers/driver.hpp"
#include "drivers/modbus/device_poller.hpp"
#include "drivers/modbus/link_settings.hpp"

namespace edgegate {

// One Modbus connection (a TCP endpoint or a serial line) and the one thread that polls every
// started device behind it, in turn, each on its own schedule. A device that stops answering
// costs one timeout and is then backed off, so its neighbours keep their rate. The connection
// is reopened with capped, jittered backoff, forever.
// The thread runs while at least one device is started. start_device/stop_device are called by
// the devices' drivers on the main thread, queue_write on the command thread.
class modbus_line {
  public:
    // `owner` names the device that configured the line first, for conflict messages.
    modbus_line(link_settings link, std::string owner);
    ~modbus_line();
    modbus_line(const modbus_line&) = delete;
    modbus_line& operator=(const modbus_line&) = delete;

    const link_settings& link() const { return link_; }
    const std::string& owner() const { return owner_; }

    // Starts polling `device`, delivering to `sink`; starts the thread if it is not running.
    // Does not block.
    void start_device(std::shared_ptr<device_poller> device, reading_sink sink);
    // Stops polling `device`; when it returns nothing more is delivered for it. Waits while a
    // delivery for it is under way (the sink may be applying back-pressure). The last device
    // out also stops the thread, which takes at most about one request timeout.
    void stop_device(const std::shared_ptr<device_poller>& device);

    // Command thread: queues a write of `data` (encode_point's, for point `index` of `device`)
    // for the line's thread, which serves queued writes before any due poll, on the line's one
    // connection, and calls `done` there when the write has ended. A write for a device that is
    // not started fails at once, on the calling thread; one still queued when its device is
    // stopped fails in stop_device, on the thread calling it. Does not block.
    void queue_write(const std::shared_ptr<device_poller>& device, std::size_t index,
                     std::vector<std::uint16_t> data, write_done done);

  private:
    struct registration {
        std::shared_ptr<device_poller> device;
        reading_sink sink;
        bool active = true;
    };

    struct pending_write {
        std::shared_ptr<registration> reg;
        std::size_t index = 0;
        std::vector<std::uint16_t> data;
        write_done done;
    };

    // Carries out `w` (opening the connection if it is closed: once, no backoff) and calls its
    // `done`. Never throws.
    void serve_write(modbus_connection& conn, pending_write& w);

    void run();
    void poll_loop();
    // The registration due first, or nullptr when none is active. Called with mutex_ held.
    std::shared_ptr<registration> next_due() const;
    bool deliver(registration& reg, ingest_item&& item);
    bool keep_going(const registration& reg);
    // Every active device: the link could not be opened.
    void link_failed(const std::string& error);
    // Called with mutex_ held: the active registrations.
    std::vector<std::shared_ptr<registration>> active() const;

    const link_settings link_;
    const std::string owner_;

    std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<std::shared_ptr<registration>> devices_;
    // Bumped by every start/stop, so the thread re-reads the schedule.
    std::uint64_t generation_ = 0;
    const registration* delivering_ = nullptr;
    std::deque<pending_write> writes_;
    // The device whose write the thread is carrying out, so that stopping it waits for the end.
    const registration* writing_ = nullptr;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace edgegate
