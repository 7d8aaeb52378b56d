// The YAML configuration loader on whole files, through load_config itself (the file is written
// to a folder of this process, as `edgegate check` would read it): yaml-cpp's parser, every
// section, every driver's device keys and the rules. Whatever the file holds, the loader returns
// a configuration or throws config_exception with at least one positioned error; anything else
// escaping (another exception, a crash, a sanitizer report) is a bug.

#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "gateway/config/config.hpp"
#include "gateway/core/diagnostics.hpp"

namespace {

// Removed when libFuzzer exits normally; a crash leaves it in /tmp (or $TMPDIR) for inspection.
class scratch_file {
  public:
    scratch_file() {
        const char* base = std::getenv("TMPDIR");
        std::string folder = std::string(base != nullptr ? base : "/tmp") + "/fuzz_config.XXXXXX";
        if (::mkdtemp(folder.data()) == nullptr) {
            std::perror("mkdtemp");
            std::abort();
        }
        folder_ = folder;
        path_ = folder + "/edgegate.yaml";
    }
    ~scratch_file() {
        std::error_code ec;
        std::filesystem::remove_all(folder_, ec);
    }

    const std::string& path() const { return path_; }

    void write(const std::uint8_t* data, std::size_t size) const {
        std::FILE* f = std::fopen(path_.c_str(), "wb");
        if (f == nullptr || std::fwrite(data, 1, size, f) != size || std::fclose(f) != 0) {
            std::perror(path_.c_str());
            std::abort();
        }
    }

  private:
    std::string folder_;
    std::string path_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const scratch_file file;
    file.write(data, size);
    try {
        const edgegate::gateway_config cfg = edgegate::load_config(file.path());
        if (cfg.gateway.id.empty() || cfg.mqtt.client_id.empty()) std::abort();
    } catch (const edgegate::config_exception& e) {
        if (e.errors().empty()) std::abort();  // "invalid" must say why
    }
    return 0;
}
