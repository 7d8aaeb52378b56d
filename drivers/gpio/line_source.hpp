#pragma once

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include "gateway/core/clock.hpp"

namespace edgegate {

enum class gpio_direction { input, output };
enum class gpio_edge { rising, falling, both };
enum class gpio_bias { as_is, disabled, pull_up, pull_down };

// How one line is requested. Levels here are physical (what `gpioget` shows): `active_low` is
// applied by the driver's logic, so that the fake line source and the kernel agree on what an
// edge means and the tests exercise the inversion the driver really uses.
struct gpio_line_spec {
    unsigned line = 0;
    gpio_direction direction = gpio_direction::input;
    gpio_edge edge = gpio_edge::both;
    gpio_bias bias = gpio_bias::as_is;
    bool initial_high = false;  // outputs: the physical level set when the line is requested
};

// One edge seen by the kernel on an input line. `ts` is the kernel's timestamp on the clock of
// gpio_time_source::monotonic() (CLOCK_MONOTONIC for the character device).
struct gpio_line_event {
    unsigned line = 0;
    bool rising = false;  // the physical level went high
    std::chrono::nanoseconds ts{0};
};

// A failure of the line source with a message for the operator (it names the chip or line, and
// for a busy line the consumer that holds it).
class gpio_error : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// The error for a line that another consumer holds: names the line, the chip and the holder
// (`holder` empty: a kernel driver or a process that gave no consumer name).
std::string gpio_busy_message(const std::string& chip, unsigned line, const std::string& holder);

// The kernel's GPIO interface as the driver needs it, so that the debounce, counting and
// reporting logic can be tested with a fake. Every method but interrupt() is called on the
// device's own thread only; an implementation need not make those thread-safe.
class gpio_line_source {
  public:
    virtual ~gpio_line_source() = default;

    // Opens `chip` (a name such as gpiochip0, a path, a label or a number) and requests every
    // line of `lines` with the consumer name "edgegate", edge events enabled on the inputs.
    // Releases whatever an earlier call held first. Throws gpio_error when the chip cannot be
    // opened or a line cannot be requested (nothing stays requested then). May block briefly.
    virtual void request(const std::string& chip, const std::vector<gpio_line_spec>& lines) = 0;
    // Waits at most `timeout` for edge events on the requested inputs and returns them in the
    // order the kernel saw them; empty when none arrived. Throws gpio_error when the chip fails.
    virtual std::vector<gpio_line_event> wait_events(std::chrono::milliseconds timeout) = 0;
    // Any thread, never blocks. Makes the wait_events() in progress, or else the next one, return
    // at once (possibly empty), so that a queued write or stop() need not wait out the timeout.
    virtual void interrupt() = 0;
    // The physical level of a requested line. Throws gpio_error when the chip fails.
    virtual bool level(unsigned line) = 0;
    // Drives a requested output to the physical level `high`. Throws gpio_error when the line is
    // not a requested output or the chip fails. Does not block.
    virtual void set_level(unsigned line, bool high) = 0;
    // Releases the lines and closes the chip; does nothing when nothing is held.
    virtual void release() = 0;
};

// Where the driver's time comes from, so that tests can drive it. Thread-safe.
class gpio_time_source {
  public:
    virtual ~gpio_time_source() = default;

    // The clock of the kernel's event timestamps.
    virtual std::chrono::nanoseconds monotonic() const = 0;
    virtual timestamp wall() const = 0;
};

// CLOCK_MONOTONIC (std::chrono::steady_clock on Linux) and the system clock.
class gpio_system_time final : public gpio_time_source {
  public:
    std::chrono::nanoseconds monotonic() const override {
        return std::chrono::steady_clock::now().time_since_epoch();
    }
    timestamp wall() const override { return wall_clock::now(); }
};

}  // namespace edgegate
