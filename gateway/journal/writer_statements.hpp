#pragma once

// Internal to gateway/journal: the writer's statements, prepared once when it opens and shared
// by writer.cpp and retention.cpp.

#include "gateway/journal/sqlite.hpp"

namespace edgegate {

struct journal_writer::statements {
    statements(sqlite3* db, const std::string& path)
        : begin(db, path, "begin", "BEGIN IMMEDIATE"),
          commit(db, path, "commit", "COMMIT"),
          rollback(db, path, "rollback", "ROLLBACK"),
          insert(db, path, "append",
                 "INSERT INTO events(lane, kind, retain, ts_ms, topic, body) "
                 "VALUES (?1, ?2, ?3, ?4, ?5, ?6)"),
          save_cursor(db, path, "save cursor",
                      "INSERT INTO cursors(consumer, lane, seq) VALUES (?1, ?2, ?3) "
                      "ON CONFLICT(consumer, lane) DO UPDATE SET seq = max(seq, excluded.seq)"),
          load_cursor(db, path, "load cursor",
                      "SELECT seq FROM cursors WHERE consumer = ?1 AND lane = ?2"),
          space(db, path, "measure space",
                "SELECT page_count, freelist_count, page_size "
                "FROM pragma_page_count(), pragma_freelist_count(), pragma_page_size()"),
          lane_head(db, path, "retention",
                    "SELECT seq FROM events WHERE lane = ?1 ORDER BY seq LIMIT 1"),
          lane_run(db, path, "retention",
                   "SELECT seq, ts_ms FROM events WHERE lane = ?1 AND seq <= ?2 "
                   "ORDER BY seq LIMIT ?3"),
          delete_through(db, path, "retention", "DELETE FROM events WHERE lane = ?1 AND seq <= ?2"),
          delete_oldest(db, path, "retention",
                        "DELETE FROM events WHERE seq IN (SELECT seq FROM events "
                        "WHERE lane = ?1 AND seq > ?4 AND seq <= ?2 ORDER BY seq LIMIT ?3)"),
          add_dropped(db, path, "count dropped events",
                      "UPDATE counters SET value = value + ?1 WHERE name = 'dropped_total'"),
          save_alert(db, path, "save alert state",
                     "INSERT INTO alert_state(rule, device, point, severity, since_ms, "
                     "announced_ms, peak) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
                     "ON CONFLICT(rule, device, point) DO UPDATE SET severity = excluded.severity, "
                     "since_ms = excluded.since_ms, announced_ms = excluded.announced_ms, "
                     "peak = excluded.peak"),
          remove_alert(db, path, "remove alert state",
                       "DELETE FROM alert_state WHERE rule = ?1 AND device = ?2 AND point = ?3"),
          load_alerts(db, path, "load alert state",
                      "SELECT rule, device, point, severity, since_ms, announced_ms, peak "
                      "FROM alert_state ORDER BY rule, device, point") {}

    journal_detail::statement begin, commit, rollback;
    journal_detail::statement insert, save_cursor, load_cursor;
    journal_detail::statement space, lane_head, lane_run, delete_through, delete_oldest,
        add_dropped;
    journal_detail::statement save_alert, remove_alert, load_alerts;
};

}  // namespace edgegate
