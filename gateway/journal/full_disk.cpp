// A full disk: the reserve, the disk budget and the checkpoints that let retention's
// drop policy work on a disk that has no room left (JOURNAL.md, "Full disk").

#include <spdlog/spdlog.h>

#include <algorithm>
#include <string>

#include "gateway/journal/journal.hpp"
#include "gateway/journal/reserve_file.hpp"
#include "gateway/journal/sqlite.hpp"
#include "gateway/journal/writer_statements.hpp"

namespace edgegate {

using namespace journal_detail;

namespace {

// The reserve: a sixteenth of max_bytes within these bounds, and at most a quarter of what the
// disk had free (with the reserve) when the journal opened, so a small disk still holds events.
constexpr std::uint64_t reserve_min = 128u << 10;
constexpr std::uint64_t reserve_max = 8u << 20;
constexpr std::uint64_t reserve_share_of_max_bytes = 16;
constexpr std::uint64_t reserve_share_of_free = 4;
// SQLite's default auto-checkpoint (1000 pages) is the most the -wal is allowed between two
// checkpoints; the fewest keeps checkpoints from running after every commit.
constexpr std::uint64_t checkpoint_pages_max = 1000;
constexpr std::uint64_t checkpoint_pages_min = 16;
// Room kept beside the journal's files for the -shm, file-system metadata and a transaction
// slightly larger than the others.
constexpr std::uint64_t disk_margin = 64u << 10;
// A checkpoint after a full disk waits this long for readers on older snapshots (the forwarder's
// reads are short) instead of the usual busy timeout: the pipeline is waiting.
constexpr int checkpoint_all_busy_ms = 250;

}  // namespace

// Sizes the reserve and, from it, the -wal: a checkpoint that follows a full disk must write
// into the database file every page added since the previous one, which is at most what the
// -wal holds, and only the released reserve has room for it. So the -wal is checkpointed by the
// time it holds half the reserve.
void journal_writer::open_reserve() {
    page_size_ = static_cast<std::uint64_t>(query_int(db_, opts_.path, "PRAGMA page_size", 4096));
    reserve_ = std::make_unique<reserve_file>(opts_.path + "-reserve");
    const std::uint64_t held = reserve_->size();
    const std::uint64_t wanted =
        opts_.max_bytes > 0
            ? std::clamp(opts_.max_bytes / reserve_share_of_max_bytes, reserve_min, reserve_max)
            : reserve_max;
    const std::uint64_t fits = (disk_free(opts_.path) + held) / reserve_share_of_free;
    reserve_bytes_ = std::max(std::min(wanted, std::max(held, fits)), reserve_min);
    reserve_bytes_ = reserve_bytes_ / page_size_ * page_size_;

    const std::uint64_t checkpoint_pages =
        std::clamp(reserve_bytes_ / page_size_ / 2, checkpoint_pages_min, checkpoint_pages_max);
    // The -wal reaches the checkpoint size plus the commit that crossed it.
    wal_allowance_ = 2 * checkpoint_pages * page_size_;
    exec(("PRAGMA wal_autocheckpoint = " + std::to_string(checkpoint_pages)).c_str());
    // After a checkpoint let the -wal start over, a -wal that a long read held back from
    // checkpoints is cut back to its allowance.
    exec(("PRAGMA journal_size_limit = " + std::to_string(wal_allowance_)).c_str());

    if (!reserve_->resize(reserve_bytes_)) {
        disk_limited_ = true;
        spdlog::warn(
            "journal {}: no room on the disk for its {} reserve ({} held); the journal keeps to "
            "what the disk holds",
            opts_.path, format_size(reserve_bytes_), format_size(reserve_->size()));
    }
}

// SQLITE_FULL: either the disk refused a write, or the journal's own page cap (disk_room()) was
// reached, which leaves the disk with free space. But a disk that refuses a second time before
// anything could be committed does not have the free space it reports (root's blocks, a file
// system that needs room to overwrite): from then on only space beyond that counts.
void journal_writer::note_disk_full() {
    room_wanted_ = true;
    const bool again = refused_since_commit_;
    refused_since_commit_ = true;
    const std::uint64_t free = disk_free(opts_.path);
    if (disk_limited_ && !again && free >= free_at_full_ + disk_margin) return;
    free_at_full_ = free;
    if (!disk_limited_) {
        spdlog::warn("journal {}: disk full; from now on the journal keeps to what the disk holds",
                     opts_.path);
    }
    disk_limited_ = true;
    if (reserve_->size() > 0) {
        const std::uint64_t held = reserve_->size();
        reserve_->release();
        spdlog::warn("journal {}: disk full; released its {} reserve to checkpoint and make room",
                     opts_.path, format_size(held));
    } else {
        spdlog::warn("journal {}: disk full, and no reserve left to release", opts_.path);
    }
}

// What the database may take of the disk: its file and the free space, less what the reserve
// lacks, what the -wal may still grow by, and a margin; but never less than the pages it has,
// since deleting rows frees pages inside the file, not space on the disk. The reserve is taken
// back first when the disk has room for it. The page count is capped at the result, so between
// two retention passes the database cannot outgrow the disk: reaching the cap fails the
// transaction like a full disk (SQLITE_FULL), retention makes room, and no checkpoint ever has to
// grow the file into space the disk does not have.
std::uint64_t journal_writer::disk_room() {
    const auto free = [&] {
        const std::uint64_t f = disk_free(opts_.path);
        return f > free_at_full_ ? f - free_at_full_ : 0;
    };
    const std::uint64_t wal = file_bytes(opts_.path + "-wal");
    const std::uint64_t wal_growth = wal_allowance_ > wal ? wal_allowance_ - wal : 0;
    if (reserve_->size() < reserve_bytes_ &&
        free() >= reserve_bytes_ - reserve_->size() + wal_growth + disk_margin &&
        reserve_->resize(reserve_bytes_)) {
        spdlog::info("journal {}: the disk has room again; its {} reserve is back", opts_.path,
                     format_size(reserve_bytes_));
    }
    const std::uint64_t missing = reserve_bytes_ - std::min(reserve_->size(), reserve_bytes_);
    const std::uint64_t have = file_bytes(opts_.path) + free();
    const std::uint64_t keep = missing + wal_growth + disk_margin;
    const std::uint64_t room = have > keep ? have - keep : 0;

    const auto pages_now =
        static_cast<std::uint64_t>(query_int(db_, opts_.path, "PRAGMA page_count", 0));
    const std::uint64_t cap = std::max(room / page_size_, pages_now);
    exec(("PRAGMA max_page_count = " + std::to_string(cap)).c_str());
    return cap * page_size_;
}

// The page cap at disk_room() is hard: a commit that reaches it fails. So retention keeps twice
// what arrived since its previous pass below it (but no less than half of it), and commits reach
// the cap only when the rate jumps. Called once per retention pass.
std::uint64_t journal_writer::disk_limit() {
    const std::uint64_t room = disk_room();
    const std::uint64_t used = bytes_used();
    const std::uint64_t arrived =
        used_last_pass_ > 0 && used > used_last_pass_ ? used - used_last_pass_ : 0;
    return std::max(room / 2, room - std::min(room, 2 * arrived));
}

// Checkpoints the whole -wal into the database file, so that the next transaction writes the
// -wal from its start again: into space the -wal already has, which on a full disk nobody else
// can take meanwhile (what it holds beyond its allowance goes back with that transaction, by
// journal_size_limit). Fails (false) when the database file cannot grow by the pages the -wal
// added, or when a reader keeps an older snapshot; the -wal then stays as it is.
bool journal_writer::checkpoint_all() {
    sqlite3_busy_timeout(db_, checkpoint_all_busy_ms);
    const int rc =
        sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_RESTART, nullptr, nullptr);
    sqlite3_busy_timeout(db_, busy_timeout_ms);
    if (rc == SQLITE_OK) return true;
    spdlog::warn("journal {}: cannot checkpoint the -wal yet: {}", opts_.path, sqlite3_errmsg(db_));
    return false;
}

}  // namespace edgegate
