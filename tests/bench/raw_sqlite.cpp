#include "tests/bench/raw_sqlite.hpp"

#include <sqlite3.h>

#include <chrono>
#include <stdexcept>

#include "tests/bench/bench.hpp"

namespace edgegate::bench {
namespace {

// A connection closed on every path out, including the exceptions below.
class connection {
  public:
    connection(const std::string& path, int flags) {
        if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
            const std::string msg = sqlite3_errmsg(db_);
            sqlite3_close_v2(db_);
            throw std::runtime_error("raw SQLite: open " + path + ": " + msg);
        }
    }
    ~connection() { sqlite3_close_v2(db_); }
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;

    sqlite3* get() const { return db_; }
    void check(int rc, const char* what) const {
        if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
            throw std::runtime_error(std::string("raw SQLite: ") + what + ": " +
                                     sqlite3_errmsg(db_));
        }
    }
    void exec(const std::string& sql) const {
        check(sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr), sql.c_str());
    }

  private:
    sqlite3* db_ = nullptr;
};

class prepared {
  public:
    prepared(const connection& c, const char* sql) : c_(c) {
        c_.check(sqlite3_prepare_v3(c.get(), sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr),
                 sql);
    }
    ~prepared() { sqlite3_finalize(stmt_); }
    prepared(const prepared&) = delete;
    prepared& operator=(const prepared&) = delete;

    sqlite3_stmt* get() const { return stmt_; }
    void run(const char* what) {
        c_.check(sqlite3_step(stmt_), what);
        sqlite3_reset(stmt_);
    }

  private:
    const connection& c_;
    sqlite3_stmt* stmt_ = nullptr;
};

// The journal's tables and indexes, as its migrations created them, so the raw rows carry the
// same primary key, AUTOINCREMENT bookkeeping and (lane, seq) index as the journal's.
std::vector<std::string> journal_schema(const std::string& path) {
    connection src(path, SQLITE_OPEN_READONLY);
    prepared q(src,
               "SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' "
               "ORDER BY type = 'index', rowid");
    std::vector<std::string> out;
    while (sqlite3_step(q.get()) == SQLITE_ROW) {
        out.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(q.get(), 0)));
    }
    if (out.empty()) throw std::runtime_error("raw SQLite: no schema in " + path);
    return out;
}

}  // namespace

double raw_sqlite_insert(const std::string& schema_from, const std::string& raw_path, bool full,
                         const std::vector<event>& events, int batch) {
    const auto schema = journal_schema(schema_from);
    connection db(raw_path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    db.exec("PRAGMA journal_mode = WAL");
    db.exec(full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
    for (const auto& sql : schema) db.exec(sql);

    prepared begin(db, "BEGIN IMMEDIATE");
    prepared commit(db, "COMMIT");
    prepared insert(db,
                    "INSERT INTO events(lane, kind, retain, ts_ms, topic, body) "
                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    sqlite3_stmt* ins = insert.get();

    const auto t0 = std::chrono::steady_clock::now();
    std::size_t in_tx = 0;
    for (const auto& ev : events) {
        if (in_tx == 0) begin.run("begin");
        sqlite3_bind_int64(ins, 1, static_cast<sqlite3_int64>(ev.lane));
        sqlite3_bind_int64(ins, 2, static_cast<sqlite3_int64>(ev.kind));
        sqlite3_bind_int64(ins, 3, ev.retain ? 1 : 0);
        sqlite3_bind_int64(ins, 4, to_unix_ms(ev.ts));
        sqlite3_bind_text(ins, 5, ev.topic.data(), static_cast<int>(ev.topic.size()),
                          SQLITE_STATIC);
        sqlite3_bind_text(ins, 6, ev.body.data(), static_cast<int>(ev.body.size()), SQLITE_STATIC);
        insert.run("insert");
        if (++in_tx == static_cast<std::size_t>(batch)) {
            commit.run("commit");
            in_tx = 0;
        }
    }
    if (in_tx > 0) commit.run("commit");
    return seconds_between(t0, std::chrono::steady_clock::now());
}

}  // namespace edgegate::bench
