#pragma once

// Internal to gateway/journal: thin RAII over the sqlite3 C API and the schema checks shared
// by the writer and the readers.

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/journal/journal.hpp"

namespace edgegate::journal_detail {

// "EDGW": marks the file as an edgegate journal in the SQLite header (offset 68).
inline constexpr std::int32_t application_id = 0x45444757;

// How long a connection waits for a lock held by another connection (WAL recovery, a
// checkpoint, the sqlite3 shell) before the call fails with SQLITE_BUSY.
inline constexpr int busy_timeout_ms = 5000;

// "journal <path>: <what>: <sqlite's message>", with sqlite's extended result code.
[[noreturn]] void throw_error(sqlite3* db, const std::string& path, std::string_view what);
// "journal <path>: <what>", for errors found without SQLite.
[[noreturn]] void throw_error(const std::string& path, std::string_view what);

// Opens a connection (no mutex: each connection stays on one thread) with extended result
// codes and the busy timeout set. `name` is the path, or a file: URI when `flags` allow it.
sqlite3* open_connection(const std::string& path, const std::string& name, int flags);

// Runs SQL without results (several statements allowed); `what` names it in errors.
void exec(sqlite3* db, const std::string& path, const char* what, const char* sql);

// A statement prepared once and reused; `what` names it in error messages.
class statement {
  public:
    statement(sqlite3* db, const std::string& path, const char* what, const char* sql);
    ~statement() { sqlite3_finalize(stmt_); }
    statement(const statement&) = delete;
    statement& operator=(const statement&) = delete;

  private:
    friend class query;
    sqlite3* db_;
    const std::string& path_;
    const char* what_;
    sqlite3_stmt* stmt_ = nullptr;
};

// One execution of a statement. Resets it on scope exit, so a statement never keeps a read
// snapshot open (which would pin the WAL) once its caller is done with it. Text is bound
// without a copy: it must outlive the query.
class query {
  public:
    explicit query(statement& s) : s_(s) {}
    ~query() {
        sqlite3_reset(s_.stmt_);
        sqlite3_clear_bindings(s_.stmt_);
    }
    query(const query&) = delete;
    query& operator=(const query&) = delete;

    query& bind(int index, std::int64_t value);
    query& bind(int index, std::string_view value);
    // A real, or NULL when empty.
    query& bind(int index, std::optional<double> value);
    // True while there is a row to read; throws journal_error on failure.
    bool step();
    // Steps to completion (for statements without results).
    void run();

    std::int64_t int64(int column) const { return sqlite3_column_int64(s_.stmt_, column); }
    double real(int column) const { return sqlite3_column_double(s_.stmt_, column); }
    bool is_null(int column) const { return sqlite3_column_type(s_.stmt_, column) == SQLITE_NULL; }
    std::string text(int column) const;

  private:
    statement& s_;
};

// Every row of a statement selecting rule, device, point, severity, since_ms, announced_ms, peak
// of alert_state: the writer's load_alerts() and the reader's active_alerts().
std::vector<active_alert> alert_rows(statement& s);

// The first integer of the first row of `sql` (a one-off query at open time), or `fallback`.
std::int64_t query_int(sqlite3* db, const std::string& path, const char* sql,
                       std::int64_t fallback);

// What is at `path` before SQLite touches it. Throws for anything that is not an SQLite file
// or carries another application's id, reading only the 100-byte header.
enum class file_state { missing, empty, sqlite };
file_state inspect_file(const std::string& path);

// The schema version of the journal open on `db`: 0 for a new, empty database. Reads only the
// header and the schema/meta rows. Throws journal_error naming the file for a foreign SQLite
// database, a damaged header, or a version newer than this build knows.
int probe_schema(sqlite3* db, const std::string& path);

// Brings the journal from `version` (0: new) to latest_schema_version() in one transaction.
void migrate(sqlite3* db, const std::string& path, int version);
int latest_schema_version();

}  // namespace edgegate::journal_detail
