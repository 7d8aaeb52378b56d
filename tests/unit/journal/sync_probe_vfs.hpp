#pragma once

// A disk that cannot fail here, faked at SQLite's real interface: a VFS that passes every call
// to the default one, counts the fsyncs of database and -wal files, and fails the next
// `fail_next` fsyncs of a -wal (SQLITE_IOERR_FSYNC), as a dying SD card would. Installed as the
// default VFS while a `sync_probe_vfs` lives, so a journal_writer opened meanwhile uses it. One at
// a time.

#include <doctest/doctest.h>
#include <sqlite3.h>

#include <cstddef>

namespace edgegate::test {

class sync_probe_vfs {
  public:
    sync_probe_vfs() {
        base_ = sqlite3_vfs_find(nullptr);
        REQUIRE(base_ != nullptr);
        vfs_ = *base_;
        vfs_.zName = "edgegate-sync-probe";
        vfs_.szOsFile = static_cast<int>(sizeof(probe_file)) + base_->szOsFile;
        vfs_.pAppData = this;
        vfs_.xOpen = open;
        REQUIRE(sqlite3_vfs_register(&vfs_, 1) == SQLITE_OK);
        current() = this;
    }
    ~sync_probe_vfs() {
        sqlite3_vfs_unregister(&vfs_);
        sqlite3_vfs_register(base_, 1);
        current() = nullptr;
    }
    sync_probe_vfs(const sync_probe_vfs&) = delete;
    sync_probe_vfs& operator=(const sync_probe_vfs&) = delete;

    int wal_syncs = 0;  // fsyncs of a -wal asked for, failed ones included
    int db_syncs = 0;   // fsyncs of a database file (a checkpoint's, for one)
    int fail_next = 0;  // the next this many -wal fsyncs fail

  private:
    struct probe_file {
        sqlite3_file header;  // pMethods: &methods_ (or null when the real open failed)
        sqlite3_file* real;   // the default VFS's file, right after this struct
        bool wal;
        bool db;
    };

    static sync_probe_vfs*& current() {
        static sync_probe_vfs* probe = nullptr;
        return probe;
    }
    static sqlite3_file* real(sqlite3_file* f) { return reinterpret_cast<probe_file*>(f)->real; }

    static int open(sqlite3_vfs* vfs, const char* name, sqlite3_file* f, int flags, int* out) {
        auto* self = static_cast<sync_probe_vfs*>(vfs->pAppData);
        auto* pf = reinterpret_cast<probe_file*>(f);
        pf->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(f) + sizeof(probe_file));
        pf->wal = (flags & SQLITE_OPEN_WAL) != 0;
        pf->db = (flags & SQLITE_OPEN_MAIN_DB) != 0;
        const int rc = self->base_->xOpen(self->base_, name, pf->real, flags, out);
        pf->header.pMethods = pf->real->pMethods != nullptr ? &methods_ : nullptr;
        return rc;
    }

    static int close(sqlite3_file* f) { return real(f)->pMethods->xClose(real(f)); }
    static int read(sqlite3_file* f, void* b, int n, sqlite3_int64 o) {
        return real(f)->pMethods->xRead(real(f), b, n, o);
    }
    static int write(sqlite3_file* f, const void* b, int n, sqlite3_int64 o) {
        return real(f)->pMethods->xWrite(real(f), b, n, o);
    }
    static int truncate(sqlite3_file* f, sqlite3_int64 size) {
        return real(f)->pMethods->xTruncate(real(f), size);
    }
    static int sync(sqlite3_file* f, int flags) {
        if (reinterpret_cast<probe_file*>(f)->db && current() != nullptr) ++current()->db_syncs;
        if (reinterpret_cast<probe_file*>(f)->wal && current() != nullptr) {
            ++current()->wal_syncs;
            if (current()->fail_next > 0) {
                --current()->fail_next;
                return SQLITE_IOERR_FSYNC;
            }
        }
        return real(f)->pMethods->xSync(real(f), flags);
    }
    static int file_size(sqlite3_file* f, sqlite3_int64* size) {
        return real(f)->pMethods->xFileSize(real(f), size);
    }
    static int lock(sqlite3_file* f, int l) { return real(f)->pMethods->xLock(real(f), l); }
    static int unlock(sqlite3_file* f, int l) { return real(f)->pMethods->xUnlock(real(f), l); }
    static int check_reserved(sqlite3_file* f, int* out) {
        return real(f)->pMethods->xCheckReservedLock(real(f), out);
    }
    static int file_control(sqlite3_file* f, int op, void* arg) {
        return real(f)->pMethods->xFileControl(real(f), op, arg);
    }
    static int sector_size(sqlite3_file* f) { return real(f)->pMethods->xSectorSize(real(f)); }
    static int device_characteristics(sqlite3_file* f) {
        return real(f)->pMethods->xDeviceCharacteristics(real(f));
    }
    static int shm_map(sqlite3_file* f, int page, int size, int extend, void volatile** out) {
        return real(f)->pMethods->xShmMap(real(f), page, size, extend, out);
    }
    static int shm_lock(sqlite3_file* f, int offset, int n, int flags) {
        return real(f)->pMethods->xShmLock(real(f), offset, n, flags);
    }
    static void shm_barrier(sqlite3_file* f) { real(f)->pMethods->xShmBarrier(real(f)); }
    static int shm_unmap(sqlite3_file* f, int remove) {
        return real(f)->pMethods->xShmUnmap(real(f), remove);
    }
    static int fetch(sqlite3_file* f, sqlite3_int64 o, int n, void** out) {
        return real(f)->pMethods->xFetch(real(f), o, n, out);
    }
    static int unfetch(sqlite3_file* f, sqlite3_int64 o, void* p) {
        return real(f)->pMethods->xUnfetch(real(f), o, p);
    }

    // Version 3, as the unix VFS's: the WAL needs the shared-memory methods.
    static inline const sqlite3_io_methods methods_ = {3,
                                                       close,
                                                       read,
                                                       write,
                                                       truncate,
                                                       sync,
                                                       file_size,
                                                       lock,
                                                       unlock,
                                                       check_reserved,
                                                       file_control,
                                                       sector_size,
                                                       device_characteristics,
                                                       shm_map,
                                                       shm_lock,
                                                       shm_barrier,
                                                       shm_unmap,
                                                       fetch,
                                                       unfetch};

    sqlite3_vfs* base_ = nullptr;
    sqlite3_vfs vfs_{};
};

}  // namespace edgegate::test
