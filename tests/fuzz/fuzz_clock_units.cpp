// The small text parsers of outside input: parse_iso8601 (a command's "ts"), parse_duration and
// parse_size (every duration and size in a configuration). Each either refuses or returns what
// its own formatter reads back the same.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "gateway/core/clock.hpp"
#include "gateway/core/units.hpp"

namespace {

using namespace edgegate;

[[noreturn]] void fail(std::string_view what, std::string_view input, std::string_view out) {
    std::fprintf(stderr, "%.*s: input '%.*s', got '%.*s'\n", static_cast<int>(what.size()),
                 what.data(), static_cast<int>(input.size()), input.data(),
                 static_cast<int>(out.size()), out.data());
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);

    if (const auto t = parse_iso8601(text)) {
        // Milliseconds survive; what format_iso8601 writes parses back to the same instant.
        const std::string formatted = format_iso8601(*t);
        const auto again = parse_iso8601(formatted);
        if (!again || *again != *t) fail("iso8601 round trip", text, formatted);
    }

    if (const auto d = parse_duration(text)) {
        if (d->count() < 0) fail("negative duration", text, format_duration(*d));
        const std::string formatted = format_duration(*d);
        if (parse_duration(formatted) != d) fail("duration round trip", text, formatted);
    }

    if (const auto s = parse_size(text)) {
        const std::string formatted = format_size(*s);
        if (parse_size(formatted) != s) fail("size round trip", text, formatted);
    }
    return 0;
}
