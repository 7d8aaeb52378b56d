#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "gateway/journal/journal.hpp"
#include "gateway/journal/sqlite.hpp"

namespace edgegate {

using namespace journal_detail;

struct journal_reader::statements {
    statements(sqlite3* db, const std::string& path)
        : begin(db, path, "read snapshot", "BEGIN"),
          end(db, path, "read snapshot", "COMMIT"),
          read_after(db, path, "read after cursor",
                     "SELECT seq, kind, retain, ts_ms, topic, body FROM events "
                     "WHERE lane = ?1 AND seq > ?2 AND seq <= ?4 ORDER BY seq LIMIT ?3"),
          matching(db, path, "read history", matching_sql),
          cursor(db, path, "read cursor",
                 "SELECT seq FROM cursors WHERE consumer = ?1 AND lane = ?2"),
          lane_rows(db, path, "stats", "SELECT count(*) FROM events WHERE lane = ?1"),
          lane_after(db, path, "stats", "SELECT count(*) FROM events WHERE lane = ?1 AND seq > ?2"),
          lane_first_after(db, path, "stats",
                           "SELECT ts_ms FROM events WHERE lane = ?1 AND seq > ?2 "
                           "ORDER BY seq LIMIT 1"),
          lane_last(db, path, "stats",
                    "SELECT seq FROM events WHERE lane = ?1 ORDER BY seq DESC LIMIT 1"),
          first(db, path, "stats", "SELECT seq FROM events ORDER BY seq LIMIT 1"),
          last(db, path, "stats", "SELECT seq, ts_ms FROM events ORDER BY seq DESC LIMIT 1"),
          last_assigned(db, path, "stats", "SELECT seq FROM sqlite_sequence WHERE name = 'events'"),
          dropped(db, path, "stats", "SELECT value FROM counters WHERE name = 'dropped_total'"),
          version(db, path, "stats", "SELECT value FROM meta WHERE key = 'schema_version'"),
          space(db, path, "stats",
                "SELECT page_count, freelist_count, page_size "
                "FROM pragma_page_count(), pragma_freelist_count(), pragma_page_size()"),
          alerts(db, path, "read alert state",
                 "SELECT rule, device, point, severity, since_ms, announced_ms, peak "
                 "FROM alert_state ORDER BY rule, device, point") {}

    // Unbound filter parameters are NULL and select everything. The scan goes by seq (the
    // rowid) within [?1, ?2], not by an index on ts: the output is in seq order, and an index
    // on ts would cost every append of the gateway. Device and point are matched on the topic
    // where it carries them (readings, alerts, command results) and on the body of device
    // events and audit records; names cannot contain GLOB's special characters.
    static constexpr const char* matching_sql = R"sql(
SELECT seq, kind, retain, ts_ms, topic, body, lane FROM events
WHERE seq > ?1 AND seq <= ?2
  AND (?3 IS NULL OR ts_ms >= ?3) AND (?4 IS NULL OR ts_ms < ?4)
  AND (?5 IS NULL OR kind = ?5)
  AND (?6 IS NULL OR CASE kind
        WHEN 0 THEN topic GLOB 'data/' || ?6 || '/*'
        WHEN 1 THEN topic GLOB 'alerts/*/' || ?6 || '/*'
        ELSE topic GLOB 'cmd/' || ?6 || '/*/result'
          OR (topic IN ('events', 'audit') AND json_valid(body)
              AND json_extract(body, '$.device') = ?6)
      END)
  AND (?7 IS NULL OR CASE kind
        WHEN 0 THEN topic GLOB 'data/*/' || ?7
        WHEN 1 THEN topic GLOB 'alerts/*/*/' || ?7
        ELSE topic GLOB 'cmd/*/' || ?7 || '/result'
          OR (topic = 'audit' AND json_valid(body) AND json_extract(body, '$.point') = ?7)
      END)
ORDER BY seq LIMIT ?8
)sql";
    static_assert(static_cast<int>(event_kind::reading) == 0 &&
                  static_cast<int>(event_kind::alert) == 1);

    statement begin, end, read_after, matching, cursor;
    statement lane_rows, lane_after, lane_first_after, lane_last, first, last, last_assigned,
        dropped, version, space, alerts;
};

namespace {

// A read-only connection on a WAL journal needs the -wal and -shm files. With the gateway
// stopped they are gone, and a user who may not write the folder (`edgegate status` as another
// user) cannot create them; SQLite then refuses with one of these.
bool cannot_create_wal_index(int code) {
    return (code & 0xff) == SQLITE_CANTOPEN || code == SQLITE_READONLY_DIRECTORY ||
           code == SQLITE_READONLY_CANTINIT;
}

bool file_exists(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
}

std::string file_uri(const std::string& path) {
    std::string uri = "file:";
    for (const unsigned char c : path) {
        if (std::isalnum(c) || c == '/' || c == '.' || c == '-' || c == '_' || c == '~') {
            uri += static_cast<char>(c);
        } else {
            char hex[4];
            std::snprintf(hex, sizeof hex, "%%%02X", c);
            uri += hex;
        }
    }
    return uri;
}

// The first column of a statement that yields one row or none; nullopt for none or NULL.
std::optional<std::int64_t> single(statement& s, std::optional<std::int64_t> bind_lane = {},
                                   std::optional<std::int64_t> bind_seq = {}) {
    query q(s);
    if (bind_lane) q.bind(1, *bind_lane);
    if (bind_seq) q.bind(2, *bind_seq);
    if (!q.step() || q.is_null(0)) return std::nullopt;
    return q.int64(0);
}

// A row of `SELECT seq, kind, retain, ts_ms, topic, body[, lane]`.
stored_event row_event(const query& q, lane l, const std::string& path) {
    const std::int64_t kind = q.int64(1);
    if (kind < 0 || kind > static_cast<std::int64_t>(event_kind::status)) {
        throw_error(path, "damaged journal: event " + std::to_string(q.int64(0)) +
                              " has unknown kind " + std::to_string(kind));
    }
    stored_event se;
    se.seq = q.int64(0);
    se.ev.kind = static_cast<event_kind>(kind);
    se.ev.lane = l;
    se.ev.retain = q.int64(2) != 0;
    se.ev.ts = from_unix_ms(q.int64(3));
    se.ev.topic = q.text(4);
    se.ev.body = q.text(5);
    return se;
}

}  // namespace

// Without a -wal file the gateway is stopped and the database file alone is complete, so
// reading it as immutable (no WAL, no locks, no files created) is exact. With a -wal present
// that would miss committed events, so only a normal connection will do then.
journal_reader::journal_reader(const std::string& path) : path_(path) {
    if (inspect_file(path_) == file_state::missing) throw_error(path_, "no such file");
    // A read-only connection to a WAL database creates -wal and -shm beside it and cannot
    // remove them; a file that is not a journal is refused before that can happen.
    if (!file_exists(path_ + "-wal")) open(true);
    try {
        open(false);
    } catch (const journal_error& e) {
        if (!cannot_create_wal_index(e.sqlite_code()) || file_exists(path_ + "-wal")) throw;
        open(true);
    }
}

journal_reader::~journal_reader() { close(); }

void journal_reader::close() {
    stmts_.reset();
    sqlite3_close_v2(db_);
    db_ = nullptr;
}

void journal_reader::open(bool immutable) {
    close();
    db_ = immutable ? open_connection(path_, file_uri(path_) + "?immutable=1",
                                      SQLITE_OPEN_READONLY | SQLITE_OPEN_URI)
                    : open_connection(path_, path_, SQLITE_OPEN_READONLY);
    try {
        const int version = probe_schema(db_, path_);
        if (version == 0) throw_error(path_, "not an edgegate journal: an empty database");
        if (version != latest_schema_version()) {
            throw_error(path_, "schema version " + std::to_string(version) +
                                   " needs migrating; start the gateway on it once");
        }
        stmts_ = std::make_unique<statements>(db_, path_);
    } catch (...) {
        close();
        throw;
    }
}

std::vector<stored_event> journal_reader::read_after(lane l, std::int64_t after, int limit,
                                                     std::int64_t through) {
    std::vector<stored_event> out;
    if (limit <= 0) return out;
    // A limit is a most, not a guess: a forwarder at the head of the journal asks for thousands
    // and gets a few.
    out.reserve(static_cast<std::size_t>(std::min(limit, 1024)));
    query q(stmts_->read_after);
    q.bind(1, static_cast<std::int64_t>(l)).bind(2, after).bind(3, std::int64_t{limit});
    q.bind(4, through);
    while (q.step()) out.push_back(row_event(q, l, path_));
    return out;
}

std::int64_t journal_reader::last_assigned_seq() {
    return single(stmts_->last_assigned).value_or(0);
}

std::vector<stored_event> journal_reader::read_matching(const event_filter& f, std::int64_t after,
                                                        std::int64_t through, int limit) {
    std::vector<stored_event> out;
    query q(stmts_->matching);
    q.bind(1, after).bind(2, through).bind(8, std::int64_t{limit});
    if (f.since) q.bind(3, to_unix_ms(*f.since));
    if (f.until) q.bind(4, to_unix_ms(*f.until));
    if (f.kind) q.bind(5, static_cast<std::int64_t>(*f.kind));
    if (f.device) q.bind(6, std::string_view(*f.device));
    if (f.point) q.bind(7, std::string_view(*f.point));
    while (q.step()) {
        const std::int64_t l = q.int64(6);
        if (l < 0 || l >= lane_count) {
            throw_error(path_, "damaged journal: event " + std::to_string(q.int64(0)) +
                                   " has unknown lane " + std::to_string(l));
        }
        out.push_back(row_event(q, static_cast<lane>(l), path_));
    }
    return out;
}

std::int64_t journal_reader::cursor(const std::string& consumer, lane l) {
    query q(stmts_->cursor);
    q.bind(1, std::string_view(consumer)).bind(2, static_cast<std::int64_t>(l));
    return q.step() ? q.int64(0) : 0;
}

journal_reader::stats journal_reader::read_stats() {
    stats st;
    // One read transaction, so the figures agree with each other while the writer goes on.
    query(stmts_->begin).run();
    try {
        for (int i = 0; i < lane_count; ++i) {
            lane_stats& ls = st.lanes[i];
            const auto l = static_cast<lane>(i);
            ls.cursor = cursor(forwarder_cursor, l);
            ls.events = single(stmts_->lane_rows, i).value_or(0);
            ls.undelivered = single(stmts_->lane_after, i, ls.cursor).value_or(0);
            ls.last_seq = single(stmts_->lane_last, i).value_or(0);
            if (const auto ts = single(stmts_->lane_first_after, i, ls.cursor)) {
                ls.oldest_undelivered = from_unix_ms(*ts);
            }
        }
        st.first_seq = single(stmts_->first).value_or(0);
        st.last_seq = single(stmts_->last_assigned).value_or(0);
        {
            query q(stmts_->last);
            if (q.step()) st.last_event = from_unix_ms(q.int64(1));
        }
        st.dropped_total = single(stmts_->dropped).value_or(0);
        st.schema_version = static_cast<int>(single(stmts_->version).value_or(0));
        {
            query q(stmts_->space);
            if (q.step()) {
                st.bytes_used = static_cast<std::uint64_t>(q.int64(0) - q.int64(1)) *
                                static_cast<std::uint64_t>(q.int64(2));
            }
        }
        query(stmts_->end).run();
    } catch (...) {
        sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
        throw;
    }
    struct stat fst {};
    if (::stat(path_.c_str(), &fst) == 0) st.file_bytes = static_cast<std::uint64_t>(fst.st_size);
    return st;
}

std::vector<active_alert> journal_reader::active_alerts() { return alert_rows(stmts_->alerts); }

std::string journal_reader::integrity_check() {
    statement s(db_, path_, "integrity check", "PRAGMA integrity_check");
    query q(s);
    std::string result;
    while (q.step()) {
        if (!result.empty()) result += '\n';
        result += q.text(0);
    }
    return result;
}

}  // namespace edgegate
