#include "gateway/journal/reserve_file.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace edgegate::journal_detail {

reserve_file::reserve_file(std::string path) : path_(std::move(path)) {
    fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) {
        spdlog::warn("journal reserve {}: cannot open: {}; a full disk may stall the journal",
                     path_, std::strerror(errno));
        return;
    }
    struct stat st {};
    if (::fstat(fd_, &st) == 0) size_ = static_cast<std::uint64_t>(st.st_size);
}

reserve_file::~reserve_file() {
    if (fd_ >= 0) ::close(fd_);
}

bool reserve_file::resize(std::uint64_t bytes) {
    if (fd_ < 0) return false;
    if (bytes <= size_) {
        if (bytes < size_ && ::ftruncate(fd_, static_cast<off_t>(bytes)) == 0) size_ = bytes;
        return size_ == bytes;
    }
    const int err = ::posix_fallocate(fd_, 0, static_cast<off_t>(bytes));
    if (err == 0) {
        size_ = bytes;
        return true;
    }
    // A refused allocation may have taken blocks past the old end of the file: give them back.
    if (::ftruncate(fd_, static_cast<off_t>(size_)) != 0) {
        spdlog::warn("journal reserve {}: cannot shrink back: {}", path_, std::strerror(errno));
    }
    if (err != ENOSPC) {
        spdlog::warn("journal reserve {}: cannot allocate: {}", path_, std::strerror(err));
    }
    return false;
}

void reserve_file::release() {
    if (fd_ < 0 || size_ == 0) return;
    if (::ftruncate(fd_, 0) == 0) {
        size_ = 0;
    } else {
        spdlog::error("journal reserve {}: cannot release: {}", path_, std::strerror(errno));
    }
}

std::uint64_t disk_free(const std::string& path) {
    std::filesystem::path folder = std::filesystem::path(path).parent_path();
    if (folder.empty()) folder = ".";
    struct statvfs st {};
    if (::statvfs(folder.c_str(), &st) != 0) return 0;
    return static_cast<std::uint64_t>(st.f_bavail) * st.f_frsize;
}

std::uint64_t file_bytes(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
}

}  // namespace edgegate::journal_detail
