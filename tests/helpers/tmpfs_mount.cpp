#include "tests/helpers/tmpfs_mount.hpp"

#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace edgegate::test {

std::unique_ptr<tmpfs_mount> tmpfs_mount::try_mount(const std::string& dir, std::size_t bytes,
                                                    std::string& why) {
    if (geteuid() != 0) {
        why = "not root: mounting a tmpfs needs CAP_SYS_ADMIN";
        return nullptr;
    }
    const std::string options = "size=" + std::to_string(bytes) + ",mode=0755";
    if (mount("tmpfs", dir.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, options.c_str()) != 0) {
        why = "mount -t tmpfs on " + dir + " failed: " + std::strerror(errno);
        return nullptr;
    }
    return std::unique_ptr<tmpfs_mount>(new tmpfs_mount(dir));
}

tmpfs_mount::~tmpfs_mount() { umount2(dir_.c_str(), MNT_DETACH); }

std::size_t tmpfs_mount::free_bytes() const {
    struct statvfs st {};
    if (statvfs(dir_.c_str(), &st) != 0) return 0;
    return static_cast<std::size_t>(st.f_bavail) * st.f_frsize;
}

}  // namespace edgegate::test
