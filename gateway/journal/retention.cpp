// Retention: the journal stays under max_bytes and drops delivered history older than max_age.
// Order and reasons are in JOURNAL.md.

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <limits>
#include <optional>
#include <stdexcept>
#include <utility>

#include "gateway/journal/journal.hpp"
#include "gateway/journal/sqlite.hpp"
#include "gateway/journal/writer_statements.hpp"

namespace edgegate {

using namespace journal_detail;

namespace {

// Rows per DELETE: each batch is its own short transaction, so a big clean-up neither grows
// the WAL by the whole amount nor holds one huge transaction.
constexpr std::int64_t batch_rows = 500;
// After a full disk, while the -wal cannot be emptied, it can only be rewritten within the size
// it has: smaller batches, each after a checkpoint so that the -wal starts over instead of
// growing.
constexpr std::int64_t full_disk_batch_rows = 50;

// Retention runs once the journal is over its limit and then frees down to this share of it,
// so that it does not run again after every commit.
constexpr std::uint64_t target_percent = 90;

constexpr std::int64_t no_limit = std::numeric_limits<std::int64_t>::max();
constexpr std::uint64_t no_byte_limit = std::numeric_limits<std::uint64_t>::max();

constexpr std::array<lane, lane_count> undelivered_order = {lane::normal, lane::high};

}  // namespace

// Retention's deletions need no fsync of their own: the WAL is written in order, so its next
// fsync (an event commit's, or sync()) makes them durable too, and a power loss before it only
// brings rows back (with their drop count, which changes in the same transaction). With durability
// full that saves an fsync per batch. Switched on by the first deletion, back off on leaving.
class journal_writer::relaxed_sync {
  public:
    explicit relaxed_sync(journal_writer& w) : w_(w) {}
    ~relaxed_sync() {
        if (engaged_) sqlite3_exec(w_.db_, "PRAGMA synchronous = FULL", nullptr, nullptr, nullptr);
    }
    relaxed_sync(const relaxed_sync&) = delete;
    relaxed_sync& operator=(const relaxed_sync&) = delete;

    void engage() {
        if (engaged_ || !w_.opts_.durability_full) return;
        w_.exec("PRAGMA synchronous = NORMAL");
        engaged_ = true;
    }

  private:
    journal_writer& w_;
    bool engaged_ = false;
};

template <typename Fn>
void journal_writer::in_own_transaction(relaxed_sync& sync, Fn&& fn) {
    sync.engage();
    query(stmts_->begin).run();
    try {
        fn();
        query(stmts_->commit).run();
    } catch (const journal_error& e) {
        if (!sqlite3_get_autocommit(db_)) {
            sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
        }
        if (e.disk_full()) note_disk_full();
        throw;
    }
}

std::uint64_t journal_writer::bytes_used() {
    query q(stmts_->space);
    if (!q.step()) return 0;
    return static_cast<std::uint64_t>(q.int64(0) - q.int64(1)) *
           static_cast<std::uint64_t>(q.int64(2));
}

std::int64_t journal_writer::saved_cursor(const char* consumer, lane l) {
    query q(stmts_->load_cursor);
    q.bind(1, std::string_view(consumer)).bind(2, static_cast<std::int64_t>(l));
    return q.step() ? q.int64(0) : 0;
}

// Removes the delivered rows at the head of the lane that are older than the cutoff. Stops at
// the first younger row: timestamps come from the sources and may step back, and looking past
// it would mean scanning the whole delivered history on every call.
void journal_writer::expire_delivered(relaxed_sync& sync, lane l, std::int64_t delivered,
                                      std::int64_t cutoff_ms) {
    while (true) {
        std::int64_t last_old = 0;
        std::int64_t seen = 0;
        bool reached_young = false;
        {
            query q(stmts_->lane_run);
            q.bind(1, static_cast<std::int64_t>(l)).bind(2, delivered).bind(3, batch_rows);
            while (q.step()) {
                ++seen;
                if (q.int64(1) >= cutoff_ms) {
                    reached_young = true;
                    break;
                }
                last_old = q.int64(0);
            }
        }
        if (last_old > 0) {
            in_own_transaction(sync, [&] {
                query(stmts_->delete_through)
                    .bind(1, static_cast<std::int64_t>(l))
                    .bind(2, last_old)
                    .run();
            });
        }
        if (reached_young || seen < batch_rows) return;
    }
}

std::int64_t journal_writer::delete_oldest(relaxed_sync& sync, lane l, std::int64_t after_seq,
                                           std::int64_t through_seq, bool undelivered,
                                           std::int64_t rows) {
    std::int64_t removed = 0;
    in_own_transaction(sync, [&] {
        query(stmts_->delete_oldest)
            .bind(1, static_cast<std::int64_t>(l))
            .bind(2, through_seq)
            .bind(3, rows)
            .bind(4, after_seq)
            .run();
        removed = sqlite3_changes64(db_);
        if (undelivered && removed > 0) query(stmts_->add_dropped).bind(1, removed).run();
    });
    return removed;
}

std::int64_t journal_writer::enforce_retention(timestamp now, const ack_mailbox* consumer) {
    if (in_tx_) throw std::logic_error("journal_writer::enforce_retention inside a transaction");

    // Stays set until a pass succeeds: a pass that fails on the full disk is tried again.
    const bool making_room = room_wanted_;
    // The -wal holds the commits since the last checkpoint and, on a full disk, most of the
    // space the journal has: checkpointed, it takes the deletions below into that space.
    const bool wal_stuck = making_room && !checkpoint_all();

    // Acknowledged is delivered, saved or not.
    std::array<std::int64_t, lane_count> delivered{};
    for (int i = 0; i < lane_count; ++i) {
        const auto l = static_cast<lane>(i);
        delivered[i] = saved_cursor(forwarder_cursor, l);
        if (consumer) delivered[i] = std::max(delivered[i], consumer->get(l));
    }

    relaxed_sync sync(*this);
    if (opts_.max_age.count() > 0) {
        const std::int64_t cutoff_ms = to_unix_ms(now) - opts_.max_age.count();
        for (int i = 0; i < lane_count; ++i) {
            expire_delivered(sync, static_cast<lane>(i), delivered[i], cutoff_ms);
        }
    }

    std::uint64_t limit = opts_.max_bytes > 0 ? opts_.max_bytes : no_byte_limit;
    if (disk_limited_) limit = std::min(limit, disk_limit());
    if (limit == no_byte_limit) return 0;
    if (const std::uint64_t used = bytes_used(); !making_room && used <= limit) {
        used_last_pass_ = used;
        return 0;
    }
    const std::uint64_t target = limit / 100 * target_percent;
    const std::int64_t rows = wal_stuck ? full_disk_batch_rows : batch_rows;
    // On a full disk every removal gets the -wal's room back first.
    const auto unstick = [&] {
        if (wal_stuck) {
            sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
        }
    };

    // 1. Delivered rows, oldest first across the lanes.
    std::int64_t history_removed = 0;
    while (bytes_used() > target) {
        std::optional<lane> oldest;
        std::int64_t oldest_seq = no_limit;
        for (int i = 0; i < lane_count; ++i) {
            query q(stmts_->lane_head);
            q.bind(1, std::int64_t{i});
            if (q.step() && q.int64(0) <= delivered[i] && q.int64(0) < oldest_seq) {
                oldest = static_cast<lane>(i);
                oldest_seq = q.int64(0);
            }
        }
        if (!oldest) break;
        unstick();
        history_removed +=
            delete_oldest(sync, *oldest, 0, delivered[static_cast<int>(*oldest)], false, rows);
    }

    // 2. Undelivered readings, oldest first; 3. then the high lane (alerts, status events). All
    // delivered rows are gone by now, so every row removed here is a dropped event. In each
    // lane the rows on their way to the broker go last: they are about to be delivered, and
    // one removed now may still arrive. The consumer goes on meanwhile, so what it acknowledged
    // and what it has on its way are asked again before each removal (and what it acknowledged
    // meanwhile is delivered history, not dropped).
    std::int64_t dropped = 0;
    for (const lane l : undelivered_order) {
        const auto i = static_cast<int>(l);
        for (const bool on_their_way : {false, true}) {
            while (bytes_used() > target) {
                unstick();
                std::unique_lock<std::mutex> turn;
                if (consumer) turn = std::unique_lock(consumer->transit());
                if (const std::int64_t acked = consumer ? consumer->get(l) : 0;
                    acked > delivered[i]) {
                    const std::int64_t removed = delete_oldest(sync, l, 0, acked, false, rows);
                    history_removed += removed;
                    if (removed < rows) delivered[i] = acked;
                    continue;
                }
                const std::int64_t after = on_their_way || !consumer ? 0 : consumer->sent(l);
                const std::int64_t removed = delete_oldest(sync, l, after, no_limit, true, rows);
                if (removed == 0) break;
                dropped += removed;
            }
        }
    }
    if (making_room) {
        // The caller's retry, too, starts the -wal over.
        checkpoint_all();
        room_wanted_ = false;
    }
    used_last_pass_ = bytes_used();

    if (history_removed > 0) {
        spdlog::debug("journal {}: retention removed {} delivered rows", opts_.path,
                      history_removed);
    }
    if (dropped > 0) {
        spdlog::warn("journal {}: full ({} limit); dropped {} undelivered events", opts_.path,
                     format_size(limit), dropped);
    }
    return dropped;
}

}  // namespace edgegate
