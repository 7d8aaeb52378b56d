// The command line: check on every shipped configuration, exit codes, status.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/helpers/process.hpp"
#include "tests/helpers/temp_dir.hpp"

using namespace edgegate::test;
using namespace std::chrono_literals;

namespace {

struct result {
    int code;
    std::string output;
};

result run_cli(const temp_dir& dir, std::vector<std::string> args) {
    args.insert(args.begin(), EDGEGATE_BIN);
    const std::string log = dir.file("cli.log");
    std::filesystem::remove(log);
    child_process p(args, log);
    const auto code = p.wait_exit(30s);
    std::ifstream in(log);
    std::stringstream ss;
    ss << in.rdbuf();
    return {code.value_or(-1), ss.str()};
}

}  // namespace

TEST_CASE("edgegate check accepts every configuration in config/ and every driver sample") {
    temp_dir dir;
    int checked = 0;
    for (const auto& entry :
         std::filesystem::recursive_directory_iterator(EDGEGATE_SOURCE_DIR "/config")) {
        if (entry.path().extension() != ".yaml") continue;
        const auto r = run_cli(dir, {"check", "-c", entry.path().string()});
        CHECK_MESSAGE(r.code == 0, entry.path() << ":\n" << r.output);
        ++checked;
    }
    for (const auto& entry : std::filesystem::directory_iterator(EDGEGATE_SOURCE_DIR "/drivers")) {
        const auto sample = entry.path() / "sample.yaml";
        if (!std::filesystem::exists(sample)) continue;
        const auto r = run_cli(dir, {"check", "-c", sample.string()});
        CHECK_MESSAGE(r.code == 0, sample << ":\n" << r.output);
        ++checked;
    }
    CHECK(checked >= 3);
}

TEST_CASE("edgegate check exits 1 with every error, 2 when the file cannot be read") {
    temp_dir dir;
    const std::string bad = dir.file("bad.yaml");
    std::ofstream(bad) << "journal:\n  durability: ful\n  max_bytes: lots\n";
    const auto r = run_cli(dir, {"check", "-c", bad});
    CHECK(r.code == 1);
    CHECK(r.output.find(bad + ":2:15: journal.durability:") != std::string::npos);
    CHECK(r.output.find(bad + ":3:14: journal.max_bytes:") != std::string::npos);

    CHECK(run_cli(dir, {"check", "-c", dir.file("missing.yaml")}).code == 2);
}

TEST_CASE("edgegate status reports an empty journal's state and --verify checks it") {
    temp_dir dir;
    const std::string cfg = dir.file("gw.yaml");
    std::ofstream(cfg) << "gateway: { id: st }\njournal: { path: j.db }\n"
                          "devices:\n  - { name: d, driver: simulated, points: [ { name: p } ] }\n";
    // No journal yet: a clear error, exit 2, and no file is created by looking.
    const auto missing = run_cli(dir, {"status", "-c", cfg});
    CHECK(missing.code == 2);
    CHECK(missing.output.find("j.db") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(dir.file("j.db")));
}

TEST_CASE("--version and --help") {
    temp_dir dir;
    const auto v = run_cli(dir, {"--version"});
    CHECK(v.code == 0);
    CHECK(v.output.find("edgegate 0.") != std::string::npos);
    const auto h = run_cli(dir, {"--help"});
    CHECK(h.code == 0);
    CHECK(h.output.find("check") != std::string::npos);
    CHECK(h.output.find("status") != std::string::npos);
}
