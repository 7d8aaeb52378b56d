#include "tests/helpers/temp_dir.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <system_error>
#include <vector>

namespace edgegate::test {

temp_dir::temp_dir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern =
        std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/edgegate-test-XXXXXX";
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    if (mkdtemp(buf.data()) == nullptr) {
        throw std::runtime_error("mkdtemp " + pattern + ": " + std::strerror(errno));
    }
    path_ = buf.data();
}

temp_dir::~temp_dir() {
    // A destructor must not throw; a directory left behind in /tmp is harmless.
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

std::string temp_dir::file(std::string_view name) const {
    std::string p = path_;
    p += '/';
    p += name;
    return p;
}

}  // namespace edgegate::test
