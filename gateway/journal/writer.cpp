#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <stdexcept>

#include "gateway/journal/journal.hpp"
#include "gateway/journal/reserve_file.hpp"
#include "gateway/journal/sqlite.hpp"
#include "gateway/journal/writer_statements.hpp"

namespace edgegate {

using namespace journal_detail;

namespace {

// SQLite's own error for a missing folder is "unable to open database file"; say which.
void check_folder(const std::string& path) {
    const std::filesystem::path folder = std::filesystem::path(path).parent_path();
    std::error_code ec;
    if (!folder.empty() && !std::filesystem::is_directory(folder, ec)) {
        throw_error(path, "folder " + folder.string() + " does not exist");
    }
}

}  // namespace

journal_writer::journal_writer(journal_options opts) : opts_(std::move(opts)) {
    check_folder(opts_.path);
    inspect_file(opts_.path);
    db_ = open_connection(opts_.path, opts_.path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    try {
        const int version = probe_schema(db_, opts_.path);
        // Only now that the file is known to be ours (or new) is anything written to it.
        {
            statement wal(db_, opts_.path, "enable WAL", "PRAGMA journal_mode = WAL");
            query q(wal);
            if (!q.step() || q.text(0) != "wal") throw_error(opts_.path, "cannot enable WAL mode");
        }
        exec(opts_.durability_full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
        // Debian builds SQLite with SECURE_DELETE, which zeroes and writes out every page that
        // retention frees: twice the I/O and flash wear, and on a full disk retention could not
        // make room at all. FAST still clears deleted content inside pages written anyway.
        exec("PRAGMA secure_delete = FAST");
        if (version < latest_schema_version()) {
            migrate(db_, opts_.path, version);
            if (version == 0) {
                spdlog::info("journal {}: created", opts_.path);
            } else {
                spdlog::info("journal {}: migrated from schema version {} to {}", opts_.path,
                             version, latest_schema_version());
            }
        }
        stmts_ = std::make_unique<statements>(db_, opts_.path);
        committed_seq_.store(
            query_int(db_, opts_.path, "SELECT seq FROM sqlite_sequence WHERE name = 'events'", 0));
        // A previous run with durability normal may have left commits that only the page cache
        // holds (it was killed, or the setting changed): on disk before anything is published.
        sync_wal();
        durable_seq_.store(committed_seq_.load(), std::memory_order_release);
        open_reserve();
    } catch (...) {
        stmts_.reset();
        sqlite3_close_v2(db_);
        throw;
    }
}

journal_writer::~journal_writer() {
    if (in_tx_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    stmts_.reset();
    // The last connection to close checkpoints the WAL into the file and removes it.
    sqlite3_close_v2(db_);
}

void journal_writer::exec(const char* sql) { journal_detail::exec(db_, opts_.path, sql, sql); }

void journal_writer::begin() {
    if (in_tx_) throw std::logic_error("journal_writer::begin: a transaction is already open");
    try {
        query(stmts_->begin).run();
    } catch (const journal_error& e) {
        abandon_transaction(e);
        throw;
    }
    in_tx_ = true;
}

std::int64_t journal_writer::append(const event& ev) {
    if (!in_tx_) throw std::logic_error("journal_writer::append outside begin()/commit()");
    try {
        query(stmts_->insert)
            .bind(1, static_cast<std::int64_t>(ev.lane))
            .bind(2, static_cast<std::int64_t>(ev.kind))
            .bind(3, std::int64_t{ev.retain ? 1 : 0})
            .bind(4, to_unix_ms(ev.ts))
            .bind(5, std::string_view(ev.topic))
            .bind(6, std::string_view(ev.body))
            .run();
    } catch (const journal_error& e) {
        abandon_transaction(e);
        throw;
    }
    pending_seq_ = sqlite3_last_insert_rowid(db_);
    return pending_seq_;
}

void journal_writer::commit() {
    if (!in_tx_) throw std::logic_error("journal_writer::commit without begin()");
    try {
        query(stmts_->commit).run();
    } catch (const journal_error& e) {
        abandon_transaction(e);
        throw;
    }
    in_tx_ = false;
    refused_since_commit_ = false;
    if (pending_seq_ > 0) committed_seq_.store(pending_seq_, std::memory_order_release);
    pending_seq_ = 0;
    for (const auto& fn : on_commit_) fn();
    if (opts_.durability_full) made_durable(committed_seq());
}

void journal_writer::sync() {
    if (in_tx_) throw std::logic_error("journal_writer::sync inside a transaction");
    const std::int64_t committed = committed_seq();
    if (durable_seq() >= committed) return;
    if (sync_failed_) {
        // After a failed fsync Linux may have marked the pages clean without writing them, so a
        // later fsync that succeeds proves nothing. A checkpoint writes the commits again, into
        // the database file, and fsyncs that.
        if (!checkpoint_all()) throw_error(opts_.path, "after a failed sync, no checkpoint yet");
        sync_failed_ = false;
    } else {
        try {
            sync_wal();
        } catch (const journal_error&) {
            sync_failed_ = true;
            throw;
        }
    }
    made_durable(committed);
}

// In WAL mode a commit only appends to the -wal; synchronous=FULL fsyncs it at every commit,
// NORMAL only at checkpoints. One fsync of it makes every commit before it durable.
void journal_writer::sync_wal() {
    sqlite3_file* wal = nullptr;
    if (sqlite3_file_control(db_, "main", SQLITE_FCNTL_JOURNAL_POINTER, &wal) != SQLITE_OK ||
        wal == nullptr || wal->pMethods == nullptr) {
        throw_error(opts_.path, "cannot find the -wal file to sync");
    }
    const int rc = wal->pMethods->xSync(wal, SQLITE_SYNC_NORMAL);
    if (rc != SQLITE_OK) {
        throw journal_error(
            "journal " + opts_.path + ": cannot sync the -wal file: " + sqlite3_errstr(rc), rc);
    }
}

void journal_writer::made_durable(std::int64_t seq) {
    durable_seq_.store(seq, std::memory_order_release);
    for (const auto& fn : on_durable_) fn();
}

void journal_writer::save_cursor(const std::string& consumer, lane l, std::int64_t seq) {
    try {
        query(stmts_->save_cursor)
            .bind(1, std::string_view(consumer))
            .bind(2, static_cast<std::int64_t>(l))
            .bind(3, seq)
            .run();
    } catch (const journal_error& e) {
        if (in_tx_) abandon_transaction(e);
        throw;
    }
}

void journal_writer::on_commit(std::function<void()> fn) { on_commit_.push_back(std::move(fn)); }

void journal_writer::on_durable(std::function<void()> fn) { on_durable_.push_back(std::move(fn)); }

// After SQLITE_FULL or an I/O error SQLite may or may not have rolled back already; either
// way the whole transaction is gone, which is what the header promises the caller.
void journal_writer::abandon_transaction(const journal_error& cause) {
    in_tx_ = false;
    pending_seq_ = 0;
    if (!sqlite3_get_autocommit(db_)) {
        try {
            query(stmts_->rollback).run();
        } catch (const journal_error& e) {
            spdlog::error("{}", e.what());
        }
    }
    if (cause.disk_full()) note_disk_full();
}

}  // namespace edgegate
