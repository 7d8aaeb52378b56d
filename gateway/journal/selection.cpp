#include <algorithm>
#include <stdexcept>

#include "gateway/core/names.hpp"
#include "gateway/journal/journal.hpp"

namespace edgegate {

namespace {

// Rows one statement may pass over, matching or not: a few milliseconds of scanning, so a
// selective filter holds a read snapshot (and with it the WAL) only that long at a time.
constexpr std::int64_t scan_span = 20000;

void check_name(const std::optional<std::string>& name, const char* what) {
    if (name && !is_valid_name(*name)) {
        throw std::invalid_argument(std::string(what) + " '" + *name +
                                    "' is not a valid name ([A-Za-z0-9_.-])");
    }
}

}  // namespace

event_selection::event_selection(journal_reader& reader, event_filter filter)
    : reader_(reader), filter_(std::move(filter)) {
    check_name(filter_.device, "device");
    check_name(filter_.point, "point");
    through_ = reader_.last_assigned_seq();
}

std::vector<stored_event> event_selection::next(int limit) {
    std::vector<stored_event> out;
    while (limit > 0 && after_ < through_ && out.empty()) {
        const std::int64_t bound = std::min(through_, after_ + scan_span);
        out = reader_.read_matching(filter_, after_, bound, limit);
        // A full page may stop short of the span; otherwise the whole span has been looked at.
        after_ = static_cast<int>(out.size()) == limit ? out.back().seq : bound;
    }
    return out;
}

}  // namespace edgegate
