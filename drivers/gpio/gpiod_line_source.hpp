#pragma once

#include <gpiod.hpp>
#include <map>

#include "drivers/gpio/line_source.hpp"

namespace edgegate {

// The GPIO character device through libgpiod's C++ bindings.
class gpiod_line_source final : public gpio_line_source {
  public:
    ~gpiod_line_source() override;

    void request(const std::string& chip, const std::vector<gpio_line_spec>& lines) override;
    std::vector<gpio_line_event> wait_events(std::chrono::milliseconds timeout) override;
    bool level(unsigned line) override;
    void release() override;

  private:
    gpiod::chip chip_;
    std::string chip_name_;
    std::map<unsigned, gpiod::line> lines_;
    gpiod::line_bulk inputs_;
};

}  // namespace edgegate
