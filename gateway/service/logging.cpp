#include "gateway/service/logging.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <cstdlib>

namespace edgegate {

namespace {

// "%*": the sd-daemon priority of the message (syslog numbering, as in <systemd/sd-daemon.h>).
class priority_flag final : public spdlog::custom_flag_formatter {
  public:
    void format(const spdlog::details::log_msg& msg, const std::tm&,
                spdlog::memory_buf_t& dest) override {
        const char* prefix = "<6>";
        switch (msg.level) {
            case spdlog::level::trace:
            case spdlog::level::debug:
                prefix = "<7>";
                break;
            case spdlog::level::info:
                prefix = "<6>";
                break;
            case spdlog::level::warn:
                prefix = "<4>";
                break;
            case spdlog::level::err:
                prefix = "<3>";
                break;
            case spdlog::level::critical:
                prefix = "<2>";
                break;
            default:
                break;
        }
        dest.append(prefix, prefix + 3);
    }

    std::unique_ptr<custom_flag_formatter> clone() const override {
        return std::make_unique<priority_flag>();
    }
};

}  // namespace

bool stderr_is_journal() {
    const char* stream = std::getenv("JOURNAL_STREAM");
    if (stream == nullptr) return false;
    std::uintmax_t dev = 0;
    std::uintmax_t ino = 0;
    if (std::sscanf(stream, "%" SCNuMAX ":%" SCNuMAX, &dev, &ino) != 2) return false;
    struct stat st {};
    if (::fstat(STDERR_FILENO, &st) != 0) return false;
    return static_cast<std::uintmax_t>(st.st_dev) == dev &&
           static_cast<std::uintmax_t>(st.st_ino) == ino;
}

std::unique_ptr<spdlog::formatter> make_log_formatter(bool journal) {
    if (!journal) {
        // spdlog's default pattern, colour only on a terminal.
        return std::make_unique<spdlog::pattern_formatter>();
    }
    auto f = std::make_unique<spdlog::pattern_formatter>();
    f->add_flag<priority_flag>('*').set_pattern("%*%v");
    return f;
}

void setup_logging(const std::string& level) {
    const bool journal = stderr_is_journal();
    // journald would store colour escape sequences as text.
    spdlog::sink_ptr sink;
    if (journal) {
        sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    } else {
        sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    }
    auto logger = std::make_shared<spdlog::logger>("edgegate", std::move(sink));
    logger->set_formatter(make_log_formatter(journal));
    spdlog::set_default_logger(std::move(logger));
    spdlog::set_level(spdlog::level::from_str(level));
}

}  // namespace edgegate
