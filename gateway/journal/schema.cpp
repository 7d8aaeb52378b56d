// The journal's schema: its numbered migrations and the checks made when a file is opened.
// JOURNAL.md describes the tables.

#include <iterator>

#include "gateway/journal/sqlite.hpp"

namespace edgegate::journal_detail {

namespace {

// Migration N turns a version N-1 journal into version N. Append new steps; never edit one that
// has shipped, since journals in the field were built by it.
constexpr const char* migrations[] = {
    // 1: the initial schema. seq is AUTOINCREMENT so a seq is never handed out twice, even
    // after retention removed the newest rows; (lane, seq) serves reads after a cursor and the
    // retention order.
    R"sql(
CREATE TABLE meta(
    key   TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE counters(
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO counters(name, value) VALUES ('dropped_total', 0);
CREATE TABLE events(
    seq    INTEGER PRIMARY KEY AUTOINCREMENT,
    lane   INTEGER NOT NULL,
    kind   INTEGER NOT NULL,
    retain INTEGER NOT NULL,
    ts_ms  INTEGER NOT NULL,
    topic  TEXT NOT NULL,
    body   TEXT NOT NULL
);
CREATE INDEX events_lane_seq ON events(lane, seq);
CREATE TABLE cursors(
    consumer TEXT NOT NULL,
    lane     INTEGER NOT NULL,
    seq      INTEGER NOT NULL,
    PRIMARY KEY (consumer, lane)
) WITHOUT ROWID;
)sql",
    // 2: the rules engine's active alerts, so that a restart neither raises an active alert a
    // second time nor forgets to clear it. Not events: retention never touches them.
    R"sql(
CREATE TABLE alert_state(
    rule         TEXT NOT NULL,
    device       TEXT NOT NULL,
    point        TEXT NOT NULL,
    severity     INTEGER NOT NULL,
    since_ms     INTEGER NOT NULL,
    announced_ms INTEGER NOT NULL,
    peak         REAL,
    PRIMARY KEY (rule, device, point)
) WITHOUT ROWID;
)sql",
};

}  // namespace

int latest_schema_version() { return static_cast<int>(std::size(migrations)); }

int probe_schema(sqlite3* db, const std::string& path) {
    // The first read also replays a WAL left by a crash, so a header that only reached the WAL
    // is seen here.
    const std::int64_t id = query_int(db, path, "PRAGMA application_id", 0);
    if (id != application_id) {
        if (id == 0 && query_int(db, path, "SELECT count(*) FROM sqlite_schema", 0) == 0) return 0;
        throw_error(path, "not an edgegate journal: an SQLite database of another application");
    }
    const bool has_meta =
        query_int(db, path, "SELECT count(*) FROM sqlite_schema WHERE name = 'meta'", 0) == 1;
    const std::int64_t version =
        has_meta ? query_int(db, path, "SELECT value FROM meta WHERE key = 'schema_version'", 0)
                 : 0;
    if (version < 1) throw_error(path, "damaged edgegate journal: no schema version");
    if (version > latest_schema_version()) {
        throw_error(path, "schema version " + std::to_string(version) +
                              " is newer than this edgegate supports (" +
                              std::to_string(latest_schema_version()) +
                              "); run a newer edgegate or choose another journal.path");
    }
    return static_cast<int>(version);
}

void migrate(sqlite3* db, const std::string& path, int version) {
    exec(db, path, "begin migration", "BEGIN IMMEDIATE");
    try {
        // Checked again under the write lock, in case another process got there first.
        version = probe_schema(db, path);
        if (version == 0) {
            exec(db, path, "set application_id",
                 ("PRAGMA application_id = " + std::to_string(application_id)).c_str());
        }
        for (int next = version + 1; next <= latest_schema_version(); ++next) {
            exec(db, path, ("migration " + std::to_string(next)).c_str(), migrations[next - 1]);
            // Prepared after the step: migration 1 creates the table.
            statement set_version(db, path, "set schema version",
                                  "INSERT INTO meta(key, value) VALUES ('schema_version', ?1) "
                                  "ON CONFLICT(key) DO UPDATE SET value = excluded.value");
            query(set_version).bind(1, next).run();
        }
        exec(db, path, "commit migration", "COMMIT");
    } catch (...) {
        sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
        throw;
    }
}

}  // namespace edgegate::journal_detail
