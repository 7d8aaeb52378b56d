#pragma once

// Shared by the journal unit tests: a temporary folder with real SQLite files in it, and raw
// SQLite access for setting up files the journal must refuse.

#include <doctest/doctest.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>

#include "gateway/journal/journal.hpp"

namespace edgegate::test {

class temp_dir {
  public:
    temp_dir() {
        char tmpl[] = "/tmp/edgegate-journal-XXXXXX";
        const char* made = ::mkdtemp(tmpl);
        REQUIRE(made != nullptr);
        path_ = made;
    }
    ~temp_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;

    const std::filesystem::path& path() const { return path_; }
    std::string file(const std::string& name) const { return (path_ / name).string(); }

  private:
    std::filesystem::path path_;
};

// fork() with nothing buffered: a child that logs would otherwise flush the parent's pending
// output a second time. The child must leave with _exit().
inline pid_t fork_child() {
    std::cout.flush();
    std::cerr.flush();
    std::fflush(nullptr);
    return ::fork();
}

inline journal_options options(const std::string& path) {
    journal_options o;
    o.path = path;
    return o;
}

inline event make_event(lane l, std::string topic, std::string body = R"({"value":1})",
                        timestamp ts = wall_clock::now()) {
    event ev;
    ev.kind = l == lane::high ? event_kind::alert : event_kind::reading;
    ev.lane = l;
    ev.retain = l == lane::high;
    ev.ts = std::chrono::time_point_cast<std::chrono::milliseconds>(ts);
    ev.topic = std::move(topic);
    ev.body = std::move(body);
    return ev;
}

// Appends `n` events to `l` in one transaction; returns the seq of the last.
inline std::int64_t append_batch(journal_writer& w, lane l, int n,
                                 const std::string& body = R"({"value":1})",
                                 timestamp ts = wall_clock::now()) {
    std::int64_t seq = 0;
    w.begin();
    for (int i = 0; i < n; ++i) seq = w.append(make_event(l, "data/dev/p", body, ts));
    w.commit();
    return seq;
}

inline std::string read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void write_bytes(const std::string& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

// Runs SQL on its own connection, outside the journal's API.
inline void raw_exec(const std::string& path, const std::string& sql) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    char* err = nullptr;
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
    const std::string msg = err ? err : "";
    sqlite3_free(err);
    sqlite3_close(db);
    REQUIRE_MESSAGE(rc == SQLITE_OK, msg);
}

// The first column of the first row of `sql`, as text ("" when there is no row).
inline std::string raw_text(const std::string& path, const std::string& sql) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK);
    std::string value;
    if (sqlite3_step(st) == SQLITE_ROW) {
        value = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return value;
}

inline std::int64_t raw_int(const std::string& path, const std::string& sql) {
    return std::stoll(raw_text(path, sql));
}

}  // namespace edgegate::test
