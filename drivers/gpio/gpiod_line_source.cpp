#include "drivers/gpio/gpiod_line_source.hpp"

#include <algorithm>
#include <cerrno>
#include <system_error>
#include <thread>

namespace edgegate {

namespace {

constexpr const char* consumer_name = "edgegate";

gpiod::line_request make_request(const gpio_line_spec& spec) {
    gpiod::line_request req;
    req.consumer = consumer_name;
    if (spec.direction == gpio_direction::output) {
        req.request_type = gpiod::line_request::DIRECTION_OUTPUT;
        return req;
    }
    switch (spec.edge) {
        case gpio_edge::rising:
            req.request_type = gpiod::line_request::EVENT_RISING_EDGE;
            break;
        case gpio_edge::falling:
            req.request_type = gpiod::line_request::EVENT_FALLING_EDGE;
            break;
        case gpio_edge::both:
            req.request_type = gpiod::line_request::EVENT_BOTH_EDGES;
            break;
    }
    switch (spec.bias) {
        case gpio_bias::as_is:
            break;
        case gpio_bias::disabled:
            req.flags = gpiod::line_request::FLAG_BIAS_DISABLE;
            break;
        case gpio_bias::pull_up:
            req.flags = gpiod::line_request::FLAG_BIAS_PULL_UP;
            break;
        case gpio_bias::pull_down:
            req.flags = gpiod::line_request::FLAG_BIAS_PULL_DOWN;
            break;
    }
    return req;
}

}  // namespace

gpiod_line_source::~gpiod_line_source() { release(); }

void gpiod_line_source::request(const std::string& chip, const std::vector<gpio_line_spec>& lines) {
    release();
    try {
        chip_.open(chip, gpiod::chip::OPEN_LOOKUP);
    } catch (const std::exception& e) {
        throw gpio_error("cannot open GPIO chip '" + chip + "': " + e.what());
    }
    chip_name_ = chip_.name();
    try {
        for (const auto& spec : lines) {
            if (spec.line >= chip_.num_lines()) {
                throw gpio_error(chip_name_ + " has " + std::to_string(chip_.num_lines()) +
                                 " lines, there is no line " + std::to_string(spec.line));
            }
            gpiod::line line = chip_.get_line(spec.line);
            if (line.is_used())
                throw gpio_error(gpio_busy_message(chip_name_, line.offset(), line.consumer()));
            try {
                line.request(make_request(spec), spec.initial_high ? 1 : 0);
            } catch (const std::system_error& e) {
                // Taken between the check above and the request: ask the kernel who has it.
                if (e.code().value() == EBUSY) {
                    line.update();
                    throw gpio_error(gpio_busy_message(chip_name_, line.offset(), line.consumer()));
                }
                throw gpio_error("cannot request line " + std::to_string(spec.line) + " of " +
                                 chip_name_ + ": " + e.what());
            }
            lines_[spec.line] = line;
            if (spec.direction == gpio_direction::input) inputs_.append(line);
        }
    } catch (...) {
        release();
        throw;
    }
}

std::vector<gpio_line_event> gpiod_line_source::wait_events(std::chrono::milliseconds timeout) {
    std::vector<gpio_line_event> out;
    if (inputs_.empty()) {
        // Only outputs: nothing to wait for but the caller's next deadline.
        std::this_thread::sleep_for(timeout);
        return out;
    }
    try {
        gpiod::line_bulk ready = inputs_.event_wait(timeout);
        for (auto& line : ready) {
            for (const auto& e : line.event_read_multiple()) {
                out.push_back(gpio_line_event{e.source.offset(),
                                              e.event_type == gpiod::line_event::RISING_EDGE,
                                              e.timestamp});
            }
        }
    } catch (const std::exception& e) {
        throw gpio_error("waiting for events on " + chip_name_ + ": " + e.what());
    }
    // Events of different lines were read line by line; the kernel's timestamps restore the
    // order in which they happened.
    std::stable_sort(out.begin(), out.end(),
                     [](const auto& a, const auto& b) { return a.ts < b.ts; });
    return out;
}

bool gpiod_line_source::level(unsigned line) {
    const auto it = lines_.find(line);
    if (it == lines_.end()) throw gpio_error("line " + std::to_string(line) + " is not requested");
    try {
        return it->second.get_value() != 0;
    } catch (const std::exception& e) {
        throw gpio_error("reading line " + std::to_string(line) + " of " + chip_name_ + ": " +
                         e.what());
    }
}

void gpiod_line_source::release() {
    for (auto& [offset, line] : lines_) {
        // Releasing a line of a chip that disappeared fails; the handle goes away regardless.
        try {
            line.release();
        } catch (const std::exception&) {
        }
    }
    lines_.clear();
    inputs_.clear();
    chip_.reset();
}

}  // namespace edgegate
