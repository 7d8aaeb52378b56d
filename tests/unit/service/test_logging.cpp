// Log lines for the journal (sd-daemon priority prefixes) and for a terminal or a file.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <regex>
#include <sstream>

#include "gateway/service/logging.hpp"
#include "tests/helpers/temp_dir.hpp"
#include "tests/unit/service/env_guard.hpp"

using namespace edgegate;
using namespace edgegate::test;

namespace {

std::string format_line(bool journal, spdlog::level::level_enum level, std::string_view text) {
    const auto f = make_log_formatter(journal);
    spdlog::details::log_msg msg("edgegate", level, text);
    spdlog::memory_buf_t out;
    f->format(msg, out);
    return {out.data(), out.size()};
}

std::string dev_ino(int fd) {
    struct stat st {};
    REQUIRE(::fstat(fd, &st) == 0);
    return std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
}

// Points file descriptor 2 at a file for one test, and back.
class stderr_to_file {
  public:
    explicit stderr_to_file(const std::string& path) : saved_(::dup(STDERR_FILENO)) {
        std::fflush(stderr);
        const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        REQUIRE(fd >= 0);
        ::dup2(fd, STDERR_FILENO);
        ::close(fd);
    }
    ~stderr_to_file() {
        std::fflush(stderr);
        ::dup2(saved_, STDERR_FILENO);
        ::close(saved_);
    }
    stderr_to_file(const stderr_to_file&) = delete;
    stderr_to_file& operator=(const stderr_to_file&) = delete;

  private:
    int saved_;
};

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

}  // namespace

TEST_CASE("journal lines carry the sd-daemon priority and nothing else") {
    CHECK(format_line(true, spdlog::level::critical, "pipeline stopped") ==
          "<2>pipeline stopped\n");
    CHECK(format_line(true, spdlog::level::err, "journal commit failed") ==
          "<3>journal commit failed\n");
    CHECK(format_line(true, spdlog::level::warn, "mqtt: broker unreachable") ==
          "<4>mqtt: broker unreachable\n");
    CHECK(format_line(true, spdlog::level::info, "mqtt: connected") == "<6>mqtt: connected\n");
    CHECK(format_line(true, spdlog::level::debug, "poll") == "<7>poll\n");
    CHECK(format_line(true, spdlog::level::trace, "poll") == "<7>poll\n");
}

TEST_CASE("plain lines carry the date and time and the level") {
    const std::string line = format_line(false, spdlog::level::warn, "mqtt: broker unreachable");
    CHECK_MESSAGE(std::regex_match(line, std::regex(R"(\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\] )"
                                                    R"(\[edgegate\] \[warning\] )"
                                                    R"(mqtt: broker unreachable\n)")),
                  line);
}

TEST_CASE("stderr is the journal only when JOURNAL_STREAM names it") {
    SUBCASE("unset") {
        env_guard env({{"JOURNAL_STREAM", std::nullopt}});
        CHECK_FALSE(stderr_is_journal());
    }
    SUBCASE("our stderr") {
        env_guard env({{"JOURNAL_STREAM", dev_ino(STDERR_FILENO)}});
        CHECK(stderr_is_journal());
    }
    SUBCASE("another stream, as after a redirect") {
        env_guard env({{"JOURNAL_STREAM", "1:2"}});
        CHECK_FALSE(stderr_is_journal());
    }
    SUBCASE("garbage") {
        env_guard env({{"JOURNAL_STREAM", "journal"}});
        CHECK_FALSE(stderr_is_journal());
    }
}

TEST_CASE("the gateway's logger writes prefixed lines when stderr is the journal") {
    temp_dir dir;
    const auto previous = spdlog::default_logger();
    const auto level = spdlog::get_level();
    {
        stderr_to_file redirect(dir.file("stderr"));
        env_guard env({{"JOURNAL_STREAM", dev_ino(STDERR_FILENO)}});
        setup_logging("info");
        spdlog::info("edgegate starting");
        spdlog::warn("mqtt: broker unreachable");
        spdlog::debug("below the level");
        spdlog::default_logger()->flush();
    }
    spdlog::set_default_logger(previous);
    spdlog::set_level(level);
    CHECK(read_file(dir.file("stderr")) == "<6>edgegate starting\n<4>mqtt: broker unreachable\n");
}

TEST_CASE("the gateway's logger writes plain lines when stderr is not the journal") {
    temp_dir dir;
    const auto previous = spdlog::default_logger();
    const auto level = spdlog::get_level();
    {
        stderr_to_file redirect(dir.file("stderr"));
        env_guard env({{"JOURNAL_STREAM", std::nullopt}});
        setup_logging("info");
        spdlog::info("edgegate starting");
        spdlog::default_logger()->flush();
    }
    spdlog::set_default_logger(previous);
    spdlog::set_level(level);
    const std::string text = read_file(dir.file("stderr"));
    CHECK_MESSAGE(std::regex_match(text, std::regex(R"(\[\d{4}-[^\]]*\] \[edgegate\] \[info\] )"
                                                    R"(edgegate starting\n)")),
                  text);
}
