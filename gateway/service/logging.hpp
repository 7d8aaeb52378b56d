#pragma once

#include <spdlog/formatter.h>

#include <memory>
#include <string>

namespace edgegate {

// True when stderr is a stream systemd connected to the journal: JOURNAL_STREAM holds the
// "device:inode" of that stream, and it is still our stderr (not a redirect made by a child's
// parent in between). Any thread.
bool stderr_is_journal();

// The log line format. For the journal: the sd-daemon priority prefix ("<3>" error, "<4>"
// warning, "<6>" info, "<7>" debug) and the message, nothing else, since journald adds the
// time, the unit and the priority colour itself. Otherwise: a plain line with date and time.
std::unique_ptr<spdlog::formatter> make_log_formatter(bool journal);

// Main thread, at start-up before any other thread logs: the default logger writes to stderr
// (stdout stays free for output a user asked for) in the format above, at `level` (`log.level`).
void setup_logging(const std::string& level);

}  // namespace edgegate
