#include "gateway/journal/sqlite.hpp"

#include <sys/stat.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

namespace edgegate::journal_detail {

void throw_error(sqlite3* db, const std::string& path, std::string_view what) {
    std::string msg = "journal " + path + ": ";
    msg += what;
    msg += ": ";
    msg += sqlite3_errmsg(db);
    throw journal_error(msg, sqlite3_extended_errcode(db));
}

void throw_error(const std::string& path, std::string_view what) {
    std::string msg = "journal " + path + ": ";
    msg += what;
    throw journal_error(msg);
}

sqlite3* open_connection(const std::string& path, const std::string& name, int flags) {
    sqlite3* db = nullptr;
    const int rc = sqlite3_open_v2(name.c_str(), &db,
                                   flags | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE, nullptr);
    if (rc != SQLITE_OK) {
        const std::string msg =
            "journal " + path + ": cannot open: " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        sqlite3_close_v2(db);
        throw journal_error(msg, rc);
    }
    sqlite3_busy_timeout(db, busy_timeout_ms);
    return db;
}

void exec(sqlite3* db, const std::string& path, const char* what, const char* sql) {
    if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK) throw_error(db, path, what);
}

statement::statement(sqlite3* db, const std::string& path, const char* what, const char* sql)
    : db_(db), path_(path), what_(what) {
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr) != SQLITE_OK) {
        throw_error(db, path, std::string("prepare ") + what);
    }
}

query& query::bind(int index, std::int64_t value) {
    if (sqlite3_bind_int64(s_.stmt_, index, value) != SQLITE_OK)
        throw_error(s_.db_, s_.path_, s_.what_);
    return *this;
}

query& query::bind(int index, std::string_view value) {
    if (sqlite3_bind_text64(s_.stmt_, index, value.data(), value.size(), SQLITE_STATIC,
                            SQLITE_UTF8) != SQLITE_OK) {
        throw_error(s_.db_, s_.path_, s_.what_);
    }
    return *this;
}

query& query::bind(int index, std::optional<double> value) {
    const int rc =
        value ? sqlite3_bind_double(s_.stmt_, index, *value) : sqlite3_bind_null(s_.stmt_, index);
    if (rc != SQLITE_OK) throw_error(s_.db_, s_.path_, s_.what_);
    return *this;
}

bool query::step() {
    const int rc = sqlite3_step(s_.stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw_error(s_.db_, s_.path_, s_.what_);
}

void query::run() {
    while (step()) {
    }
}

std::string query::text(int column) const {
    const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(s_.stmt_, column));
    return data
               ? std::string(data, static_cast<std::size_t>(sqlite3_column_bytes(s_.stmt_, column)))
               : std::string();
}

std::int64_t query_int(sqlite3* db, const std::string& path, const char* sql,
                       std::int64_t fallback) {
    statement s(db, path, sql, sql);
    query q(s);
    return q.step() && !q.is_null(0) ? q.int64(0) : fallback;
}

file_state inspect_file(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        if (errno == ENOENT) return file_state::missing;
        throw_error(path, std::string("cannot open: ") + std::strerror(errno));
    }
    if (!S_ISREG(st.st_mode)) throw_error(path, "not an edgegate journal: not a regular file");
    if (st.st_size == 0) return file_state::empty;

    std::ifstream in(path, std::ios::binary);
    if (!in) throw_error(path, std::string("cannot open: ") + std::strerror(errno));
    std::array<unsigned char, 100> header{};
    in.read(reinterpret_cast<char*>(header.data()), header.size());
    static constexpr char magic[] = "SQLite format 3";  // with its NUL: 16 bytes
    if (in.gcount() < static_cast<std::streamsize>(header.size()) ||
        std::memcmp(header.data(), magic, sizeof magic) != 0) {
        throw_error(path, "not an edgegate journal: not an SQLite database");
    }
    // A zero id is a new database, or ours with the header still in the WAL: probe_schema()
    // decides once SQLite can read through the WAL.
    const std::uint32_t id = std::uint32_t{header[68]} << 24 | std::uint32_t{header[69]} << 16 |
                             std::uint32_t{header[70]} << 8 | std::uint32_t{header[71]};
    if (id != 0 && id != static_cast<std::uint32_t>(application_id)) {
        char hex[16];
        std::snprintf(hex, sizeof hex, "0x%08x", id);
        throw_error(path, std::string("not an edgegate journal: an SQLite database of another "
                                      "application (application_id ") +
                              hex + ")");
    }
    return file_state::sqlite;
}

}  // namespace edgegate::journal_detail
