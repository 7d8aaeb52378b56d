#pragma once

#include <gpiod.hpp>
#include <map>
#include <set>
#include <vector>

#include "drivers/gpio/line_source.hpp"

namespace edgegate {

// The GPIO character device through libgpiod's C++ bindings. wait_events() polls the inputs'
// event descriptors itself, together with an eventfd, so that interrupt() can end a wait early
// (libgpiod's own event_wait cannot be woken).
class gpiod_line_source final : public gpio_line_source {
  public:
    // Throws gpio_error when the eventfd cannot be created (out of descriptors).
    gpiod_line_source();
    ~gpiod_line_source() override;
    gpiod_line_source(const gpiod_line_source&) = delete;
    gpiod_line_source& operator=(const gpiod_line_source&) = delete;

    void request(const std::string& chip, const std::vector<gpio_line_spec>& lines) override;
    std::vector<gpio_line_event> wait_events(std::chrono::milliseconds timeout) override;
    void interrupt() override;
    bool level(unsigned line) override;
    void set_level(unsigned line, bool high) override;
    void release() override;

  private:
    gpiod::chip chip_;
    std::string chip_name_;
    std::map<unsigned, gpiod::line> lines_;
    std::vector<gpiod::line> inputs_;
    std::set<unsigned> outputs_;
    int wake_fd_ = -1;
};

}  // namespace edgegate
