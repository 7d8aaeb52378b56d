#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/core/alert.hpp"
#include "gateway/core/event.hpp"
#include "gateway/core/units.hpp"

struct sqlite3;

namespace edgegate {

namespace journal_detail {
class reserve_file;
}

struct journal_options {
    std::string path;
    bool durability_full = true;                    // synchronous=FULL, else NORMAL + sync()
    std::uint64_t max_bytes = 256ull << 20;         // 0: no size limit
    duration max_age = std::chrono::hours(24 * 7);  // 0: no age limit
};

// Raised for anything the journal cannot do: a foreign or corrupt file, I/O errors. The
// message names the file. Errors that come from SQLite carry its extended result code, so the
// caller can tell a full disk (worth retrying after retention made room) from the rest.
class journal_error : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
    journal_error(const std::string& what, int sqlite_code)
        : std::runtime_error(what), sqlite_code_(sqlite_code) {}

    // SQLite's extended result code; 0 when the error did not come from SQLite.
    int sqlite_code() const noexcept { return sqlite_code_; }
    bool disk_full() const noexcept { return (sqlite_code_ & 0xff) == sqlite_full_; }

  private:
    static constexpr int sqlite_full_ = 13;  // SQLITE_FULL, without sqlite3.h in every user
    int sqlite_code_ = 0;
};

// The name of the forwarder's consumer cursor.
inline constexpr const char* forwarder_cursor = "mqtt";

// Acknowledgements travel from a consumer (the forwarder, on Paho's threads) to the writer
// thread through this mailbox rather than through a second writer connection: the consumer
// posts the highest contiguous delivered seq per lane, the writer persists it with its next
// commit. The consumer also posts the highest seq it has handed to the broker on its current
// connection (its delivered seq when nothing is on the way): retention removes the rows on
// their way last. The consumer holds transit() from reading rows to publish until it has posted
// them sent, retention while it removes undelivered rows, so that no row is removed as
// undelivered after the consumer has read it. Any thread; only transit() ever blocks.
class ack_mailbox {
  public:
    void post(lane l, std::int64_t seq) { acked_[static_cast<int>(l)].store(seq); }
    std::int64_t get(lane l) const { return acked_[static_cast<int>(l)].load(); }
    void post_sent(lane l, std::int64_t seq) { sent_[static_cast<int>(l)].store(seq); }
    std::int64_t sent(lane l) const { return sent_[static_cast<int>(l)].load(); }
    std::mutex& transit() const { return transit_; }

  private:
    std::array<std::atomic<std::int64_t>, lane_count> acked_{};
    std::array<std::atomic<std::int64_t>, lane_count> sent_{};
    mutable std::mutex transit_;
};

// The SQLite journal's writer side: the single writer connection, owned by one thread (the
// pipeline thread while running; main before and after it). See JOURNAL.md for guarantees.
// Every method may block on disk I/O (an fsync per commit with durability full, per sync() with
// normal).
class journal_writer {
  public:
    // Opens or creates the journal. Checks application_id and schema version without scanning
    // the file; a foreign or corrupt file throws journal_error naming it and is never written.
    // Migrates older schema versions. The folder must exist.
    explicit journal_writer(journal_options opts);
    // Closes the connection; a transaction still open is rolled back.
    ~journal_writer();
    journal_writer(const journal_writer&) = delete;
    journal_writer& operator=(const journal_writer&) = delete;

    // Group commit: begin(), append() any number of times, commit(). With durability full,
    // commit() makes the events durable; with normal they are durable after the next sync().
    // Writer thread only.
    // A journal_error from any call inside the transaction (append, save_cursor, commit) rolls
    // the whole transaction back: none of its events is stored and its seqs are handed out
    // again. The writer is usable again right away; retrying the batch is the caller's call.
    void begin();
    std::int64_t append(const event& ev);  // returns the event's seq
    void commit();

    // Persists the consumer cursor for `lane` (all rows of that lane with seq <= `seq` are
    // delivered). Inside begin()/commit() it is part of that transaction; outside, it commits
    // on its own. A cursor never moves backwards: a lower `seq` than the stored one is ignored,
    // so a mailbox that still reads 0 after a restart cannot rewind delivery.
    void save_cursor(const std::string& consumer, lane l, std::int64_t seq);

    // Alert state (table alert_state): the rules engine's active alerts. save_alert() inserts or
    // replaces the row of (rule, device, point); remove_alert() deletes it. Both belong inside
    // begin()/commit(), in the transaction of the alert events they go with, so that the state
    // and the events are stored together or not at all. Retention never removes these rows.
    void save_alert(const active_alert& a);
    void remove_alert(std::string_view rule, std::string_view device, std::string_view point);
    // Every saved active alert, ordered by key. Outside a transaction; at start-up.
    std::vector<active_alert> load_alerts();

    // Applies max_bytes / max_age: removes delivered rows first, then the oldest undelivered
    // readings, alerts last. Returns how many *undelivered* events were removed (the caller
    // announces them with a status event). Writer thread, outside a transaction. Cheap when
    // there is nothing to do (a few index lookups), so calling it about once a second is fine.
    // Once the disk has been full it also keeps the journal to what the disk holds, empties the
    // -wal after a failure and takes the reserve back when there is room (JOURNAL.md, "Full
    // disk"); call it after every disk_full() error before retrying. It throws journal_error
    // too, e.g. when the disk is too full even for the deletions.
    // `consumer`, the forwarder's mailbox: what it acknowledged counts as delivered even before
    // the cursor is saved, and the undelivered rows it has on their way go last.
    std::int64_t enforce_retention(timestamp now, const ack_mailbox* consumer = nullptr);

    // The highest seq committed so far (0 for a new journal). It only grows: retention removing
    // rows does not lower it, and a reopened journal continues after it. Any thread.
    std::int64_t committed_seq() const { return committed_seq_.load(std::memory_order_acquire); }

    // The highest seq that survives a power loss: committed_seq() after every commit with
    // durability full; with normal, what the last sync() covered. Opening the journal syncs it,
    // so everything committed before the open counts. Consumers that publish (the forwarder)
    // stop here, so that a power loss cannot take back an event the world has already seen,
    // nor hand its seq to another event. Any thread.
    std::int64_t durable_seq() const { return durable_seq_.load(std::memory_order_acquire); }

    // Makes every committed transaction survive a power loss (an fsync of the -wal; after a
    // failed one, a checkpoint), then calls the on_durable() callbacks. Does nothing when
    // durable_seq() is already committed_seq(). Writer thread, outside a transaction. Throws
    // journal_error when the disk refuses (or, after a failure, the checkpoint cannot run yet).
    void sync();

    // Callbacks on the writer thread: `on_commit` after every commit(), `on_durable` whenever
    // durable_seq() moved (after every commit() with durability full, after a sync() that made
    // commits durable with normal). Register before the writer starts appending; a callback
    // must neither block nor throw.
    void on_commit(std::function<void()> fn);
    void on_durable(std::function<void()> fn);

    const std::string& path() const { return opts_.path; }

  private:
    void exec(const char* sql);
    void sync_wal();
    void made_durable(std::int64_t seq);
    void abandon_transaction(const journal_error& cause);
    // Full disk (full_disk.cpp, JOURNAL.md "Full disk").
    void open_reserve();
    void note_disk_full();
    std::uint64_t disk_room();
    std::uint64_t disk_limit();
    bool checkpoint_all();
    class relaxed_sync;
    template <typename Fn>
    void in_own_transaction(relaxed_sync& sync, Fn&& fn);
    std::uint64_t bytes_used();
    std::int64_t saved_cursor(const char* consumer, lane l);
    void expire_delivered(relaxed_sync& sync, lane l, std::int64_t delivered,
                          std::int64_t cutoff_ms);
    std::int64_t delete_oldest(relaxed_sync& sync, lane l, std::int64_t after_seq,
                               std::int64_t through_seq, bool undelivered, std::int64_t rows);

    journal_options opts_;
    sqlite3* db_ = nullptr;
    struct statements;
    std::unique_ptr<statements> stmts_;
    bool in_tx_ = false;
    std::int64_t pending_seq_ = 0;  // the last seq appended in the open transaction
    std::unique_ptr<journal_detail::reserve_file> reserve_;
    std::uint64_t reserve_bytes_ = 0;  // the reserve's size when whole
    std::uint64_t wal_allowance_ = 0;  // what the -wal may take between two checkpoints
    std::uint64_t page_size_ = 4096;
    // Set by the first full disk (or a disk without room for the reserve at open): from then on
    // the journal keeps to what the disk holds. free_at_full_ is what statvfs reported free when
    // the disk last refused a write; only space beyond it counts as room.
    bool disk_limited_ = false;
    std::uint64_t free_at_full_ = 0;
    bool refused_since_commit_ = false;  // SQLITE_FULL since the last successful commit
    std::uint64_t used_last_pass_ = 0;   // bytes_used() when the last retention pass ended
    // A write failed for want of room: the next enforce_retention() empties the -wal first.
    bool room_wanted_ = false;
    std::atomic<std::int64_t> committed_seq_{0};
    std::atomic<std::int64_t> durable_seq_{0};
    bool sync_failed_ = false;  // the last sync() failed: the next one checkpoints instead
    std::vector<std::function<void()>> on_commit_;
    std::vector<std::function<void()>> on_durable_;
};

// A selection of stored events for the local history (`edgegate events`, `edgegate replay`).
// Every member that is set must hold; an empty filter selects everything. Which events a device
// or a point matches is in JOURNAL.md, "History".
struct event_filter {
    std::optional<timestamp> since;  // the event's source ts >= since
    std::optional<timestamp> until;  // the event's source ts < until
    std::optional<event_kind> kind;
    std::optional<std::string> device;  // a valid name ([A-Za-z0-9_.-])
    std::optional<std::string> point;   // a valid name
};

class event_selection;

// A reader connection (WAL lets readers run beside the writer). One per thread. Each call is
// its own read transaction, so it sees everything committed before it and never holds the WAL
// back between calls. Calls do not wait for the writer.
class journal_reader {
  public:
    // Opens an existing journal read-only (throws journal_error when it is not one, or when it
    // has a schema version other than the current one: the writer migrates, readers do not).
    explicit journal_reader(const std::string& path);
    ~journal_reader();
    journal_reader(const journal_reader&) = delete;
    journal_reader& operator=(const journal_reader&) = delete;

    // Up to `limit` events of `lane` with `after` < seq <= `through`, in seq order.
    std::vector<stored_event> read_after(
        lane l, std::int64_t after, int limit,
        std::int64_t through = std::numeric_limits<std::int64_t>::max());

    // The persisted cursor of `consumer` in `lane` (0 when never saved).
    std::int64_t cursor(const std::string& consumer, lane l);

    struct lane_stats {
        std::int64_t events = 0;       // rows stored in this lane
        std::int64_t undelivered = 0;  // rows after the forwarder's cursor
        std::int64_t cursor = 0;       // the forwarder's cursor
        std::int64_t last_seq = 0;     // highest seq stored in this lane (0: none)
        std::optional<timestamp> oldest_undelivered;
    };
    // One consistent snapshot. Fast on a large journal: index lookups, and counts over the
    // lane index only.
    struct stats {
        std::array<lane_stats, lane_count> lanes;
        std::int64_t first_seq = 0;      // oldest row still stored (0: none)
        std::int64_t last_seq = 0;       // highest seq ever committed, even if retention removed it
        std::int64_t dropped_total = 0;  // undelivered events ever removed by retention
        std::uint64_t bytes_used = 0;    // pages in use * page size
        std::uint64_t file_bytes = 0;    // the database file, without its -wal
        int schema_version = 0;
        std::optional<timestamp> last_event;  // ts of the newest stored row

        // Both lanes together: events not yet forwarded, and the oldest of them.
        std::int64_t undelivered() const {
            std::int64_t n = 0;
            for (const auto& l : lanes) n += l.undelivered;
            return n;
        }
        std::optional<timestamp> oldest_undelivered() const {
            std::optional<timestamp> oldest;
            for (const auto& l : lanes) {
                if (l.oldest_undelivered && (!oldest || *l.oldest_undelivered < *oldest)) {
                    oldest = l.oldest_undelivered;
                }
            }
            return oldest;
        }
    };
    stats read_stats();

    // The active alerts of table alert_state (what the writer's load_alerts() returns), ordered
    // by key: for `edgegate status`.
    std::vector<active_alert> active_alerts();

    // PRAGMA integrity_check: reads the whole file, so it is for `status --verify`, not for
    // start-up. Returns "ok" or the problems found, one per line.
    std::string integrity_check();

  private:
    friend class event_selection;
    void open(bool immutable);
    void close();
    std::int64_t last_assigned_seq();
    std::vector<stored_event> read_matching(const event_filter& f, std::int64_t after,
                                            std::int64_t through, int limit);

    sqlite3* db_ = nullptr;
    std::string path_;
    struct statements;
    std::unique_ptr<statements> stmts_;
};

// The events of a reader's journal that match a filter, page by page in seq order across both
// lanes (the order they were committed in). It covers what was committed when it was created,
// so a gateway appending thousands of events a second beside it cannot make it endless. Only a
// page is ever in memory, no read transaction is held between calls, and each statement scans a
// bounded seq range, so a selective filter on a million rows never holds the WAL back for long.
// Rows that retention removes before they are reached are skipped. Use it on the reader's
// thread, while the reader lives.
class event_selection {
  public:
    // Throws std::invalid_argument for a device or point that is not a valid name, and
    // journal_error when the journal cannot be read. Blocks on disk I/O (one index lookup).
    event_selection(journal_reader& reader, event_filter filter);

    // The next matching events, at most `limit` of them; empty once the selection is exhausted.
    // Blocks on disk I/O; throws journal_error.
    std::vector<stored_event> next(int limit);

  private:
    journal_reader& reader_;
    event_filter filter_;
    std::int64_t after_ = 0;    // every row up to here was looked at
    std::int64_t through_ = 0;  // the highest seq committed at creation
};

}  // namespace edgegate
