#pragma once

#include <cstddef>
#include <memory>
#include <string>

namespace edgegate::test {

// A tmpfs of a fixed size mounted on an existing, empty directory (root only): a real disk that
// fills up, for ENOSPC tests. Unmounted (lazily, so a process still holding a file cannot keep
// it) in the destructor, on every path out of a test. Test thread only.
class tmpfs_mount {
  public:
    // Mounts, or returns nullptr and says why (not root, mount refused) in `why`, for a test
    // to report itself skipped.
    static std::unique_ptr<tmpfs_mount> try_mount(const std::string& dir, std::size_t bytes,
                                                  std::string& why);
    ~tmpfs_mount();
    tmpfs_mount(const tmpfs_mount&) = delete;
    tmpfs_mount& operator=(const tmpfs_mount&) = delete;

    const std::string& path() const { return dir_; }
    // Free bytes for an unprivileged writer (statvfs f_bavail).
    std::size_t free_bytes() const;

  private:
    explicit tmpfs_mount(std::string dir) : dir_(std::move(dir)) {}
    std::string dir_;
};

}  // namespace edgegate::test
