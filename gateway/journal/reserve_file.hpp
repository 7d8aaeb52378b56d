#pragma once

// Internal to gateway/journal: the space the writer holds back on the journal's file system so
// that a full disk never leaves it without room to checkpoint and to delete (JOURNAL.md, "Full
// disk"), and the file-system figures its disk budget is made of.

#include <cstdint>
#include <string>

namespace edgegate::journal_detail {

// `<journal>-reserve`: a file of allocated but unused blocks. Writer thread only; every call
// may block on file-system I/O. Failures are never thrown: without a reserve the journal still
// works, it only loses its insurance against a full disk.
class reserve_file {
  public:
    // Opens or creates the file and reads the size a previous run left it with. It is not
    // resized here: the writer decides how much to hold once it knows the disk's free space.
    explicit reserve_file(std::string path);
    ~reserve_file();
    reserve_file(const reserve_file&) = delete;
    reserve_file& operator=(const reserve_file&) = delete;

    // Allocates blocks (posix_fallocate) until the file holds `bytes`, or gives back what it
    // holds above them. False when the disk refused: the file keeps the size it had.
    bool resize(std::uint64_t bytes);
    // Gives every block back to the file system (the file stays, empty).
    void release();
    std::uint64_t size() const { return size_; }
    const std::string& path() const { return path_; }

  private:
    std::string path_;
    int fd_ = -1;
    std::uint64_t size_ = 0;
};

// Bytes an unprivileged writer may still allocate on the file system holding `path` (statvfs
// f_bavail, so the blocks reserved for root do not count); 0 when it cannot be read.
std::uint64_t disk_free(const std::string& path);

// The size of the file at `path`; 0 when it does not exist.
std::uint64_t file_bytes(const std::string& path);

}  // namespace edgegate::journal_detail
