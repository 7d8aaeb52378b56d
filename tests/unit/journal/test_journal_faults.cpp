// Faults: a process that dies without closing the journal, and a full disk.

#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "journal_fixture.hpp"
#include "sync_probe_vfs.hpp"

namespace edgegate {
namespace {

using test::append_batch;
using test::options;
using test::temp_dir;

std::int64_t stored(journal_reader& r, lane l) {
    return static_cast<std::int64_t>(r.read_after(l, 0, 1'000'000).size());
}

TEST_CASE("committed events survive a process that exits without closing the journal") {
    temp_dir dir;
    const std::string path = dir.file("journal.db");
    const pid_t pid = test::fork_child();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        int status = 0;
        try {
            auto* w = new journal_writer(options(path));  // never closed, on purpose
            append_batch(*w, lane::normal, 100);
            w->save_cursor(forwarder_cursor, lane::normal, 40);
            w->begin();
            for (int i = 0; i < 50; ++i) w->append(test::make_event(lane::normal, "data/dev/p"));
        } catch (const std::exception&) {
            status = 1;
        }
        ::_exit(status);
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 0);

    journal_reader r(path);  // the first to open recovers the WAL, even a reader
    CHECK(stored(r, lane::normal) == 100);
    CHECK(r.cursor(forwarder_cursor, lane::normal) == 40);
    journal_writer w(options(path));
    CHECK(w.committed_seq() == 100);
    CHECK(r.integrity_check() == "ok");
}

TEST_CASE("committed events survive SIGKILL in the middle of writing") {
    temp_dir dir;
    const std::string path = dir.file("journal.db");
    int report[2];
    REQUIRE(::pipe(report) == 0);
    const pid_t pid = test::fork_child();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::close(report[0]);
        try {
            journal_writer w(options(path));
            while (true) {
                const std::int64_t seq = append_batch(w, lane::normal, 10);
                if (::write(report[1], &seq, sizeof seq) != sizeof seq) ::_exit(2);
            }
        } catch (const std::exception&) {
            ::_exit(1);
        }
    }
    ::close(report[1]);
    // Kill it after a few commits; whatever it reported committed must be there.
    std::int64_t acknowledged = 0;
    for (int commits = 0; commits < 30; ++commits) {
        REQUIRE(::read(report[0], &acknowledged, sizeof acknowledged) == sizeof acknowledged);
    }
    REQUIRE(::kill(pid, SIGKILL) == 0);
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    CHECK(WIFSIGNALED(status));
    std::int64_t seq = 0;
    while (::read(report[0], &seq, sizeof seq) == sizeof seq) acknowledged = seq;
    ::close(report[0]);

    journal_writer w(options(path));
    CHECK(w.committed_seq() >= acknowledged);
    journal_reader r(path);
    const auto events = r.read_after(lane::normal, 0, 1'000'000);
    REQUIRE(static_cast<std::int64_t>(events.size()) >= acknowledged);
    for (std::size_t i = 0; i < events.size(); ++i) {
        CHECK(events[i].seq == static_cast<std::int64_t>(i) + 1);
    }
    CHECK(events.size() % 10 == 0);  // whole transactions only
    CHECK(r.integrity_check() == "ok");
}

// A full disk, simulated by a VFS that refuses every write growing a file while `full` is set
// (overwrites inside a file go through, as on a real full disk).
class full_disk_vfs {
  public:
    full_disk_vfs() {
        real_ = sqlite3_vfs_find(nullptr);
        vfs_ = *real_;
        vfs_.zName = "edgegate-test-full-disk";
        vfs_.szOsFile = static_cast<int>(sizeof(file)) + real_->szOsFile;
        vfs_.pNext = nullptr;
        vfs_.xOpen = &open;
        REQUIRE(sqlite3_vfs_register(&vfs_, 1) == SQLITE_OK);
    }
    ~full_disk_vfs() {
        full = false;
        sqlite3_vfs_register(real_, 1);
        sqlite3_vfs_unregister(&vfs_);
    }
    full_disk_vfs(const full_disk_vfs&) = delete;
    full_disk_vfs& operator=(const full_disk_vfs&) = delete;

    static inline bool full = false;

  private:
    struct file {
        sqlite3_file base;
        sqlite3_file* real;
    };
    static sqlite3_file* in(sqlite3_file* f) { return reinterpret_cast<file*>(f)->real; }
    static const sqlite3_io_methods* m(sqlite3_file* f) { return in(f)->pMethods; }

    static int open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* f, int flags, int* out) {
        auto* shim = reinterpret_cast<file*>(f);
        shim->real = reinterpret_cast<sqlite3_file*>(shim + 1);
        const int rc = real_->xOpen(real_, name, shim->real, flags, out);
        shim->base.pMethods = shim->real->pMethods ? &io_ : nullptr;
        return rc;
    }
    static int write(sqlite3_file* f, const void* data, int amount, sqlite3_int64 offset) {
        sqlite3_int64 size = 0;
        if (full && m(f)->xFileSize(in(f), &size) == SQLITE_OK && offset + amount > size) {
            return SQLITE_FULL;
        }
        return m(f)->xWrite(in(f), data, amount, offset);
    }

    static inline sqlite3_vfs* real_ = nullptr;
    static inline sqlite3_vfs vfs_{};
    static inline const sqlite3_io_methods io_ = {
        3,
        [](sqlite3_file* f) { return m(f)->xClose(in(f)); },
        [](sqlite3_file* f, void* d, int n, sqlite3_int64 o) {
            return m(f)->xRead(in(f), d, n, o);
        },
        &write,
        [](sqlite3_file* f, sqlite3_int64 size) { return m(f)->xTruncate(in(f), size); },
        [](sqlite3_file* f, int flags) { return m(f)->xSync(in(f), flags); },
        [](sqlite3_file* f, sqlite3_int64* size) { return m(f)->xFileSize(in(f), size); },
        [](sqlite3_file* f, int lock) { return m(f)->xLock(in(f), lock); },
        [](sqlite3_file* f, int lock) { return m(f)->xUnlock(in(f), lock); },
        [](sqlite3_file* f, int* out) { return m(f)->xCheckReservedLock(in(f), out); },
        [](sqlite3_file* f, int op, void* arg) { return m(f)->xFileControl(in(f), op, arg); },
        [](sqlite3_file* f) { return m(f)->xSectorSize(in(f)); },
        [](sqlite3_file* f) { return m(f)->xDeviceCharacteristics(in(f)); },
        [](sqlite3_file* f, int page, int size, int extend, void volatile** out) {
            return m(f)->xShmMap(in(f), page, size, extend, out);
        },
        [](sqlite3_file* f, int offset, int n, int flags) {
            return m(f)->xShmLock(in(f), offset, n, flags);
        },
        [](sqlite3_file* f) { m(f)->xShmBarrier(in(f)); },
        [](sqlite3_file* f, int del) { return m(f)->xShmUnmap(in(f), del); },
        [](sqlite3_file* f, sqlite3_int64 o, int n, void** out) {
            return m(f)->xFetch(in(f), o, n, out);
        },
        [](sqlite3_file* f, sqlite3_int64 o, void* p) { return m(f)->xUnfetch(in(f), o, p); },
    };
};

// What a refused write does to the transaction and the writer. How the journal then makes room
// on a real full disk is in test_journal_disk_full.cpp: this simulated disk refuses growth even
// where a real one has room (the released reserve), so it only tells about transactions.
TEST_CASE("a full disk fails the whole transaction and keeps the writer usable") {
    full_disk_vfs disk;
    temp_dir dir;
    const std::string path = dir.file("journal.db");
    const std::string body = "{\"pad\":\"" + std::string(1000, 'x') + "\"}";
    journal_writer w(options(path));
    journal_reader r(path);
    const std::int64_t last = append_batch(w, lane::normal, 100, body);

    full_disk_vfs::full = true;
    bool failed = false;
    try {
        append_batch(w, lane::normal, 1000, body);
    } catch (const journal_error& e) {
        failed = true;
        CHECK(e.disk_full());
        CHECK_MESSAGE(std::string(e.what()).find(path) != std::string::npos, e.what());
    }
    REQUIRE(failed);
    CHECK(w.committed_seq() == last);
    CHECK(stored(r, lane::normal) == 100);
    CHECK_THROWS_AS(append_batch(w, lane::normal, 1000, body), journal_error);

    full_disk_vfs::full = false;
    CHECK(append_batch(w, lane::normal, 20, body) == last + 20);  // the failed seqs are reused
    CHECK(stored(r, lane::normal) == 120);
    CHECK(r.integrity_check() == "ok");
}

TEST_CASE(
    "durability at the disk: fsyncs of the -wal per commit with full, per sync() with normal") {
    temp_dir dir;
    const std::string path = dir.file("journal.db");
    test::sync_probe_vfs disk;
    // The first commit of a run starts a new -wal, whose header SQLite syncs in any mode.
    {
        journal_writer w(options(path));
        append_batch(w, lane::normal, 1);
        const int before = disk.wal_syncs;
        for (int i = 0; i < 5; ++i) append_batch(w, lane::normal, 1);
        CHECK(disk.wal_syncs == before + 5);
        CHECK(w.durable_seq() == 6);
    }
    auto normal = options(path);
    normal.durability_full = false;
    journal_writer w(normal);
    append_batch(w, lane::normal, 1);
    w.sync();
    const int before = disk.wal_syncs;
    for (int i = 0; i < 5; ++i) append_batch(w, lane::normal, 1);
    CHECK(disk.wal_syncs == before);  // committed, not on the disk yet
    CHECK(w.durable_seq() == 7);
    w.sync();
    CHECK(disk.wal_syncs == before + 1);
    CHECK(w.durable_seq() == 12);
}

TEST_CASE("a failed fsync of the -wal: nothing more is durable until a checkpoint wrote it") {
    temp_dir dir;
    const std::string path = dir.file("journal.db");
    test::sync_probe_vfs disk;
    auto normal = options(path);
    normal.durability_full = false;
    journal_writer w(normal);
    int announced = 0;
    w.on_durable([&] { ++announced; });
    append_batch(w, lane::normal, 5);

    disk.fail_next = 1;
    CHECK_THROWS_AS(w.sync(), journal_error);
    CHECK(w.durable_seq() == 0);
    CHECK(announced == 0);
    // Linux may have dropped the pages that failed: an fsync that succeeds now proves nothing,
    // so the next sync() checkpoints, which writes the commits again into the database file
    // and fsyncs that.
    append_batch(w, lane::normal, 2);
    const int db_syncs = disk.db_syncs;
    w.sync();
    CHECK(disk.db_syncs > db_syncs);
    CHECK(w.durable_seq() == 7);
    CHECK(announced == 1);
    journal_reader r(path);
    CHECK(r.read_after(lane::normal, 0, 100).size() == 7);
    // Back to plain fsyncs of the -wal.
    append_batch(w, lane::normal, 1);
    const int after_checkpoint = disk.wal_syncs;
    const int db_syncs_after = disk.db_syncs;
    w.sync();
    CHECK(disk.wal_syncs == after_checkpoint + 1);
    CHECK(disk.db_syncs == db_syncs_after);
    CHECK(w.durable_seq() == 8);
}

}  // namespace
}  // namespace edgegate
