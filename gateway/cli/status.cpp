#include <algorithm>
#include <chrono>
#include <iostream>

#include "gateway/cli/commands.hpp"
#include "gateway/config/config.hpp"
#include "gateway/core/diagnostics.hpp"
#include "gateway/core/units.hpp"
#include "gateway/journal/journal.hpp"

namespace edgegate {

namespace {

std::string when(const std::optional<timestamp>& t) { return t ? format_iso8601(*t) : "-"; }

}  // namespace

int show_status(const std::string& config_path, bool verify) {
    std::string journal_path;
    std::uint64_t max_bytes = 0;
    try {
        const gateway_config cfg = load_config(config_path);
        journal_path = cfg.journal.path;
        max_bytes = cfg.journal.max_bytes;
    } catch (const config_exception& e) {
        for (const auto& err : e.errors()) std::cerr << err.to_string() << '\n';
        return 2;
    } catch (const config_unreadable& e) {
        std::cerr << e.what() << '\n';
        return 2;
    }
    try {
        journal_reader reader(journal_path);
        const auto s = reader.read_stats();
        std::cout << "journal:   " << journal_path << " (schema " << s.schema_version << ")\n"
                  << "size:      " << format_size(s.bytes_used) << " in use of "
                  << format_size(max_bytes) << " allowed, file " << format_size(s.file_bytes)
                  << "\n"
                  << "events:    seq " << s.first_seq << ".." << s.last_seq << ", last at "
                  << when(s.last_event) << "\n";
        static constexpr const char* lane_names[] = {"high", "normal"};
        for (int l = 0; l < lane_count; ++l) {
            const auto& ls = s.lanes[l];
            std::cout << lane_names[l] << (l == 0 ? ":      " : ":    ") << ls.events
                      << " stored, forwarded up to seq " << ls.cursor << ", " << ls.undelivered
                      << " waiting";
            if (ls.undelivered > 0) std::cout << " (oldest " << when(ls.oldest_undelivered) << ")";
            std::cout << "\n";
        }
        const auto oldest = s.oldest_undelivered();
        std::cout << "backlog:   " << s.undelivered() << " event(s) not yet forwarded";
        if (oldest) {
            const auto age =
                std::chrono::duration_cast<std::chrono::seconds>(wall_clock::now() - *oldest);
            std::cout << ", oldest " << when(oldest) << " ("
                      << format_duration(std::max(age, std::chrono::seconds(0))) << " ago)";
        }
        std::cout << "\n"
                  << "total:     " << s.last_seq << " events journaled (all time)\n"
                  << "dropped:   " << s.dropped_total
                  << " undelivered events removed by retention (all time)\n";
        const auto alerts = reader.active_alerts();
        std::cout << "alerts:    " << alerts.size() << " active\n";
        for (const auto& a : alerts) {
            std::cout << "  " << a.rule << " on " << a.device << "/" << a.point << ", "
                      << to_string(a.severity) << ", since " << format_iso8601(a.since) << "\n";
        }
        if (verify) {
            const std::string result = reader.integrity_check();
            std::cout << "integrity: " << result << "\n";
            if (result != "ok") return 1;
        }
        return 0;
    } catch (const std::exception& e) {
        std::cerr << e.what() << '\n';
        return 2;
    }
}

}  // namespace edgegate
