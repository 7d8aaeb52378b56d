// Append, read, ack and reopen on real SQLite files.

#include <doctest/doctest.h>

#include "journal_fixture.hpp"

namespace edgegate {
namespace {

using test::append_batch;
using test::make_event;
using test::options;
using test::temp_dir;

TEST_CASE("append, read after a cursor, ack: a round trip with monotonic seqs") {
    temp_dir dir;
    const std::string path = dir.file("journal.db");
    journal_writer w(options(path));
    CHECK(w.committed_seq() == 0);

    int commits = 0;
    w.on_commit([&] { ++commits; });

    const timestamp ts = from_unix_ms(1'790'000'000'123);
    w.begin();
    std::int64_t previous = 0;
    for (int i = 0; i < 10; ++i) {
        const std::int64_t seq =
            w.append(make_event(lane::normal, "data/boiler/t" + std::to_string(i),
                                "{\"i\":" + std::to_string(i) + "}", ts));
        CHECK(seq > previous);
        previous = seq;
    }
    CHECK(w.committed_seq() == 0);  // not before the commit
    w.commit();
    CHECK(w.committed_seq() == previous);
    CHECK(commits == 1);

    journal_reader r(path);
    const auto events = r.read_after(lane::normal, 0, 100);
    REQUIRE(events.size() == 10);
    for (int i = 0; i < 10; ++i) {
        CHECK(events[i].seq == i + 1);
        CHECK(events[i].ev.lane == lane::normal);
        CHECK(events[i].ev.kind == event_kind::reading);
        CHECK_FALSE(events[i].ev.retain);
        CHECK(events[i].ev.ts == ts);
        CHECK(events[i].ev.topic == "data/boiler/t" + std::to_string(i));
        CHECK(events[i].ev.body == "{\"i\":" + std::to_string(i) + "}");
    }

    // Paging after a position, and the limit.
    const auto page = r.read_after(lane::normal, 4, 3);
    REQUIRE(page.size() == 3);
    CHECK(page[0].seq == 5);
    CHECK(page[2].seq == 7);
    CHECK(r.read_after(lane::normal, 10, 100).empty());
    CHECK(r.read_after(lane::normal, 0, 0).empty());

    // Ack: outside a transaction the cursor commits on its own.
    CHECK(r.cursor(forwarder_cursor, lane::normal) == 0);
    w.save_cursor(forwarder_cursor, lane::normal, 6);
    CHECK(r.cursor(forwarder_cursor, lane::normal) == 6);
    CHECK(r.read_after(lane::normal, r.cursor(forwarder_cursor, lane::normal), 100).size() == 4);
}

TEST_CASE("lanes are independent and each is in seq order") {
    temp_dir dir;
    const std::string path = dir.file("journal.db");
    journal_writer w(options(path));
    w.begin();
    std::vector<std::int64_t> high, normal;
    for (int i = 0; i < 20; ++i) {
        if (i % 3 == 0) {
            high.push_back(w.append(make_event(lane::high, "alerts/r/dev/p")));
        } else {
            normal.push_back(w.append(make_event(lane::normal, "data/dev/p")));
        }
    }
    w.commit();

    journal_reader r(path);
    const auto h = r.read_after(lane::high, 0, 100);
    const auto n = r.read_after(lane::normal, 0, 100);
    REQUIRE(h.size() == high.size());
    REQUIRE(n.size() == normal.size());
    for (std::size_t i = 0; i < h.size(); ++i) {
        CHECK(h[i].seq == high[i]);
        CHECK(h[i].ev.lane == lane::high);
        CHECK(h[i].ev.kind == event_kind::alert);
        CHECK(h[i].ev.retain);
    }
    for (std::size_t i = 0; i < n.size(); ++i) CHECK(n[i].seq == normal[i]);

    // A cursor in one lane does not move the other.
    w.save_cursor(forwarder_cursor, lane::high, high.back());
    CHECK(r.read_after(lane::high, r.cursor(forwarder_cursor, lane::high), 100).empty());
    CHECK(r.read_after(lane::normal, r.cursor(forwarder_cursor, lane::normal), 100).size() ==
          normal.size());
}

TEST_CASE("a cursor saved inside a transaction commits with it, and never moves back") {
    temp_dir dir;
    const std::string path = dir.file("journal.db");
    journal_writer w(options(path));
    append_batch(w, lane::normal, 5);
    journal_reader r(path);

    w.begin();
    w.append(make_event(lane::normal, "data/dev/p"));
    w.save_cursor(forwarder_cursor, lane::normal, 3);
    CHECK(r.cursor(forwarder_cursor, lane::normal) == 0);  // not yet committed
    w.commit();
    CHECK(r.cursor(forwarder_cursor, lane::normal) == 3);

    w.save_cursor(forwarder_cursor, lane::normal, 0);  // e.g. a mailbox not yet posted to
    CHECK(r.cursor(forwarder_cursor, lane::normal) == 3);
    w.save_cursor("replay", lane::normal, 1);
    CHECK(r.cursor("replay", lane::normal) == 1);
    CHECK(r.cursor(forwarder_cursor, lane::normal) == 3);
}

TEST_CASE("cursors and seqs survive a reopen; a seq is never reused") {
    temp_dir dir;
    const std::string path = dir.file("journal.db");
    {
        journal_writer w(options(path));
        CHECK(append_batch(w, lane::normal, 10) == 10);
        w.save_cursor(forwarder_cursor, lane::normal, 7);
        w.save_cursor(forwarder_cursor, lane::high, 2);
    }
    {
        journal_writer w(options(path));
        CHECK(w.committed_seq() == 10);
        journal_reader r(path);
        CHECK(r.cursor(forwarder_cursor, lane::normal) == 7);
        CHECK(r.cursor(forwarder_cursor, lane::high) == 2);
        CHECK(append_batch(w, lane::normal, 1) == 11);
    }
    // The newest rows vanish (as retention may do); their seqs stay used.
    test::raw_exec(path, "DELETE FROM events WHERE seq > 8");
    {
        journal_writer w(options(path));
        CHECK(w.committed_seq() == 11);
        CHECK(append_batch(w, lane::high, 1) == 12);
        journal_reader r(path);
        CHECK(r.read_stats().last_seq == 12);
    }
}

TEST_CASE("durable_seq: every commit with durability full, the last sync() with normal") {
    temp_dir dir;
    const std::string path = dir.file("journal.db");
    {
        journal_writer w(options(path));
        int durable_calls = 0;
        w.on_durable([&] { ++durable_calls; });
        CHECK(append_batch(w, lane::normal, 3) == 3);
        CHECK(w.durable_seq() == 3);
        CHECK(durable_calls == 1);
    }

    auto normal = options(path);
    normal.durability_full = false;
    {
        journal_writer w(normal);
        CHECK(w.durable_seq() == 3);
        int durable_calls = 0;
        int commits = 0;
        w.on_durable([&] { ++durable_calls; });
        w.on_commit([&] { ++commits; });
        append_batch(w, lane::normal, 2);
        append_batch(w, lane::high, 1);
        CHECK(commits == 2);
        CHECK(w.committed_seq() == 6);
        CHECK(w.durable_seq() == 3);  // a power loss could still take seqs 4..6 back
        CHECK(durable_calls == 0);
        w.sync();
        CHECK(w.durable_seq() == 6);
        CHECK(durable_calls == 1);
        w.sync();  // nothing new: no fsync, no callback
        CHECK(durable_calls == 1);
        append_batch(w, lane::normal, 1);
        CHECK(w.durable_seq() == 6);
        w.begin();
        CHECK_THROWS_AS(w.sync(), std::logic_error);
        w.commit();
    }
    // What the last run committed is synced when the journal opens again.
    journal_writer again(normal);
    CHECK(again.committed_seq() == 7);
    CHECK(again.durable_seq() == 7);

    // A reader can stop at the durable mark.
    journal_reader r(path);
    CHECK(r.read_after(lane::normal, 0, 100).size() == 6);
    CHECK(r.read_after(lane::normal, 0, 100, 3).size() == 3);
    CHECK(r.read_after(lane::normal, 3, 100, 5).size() == 2);
}

TEST_CASE("an abandoned transaction stores nothing") {
    temp_dir dir;
    const std::string path = dir.file("journal.db");
    {
        journal_writer w(options(path));
        append_batch(w, lane::normal, 3);
        w.begin();
        w.append(make_event(lane::normal, "data/dev/p"));
    }
    journal_writer w(options(path));
    CHECK(w.committed_seq() == 3);
    journal_reader r(path);
    CHECK(r.read_after(lane::normal, 0, 100).size() == 3);
}

TEST_CASE("misuse of the transaction calls is a logic error") {
    temp_dir dir;
    journal_writer w(options(dir.file("journal.db")));
    CHECK_THROWS_AS(w.append(make_event(lane::normal, "data/dev/p")), std::logic_error);
    CHECK_THROWS_AS(w.commit(), std::logic_error);
    w.begin();
    CHECK_THROWS_AS(w.begin(), std::logic_error);
    CHECK_THROWS_AS(w.enforce_retention(wall_clock::now()), std::logic_error);
    w.commit();
}

TEST_CASE("a reader sees what the writer commits while both are open") {
    temp_dir dir;
    const std::string path = dir.file("journal.db");
    journal_writer w(options(path));
    journal_reader r(path);
    CHECK(r.read_after(lane::normal, 0, 10).empty());

    w.begin();
    w.append(make_event(lane::normal, "data/dev/p"));
    CHECK(r.read_after(lane::normal, 0, 10).empty());  // uncommitted
    w.commit();
    CHECK(r.read_after(lane::normal, 0, 10).size() == 1);

    append_batch(w, lane::high, 2);
    CHECK(r.read_after(lane::high, 0, 10).size() == 2);
    CHECK(r.read_stats().last_seq == 3);
}

TEST_CASE("a reader works after the writer is gone") {
    temp_dir dir;
    const std::string path = dir.file("journal.db");
    {
        journal_writer w(options(path));
        append_batch(w, lane::normal, 4);
    }
    CHECK_FALSE(std::filesystem::exists(path + "-wal"));  // checkpointed and removed at close
    journal_reader r(path);
    CHECK(r.read_after(lane::normal, 0, 10).size() == 4);

    // And a writer may start beside it again.
    journal_writer w(options(path));
    append_batch(w, lane::normal, 1);
    CHECK(r.read_after(lane::normal, 0, 10).size() == 5);
}

TEST_CASE("read_stats describes the backlog") {
    temp_dir dir;
    const std::string path = dir.file("journal.db");
    journal_writer w(options(path));
    const timestamp t0 = from_unix_ms(1'790'000'000'000);
    append_batch(w, lane::normal, 5, "{}", t0);                            // 1..5
    append_batch(w, lane::high, 2, "{}", t0 + std::chrono::seconds(1));    // 6..7
    append_batch(w, lane::normal, 3, "{}", t0 + std::chrono::seconds(2));  // 8..10
    w.save_cursor(forwarder_cursor, lane::normal, 5);

    journal_reader r(path);
    const auto st = r.read_stats();
    const auto& n = st.lanes[static_cast<int>(lane::normal)];
    const auto& h = st.lanes[static_cast<int>(lane::high)];
    CHECK(n.events == 8);
    CHECK(n.undelivered == 3);
    CHECK(n.cursor == 5);
    CHECK(n.last_seq == 10);
    REQUIRE(n.oldest_undelivered);
    CHECK(*n.oldest_undelivered == t0 + std::chrono::seconds(2));
    CHECK(h.events == 2);
    CHECK(h.undelivered == 2);
    CHECK(h.cursor == 0);
    CHECK(h.last_seq == 7);
    REQUIRE(h.oldest_undelivered);
    CHECK(*h.oldest_undelivered == t0 + std::chrono::seconds(1));
    CHECK(st.first_seq == 1);
    CHECK(st.last_seq == 10);
    CHECK(st.dropped_total == 0);
    CHECK(st.schema_version == 2);
    CHECK(st.bytes_used > 0);
    CHECK(st.file_bytes > 0);
    REQUIRE(st.last_event);
    CHECK(*st.last_event == t0 + std::chrono::seconds(2));

    w.save_cursor(forwarder_cursor, lane::high, 7);
    const auto later = r.read_stats();
    CHECK(later.lanes[static_cast<int>(lane::high)].undelivered == 0);
    CHECK_FALSE(later.lanes[static_cast<int>(lane::high)].oldest_undelivered);
}

TEST_CASE("a new journal is marked as edgegate's, and its integrity check passes") {
    temp_dir dir;
    const std::string path = dir.file("journal.db");
    {
        journal_writer w(options(path));
        append_batch(w, lane::normal, 100);
        journal_reader r(path);
        CHECK(r.integrity_check() == "ok");
    }
    CHECK(test::raw_int(path, "PRAGMA application_id") == 0x45444757);
    CHECK(test::raw_int(path, "SELECT value FROM meta WHERE key = 'schema_version'") == 2);
    CHECK(test::raw_text(path, "PRAGMA journal_mode") == "wal");
}

}  // namespace
}  // namespace edgegate
