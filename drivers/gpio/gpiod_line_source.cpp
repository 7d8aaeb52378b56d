#include "drivers/gpio/gpiod_line_source.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <system_error>

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

gpiod_line_source::gpiod_line_source() : wake_fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
    if (wake_fd_ < 0) {
        throw gpio_error("cannot create an eventfd: " + std::system_category().message(errno));
    }
}

gpiod_line_source::~gpiod_line_source() {
    release();
    ::close(wake_fd_);
}

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
            if (spec.direction == gpio_direction::input) {
                inputs_.push_back(line);
            } else {
                outputs_.insert(spec.line);
            }
        }
    } catch (...) {
        release();
        throw;
    }
}

std::vector<gpio_line_event> gpiod_line_source::wait_events(std::chrono::milliseconds timeout) {
    std::vector<gpio_line_event> out;
    std::vector<pollfd> fds{pollfd{wake_fd_, POLLIN, 0}};
    for (const auto& line : inputs_)
        fds.push_back(pollfd{line.event_get_fd(), POLLIN | POLLPRI, 0});
    const int ready = ::poll(fds.data(), fds.size(), static_cast<int>(timeout.count()));
    // A signal counts as a wake-up: the caller simply waits again.
    if (ready < 0 && errno == EINTR) return out;
    if (ready < 0) {
        throw gpio_error("waiting for events on " + chip_name_ + ": " +
                         std::system_category().message(errno));
    }
    if ((fds[0].revents & POLLIN) != 0) {
        std::uint64_t count = 0;
        // EAGAIN only means that nothing is left to clear.
        [[maybe_unused]] const auto cleared = ::read(wake_fd_, &count, sizeof count);
    }
    try {
        for (std::size_t i = 0; i < inputs_.size(); ++i) {
            // POLLERR or POLLHUP (the chip went away) make the read throw with the reason.
            if (fds[i + 1].revents == 0) continue;
            for (const auto& e : inputs_[i].event_read_multiple()) {
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

void gpiod_line_source::interrupt() {
    const std::uint64_t one = 1;
    // Fails only when the counter is saturated, and then a wake-up is pending anyway.
    [[maybe_unused]] const auto written = ::write(wake_fd_, &one, sizeof one);
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

void gpiod_line_source::set_level(unsigned line, bool high) {
    const auto it = lines_.find(line);
    if (it == lines_.end() || !outputs_.contains(line)) {
        throw gpio_error("line " + std::to_string(line) + " is not requested as an output");
    }
    try {
        it->second.set_value(high ? 1 : 0);
    } catch (const std::exception& e) {
        throw gpio_error("setting line " + std::to_string(line) + " of " + chip_name_ + ": " +
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
    outputs_.clear();
    chip_.reset();
}

}  // namespace edgegate
