#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "gateway/core/event.hpp"
#include "gateway/core/units.hpp"

struct sqlite3;

namespace edgegate {

struct journal_options {
    std::string path;
    bool durability_full = true;  // synchronous=FULL, else NORMAL
    std::uint64_t max_bytes = 256ull << 20;
    duration max_age = std::chrono::hours(24 * 7);
};

// Raised for anything the journal cannot do: a foreign or corrupt file, I/O errors. The
// message names the file.
class journal_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// The name of the forwarder's consumer cursor.
inline constexpr const char* forwarder_cursor = "mqtt";

// Acknowledgements travel from a consumer (the forwarder, on Paho's threads) to the writer
// thread through this mailbox rather than through a second writer connection: the consumer
// posts the highest contiguous delivered seq per lane, the writer persists it with its next
// commit. Lock-free; any thread.
class ack_mailbox {
public:
    void post(lane l, std::int64_t seq) { acked_[static_cast<int>(l)].store(seq); }
    std::int64_t get(lane l) const { return acked_[static_cast<int>(l)].load(); }

private:
    std::array<std::atomic<std::int64_t>, lane_count> acked_{};
};

// The SQLite journal's writer side: the single writer connection, owned by one thread (the
// pipeline thread while running; main before and after it). See JOURNAL.md for guarantees.
class journal_writer {
public:
    // Opens or creates the journal. Checks application_id and schema version without scanning
    // the file; a foreign or corrupt file throws journal_error naming it and is never written.
    // Migrates older schema versions.
    explicit journal_writer(journal_options opts);
    ~journal_writer();
    journal_writer(const journal_writer&) = delete;
    journal_writer& operator=(const journal_writer&) = delete;

    // Group commit: begin(), append() any number of times, commit(). commit() makes the
    // events durable (per `durability`) and then notifies subscribers. Writer thread only.
    void begin();
    std::int64_t append(const event& ev);  // returns the event's seq
    void commit();

    // Persists the consumer cursor for `lane` (all rows of that lane with seq <= `seq` are
    // delivered). Must be called inside begin()/commit() or it opens its own transaction.
    void save_cursor(const std::string& consumer, lane l, std::int64_t seq);

    // Applies max_bytes / max_age: removes delivered rows first, then the oldest undelivered
    // readings, alerts last. Returns how many *undelivered* events were removed (the caller
    // announces them with a status event). Writer thread, outside a transaction.
    std::int64_t enforce_retention(timestamp now);

    // The last committed seq (0 when empty). Any thread.
    std::int64_t committed_seq() const { return committed_seq_.load(); }

    // `fn` is called on the writer thread after every commit. Register before the writer
    // starts appending; the callback must not block.
    void on_commit(std::function<void()> fn);

    const std::string& path() const { return opts_.path; }

private:
    void exec(const char* sql);

    journal_options opts_;
    sqlite3* db_ = nullptr;
    struct statements;
    std::unique_ptr<statements> stmts_;
    bool in_tx_ = false;
    std::atomic<std::int64_t> committed_seq_{0};
    std::vector<std::function<void()>> on_commit_;
};

// A reader connection (WAL lets readers run beside the writer). One per thread.
class journal_reader {
public:
    // Opens an existing journal read-only (throws journal_error when it is not one).
    explicit journal_reader(const std::string& path);
    ~journal_reader();
    journal_reader(const journal_reader&) = delete;
    journal_reader& operator=(const journal_reader&) = delete;

    // Up to `limit` events of `lane` with seq > `after`, in seq order.
    std::vector<stored_event> read_after(lane l, std::int64_t after, int limit);

    // The persisted cursor of `consumer` in `lane` (0 when never saved).
    std::int64_t cursor(const std::string& consumer, lane l);

    struct lane_stats {
        std::int64_t events = 0;       // rows stored in this lane
        std::int64_t undelivered = 0;  // rows after the forwarder's cursor
        std::int64_t cursor = 0;
        std::int64_t last_seq = 0;
        std::optional<timestamp> oldest_undelivered;
    };
    struct stats {
        std::array<lane_stats, lane_count> lanes;
        std::int64_t first_seq = 0;
        std::int64_t last_seq = 0;
        std::int64_t dropped_total = 0;  // undelivered events ever removed by retention
        std::uint64_t bytes_used = 0;    // pages in use * page size
        std::uint64_t file_bytes = 0;
        int schema_version = 0;
        std::optional<timestamp> last_event;
    };
    stats read_stats();

    // PRAGMA integrity_check; returns "ok" or the problems found.
    std::string integrity_check();

private:
    sqlite3* db_ = nullptr;
    std::string path_;
};

}  // namespace edgegate
