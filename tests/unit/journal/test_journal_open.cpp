// Opening: new files are created, anything that is not an edgegate journal is refused and left
// exactly as it was.

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>

#include "journal_fixture.hpp"

namespace edgegate {
namespace {

using test::options;
using test::read_bytes;
using test::temp_dir;

bool has_sidecars(const std::string& path) {
    return std::filesystem::exists(path + "-wal") || std::filesystem::exists(path + "-shm") ||
           std::filesystem::exists(path + "-journal");
}

// Both sides must refuse the file, name it, and leave its bytes alone.
void check_refused(const std::string& path, const std::string& expected_words) {
    const std::string before = read_bytes(path);
    bool threw = false;
    try {
        journal_writer w(options(path));
    } catch (const journal_error& e) {
        threw = true;
        const std::string msg = e.what();
        CHECK_MESSAGE(msg.find(path) != std::string::npos, msg);
        CHECK_MESSAGE(msg.find(expected_words) != std::string::npos, msg);
    }
    CHECK(threw);
    CHECK_THROWS_AS(journal_reader{path}, journal_error);
    CHECK(read_bytes(path) == before);
    CHECK_FALSE(has_sidecars(path));
}

TEST_CASE("a missing journal is created; a missing folder is named") {
    temp_dir dir;
    const std::string path = dir.file("journal.db");
    CHECK_THROWS_AS(journal_reader{path}, journal_error);
    CHECK_FALSE(std::filesystem::exists(path));
    { journal_writer w(options(path)); }
    CHECK(std::filesystem::exists(path));
    CHECK_NOTHROW(journal_reader{path});

    const std::string nested = dir.file("no/such/folder/journal.db");
    try {
        journal_writer w(options(nested));
        FAIL("opened a journal in a missing folder");
    } catch (const journal_error& e) {
        CHECK(std::string(e.what()) ==
              "journal " + nested + ": folder " + dir.file("no/such/folder") + " does not exist");
    }
    CHECK_FALSE(std::filesystem::exists(dir.file("no")));
}

TEST_CASE("an empty file becomes a new journal") {
    temp_dir dir;
    const std::string path = dir.file("journal.db");
    test::write_bytes(path, "");
    CHECK_THROWS_AS(journal_reader{path}, journal_error);
    journal_writer w(options(path));
    CHECK(test::append_batch(w, lane::normal, 1) == 1);
}

TEST_CASE("a text file is refused and left untouched") {
    temp_dir dir;
    const std::string path = dir.file("journal.db");
    test::write_bytes(path, "gateway:\n  id: pi-boiler-01\n");
    check_refused(path, "not an SQLite database");

    test::write_bytes(path, "SQLite format 3");  // a prefix of the magic, nothing more
    check_refused(path, "not an SQLite database");
}

TEST_CASE("another application's SQLite database is refused and left untouched") {
    temp_dir dir;
    const std::string path = dir.file("other.db");
    test::raw_exec(path, "CREATE TABLE readings(t, v); INSERT INTO readings VALUES (1, 2);");
    check_refused(path, "another application");

    const std::string marked = dir.file("marked.db");
    test::raw_exec(marked, "PRAGMA application_id = 305419896; CREATE TABLE x(y);");
    check_refused(marked, "application_id 0x12345678");

    const std::string wal = dir.file("wal.db");
    test::raw_exec(wal, "PRAGMA journal_mode = WAL; CREATE TABLE x(y); INSERT INTO x VALUES (1);");
    check_refused(wal, "another application");
}

TEST_CASE("a journal with a newer schema version is refused and left untouched") {
    temp_dir dir;
    const std::string path = dir.file("journal.db");
    {
        journal_writer w(options(path));
        test::append_batch(w, lane::normal, 3);
    }
    test::raw_exec(path, "UPDATE meta SET value = 99 WHERE key = 'schema_version'");
    check_refused(path, "schema version 99 is newer");
}

TEST_CASE("a journal with a damaged header is refused and left untouched") {
    temp_dir dir;
    const std::string path = dir.file("journal.db");
    {
        journal_writer w(options(path));
        test::append_batch(w, lane::normal, 3);
    }
    std::string bytes = read_bytes(path);
    bytes[16] = 0;  // page size 3: not a power of two
    bytes[17] = 3;
    test::write_bytes(path, bytes);
    check_refused(path, "not a database");

    // An edgegate application_id without the schema behind it.
    const std::string hollow = dir.file("hollow.db");
    test::raw_exec(hollow, "PRAGMA application_id = 1162102615; CREATE TABLE x(y);");
    check_refused(hollow, "no schema version");
}

// The gateway is stopped (no -wal, no -shm) and the reader may not create them: `edgegate status`
// run by a user who can read the journal's folder but not write it.
TEST_CASE("a reader opens a stopped journal in a folder it cannot write") {
    temp_dir dir;
    const std::string path = dir.file("journal.db");
    {
        journal_writer w(options(path));
        test::append_batch(w, lane::normal, 7);
        w.save_cursor(forwarder_cursor, lane::normal, 2);
    }
    REQUIRE_FALSE(has_sidecars(path));
    const bool root = ::geteuid() == 0;
    // Root writes anywhere, so the child gives that up; anybody else loses the folder's w bit.
    REQUIRE(::chmod(dir.path().c_str(), root ? 0755 : 0555) == 0);

    const pid_t pid = test::fork_child();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        if (root && (::setgid(65534) != 0 || ::setuid(65534) != 0)) ::_exit(10);
        int status = 0;
        try {
            journal_reader r(path);
            if (r.read_after(lane::normal, 0, 100).size() != 7) status = 2;
            if (r.read_stats().lanes[static_cast<int>(lane::normal)].undelivered != 5) status = 3;
        } catch (const std::exception& e) {
            std::fprintf(stderr, "%s\n", e.what());
            status = 1;
        }
        ::_exit(status);
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    REQUIRE(::chmod(dir.path().c_str(), 0700) == 0);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    CHECK_FALSE(has_sidecars(path));
}

}  // namespace
}  // namespace edgegate
