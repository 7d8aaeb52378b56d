// Retention: delivered rows go first, then the oldest undelivered readings, alerts last; drops
// are counted; max_age clears delivered history only.

#include <doctest/doctest.h>

#include "journal_fixture.hpp"

namespace edgegate {
namespace {

using test::append_batch;
using test::temp_dir;

const std::string kilobyte_body = "{\"pad\":\"" + std::string(1000, 'x') + "\"}";

journal_options sized(const std::string& path, std::uint64_t max_bytes) {
    journal_options o = test::options(path);
    o.max_bytes = max_bytes;
    return o;
}

std::vector<std::int64_t> seqs(journal_reader& r, lane l) {
    std::vector<std::int64_t> out;
    for (const auto& se : r.read_after(l, 0, 1'000'000)) out.push_back(se.seq);
    return out;
}

// The rows left in a lane are its newest: a run ending at `last`, with no gap.
void check_newest_kept(const std::vector<std::int64_t>& kept, std::int64_t first_appended,
                       std::int64_t last) {
    REQUIRE_FALSE(kept.empty());
    CHECK(kept.back() == last);
    CHECK(kept.front() >= first_appended);
    CHECK(kept.back() - kept.front() + 1 == static_cast<std::int64_t>(kept.size()));
}

// A 4 MiB journal over its limit: alerts 1..50, then readings 51..4550, all of about 1 KB.
struct over_limit {
    static constexpr std::uint64_t max_bytes = 4u << 20;
    temp_dir dir;
    const std::string path = dir.file("journal.db");
    journal_writer w{sized(path, max_bytes)};
    journal_reader r{path};

    over_limit() {
        append_batch(w, lane::high, 50, kilobyte_body);
        for (int i = 0; i < 9; ++i) append_batch(w, lane::normal, 500, kilobyte_body);
    }
};

TEST_CASE("over max_bytes: delivered rows first, then the oldest undelivered readings") {
    over_limit j;
    auto& w = j.w;
    auto& r = j.r;
    const auto max_bytes = over_limit::max_bytes;
    w.save_cursor(forwarder_cursor, lane::high, 10);
    w.save_cursor(forwarder_cursor, lane::normal, 550);
    const auto before = r.read_stats();
    REQUIRE(before.bytes_used > max_bytes);

    const std::int64_t dropped = w.enforce_retention(wall_clock::now());
    const auto after = r.read_stats();
    CHECK(after.bytes_used <= max_bytes / 100 * 90);

    // Alerts: only the delivered ones went.
    const auto high = seqs(r, lane::high);
    CHECK(high.size() == 40);
    CHECK(high.front() == 11);
    // Readings: every delivered one, then the oldest undelivered ones.
    const auto normal = seqs(r, lane::normal);
    check_newest_kept(normal, 551, 4550);
    CHECK(normal.front() > 551);
    CHECK(dropped == normal.front() - 551);
    CHECK(dropped > 0);
    CHECK(after.dropped_total == dropped);
    CHECK(after.lanes[static_cast<int>(lane::normal)].undelivered ==
          before.lanes[static_cast<int>(lane::normal)].undelivered - dropped);

    // Under the limit now: nothing more to do, and nothing counted twice.
    CHECK(w.enforce_retention(wall_clock::now()) == 0);
    CHECK(seqs(r, lane::normal).size() == normal.size());
    CHECK(r.read_stats().dropped_total == dropped);
}

TEST_CASE("with the forwarder's mailbox: acknowledged is delivered, rows on their way go last") {
    over_limit j;
    auto& w = j.w;
    auto& r = j.r;
    const auto max_bytes = over_limit::max_bytes;
    w.save_cursor(forwarder_cursor, lane::normal, 550);
    // The broker acknowledged up to 1050 (the cursor is saved with the next commit); 1051..1550
    // are on their way.
    ack_mailbox mailbox;
    mailbox.post(lane::normal, 1050);
    mailbox.post_sent(lane::normal, 1550);

    const std::int64_t dropped = w.enforce_retention(wall_clock::now(), &mailbox);
    CHECK(r.read_stats().bytes_used <= max_bytes / 100 * 90);
    const auto normal = seqs(r, lane::normal);
    REQUIRE(normal.size() > 500);
    // Acknowledged rows went as delivered history, not counted; the rows on their way are all
    // kept; the drops came from the oldest rows behind them.
    CHECK(normal.front() == 1051);
    CHECK(normal[499] == 1550);
    check_newest_kept({normal.begin() + 500, normal.end()}, 1551, 4550);
    CHECK(dropped > 0);
    CHECK(dropped == normal[500] - 1551);
    CHECK(r.read_stats().dropped_total == dropped);
}

TEST_CASE("alerts are removed last, and dropped_total persists") {
    temp_dir dir;
    const std::string path = dir.file("journal.db");
    const std::uint64_t max_bytes = 1u << 20;
    std::int64_t dropped = 0;
    {
        journal_writer w(sized(path, max_bytes));
        for (int i = 0; i < 2; ++i) append_batch(w, lane::high, 500, kilobyte_body);  // 1..1000
        append_batch(w, lane::normal, 500, kilobyte_body);                            // 1001..1500
        dropped = w.enforce_retention(wall_clock::now());

        journal_reader r(path);
        CHECK(seqs(r, lane::normal).empty());
        const auto high = seqs(r, lane::high);
        check_newest_kept(high, 1, 1000);
        CHECK(dropped == 500 + (high.front() - 1));
        CHECK(r.read_stats().bytes_used <= max_bytes / 100 * 90);
    }
    {
        journal_writer w(sized(path, max_bytes));
        journal_reader r(path);
        CHECK(r.read_stats().dropped_total == dropped);
        append_batch(w, lane::normal, 1000, kilobyte_body);
        const std::int64_t more = w.enforce_retention(wall_clock::now());
        CHECK(more > 0);
        CHECK(r.read_stats().dropped_total == dropped + more);
    }
}

TEST_CASE("a journal that cannot get under its limit empties and keeps counting seqs") {
    temp_dir dir;
    const std::string path = dir.file("journal.db");
    journal_writer w(sized(path, 1));
    append_batch(w, lane::high, 3);
    append_batch(w, lane::normal, 3);
    CHECK(w.enforce_retention(wall_clock::now()) == 6);
    journal_reader r(path);
    const auto st = r.read_stats();
    CHECK(st.first_seq == 0);
    CHECK(st.last_seq == 6);
    CHECK(st.dropped_total == 6);
    CHECK(append_batch(w, lane::normal, 1) == 7);
}

TEST_CASE("max_age removes delivered rows only") {
    temp_dir dir;
    const std::string path = dir.file("journal.db");
    journal_options o = test::options(path);
    o.max_age = std::chrono::hours(24);
    journal_writer w(o);
    journal_reader r(path);

    const timestamp now = from_unix_ms(1'790'000'000'000);
    const timestamp old = now - std::chrono::hours(72);
    const timestamp young = now - std::chrono::hours(1);
    append_batch(w, lane::normal, 10, "{}", old);    // 1..10
    append_batch(w, lane::normal, 10, "{}", young);  // 11..20
    append_batch(w, lane::high, 5, "{}", old);       // 21..25
    w.save_cursor(forwarder_cursor, lane::normal, 15);

    CHECK(w.enforce_retention(now) == 0);
    auto normal = seqs(r, lane::normal);
    REQUIRE_FALSE(normal.empty());
    CHECK(normal.front() == 11);  // old and delivered: gone; young and delivered: kept
    CHECK(normal.size() == 10);
    CHECK(seqs(r, lane::high).size() == 5);  // old but undelivered: kept
    CHECK(r.read_stats().dropped_total == 0);

    w.save_cursor(forwarder_cursor, lane::high, 25);
    CHECK(w.enforce_retention(now) == 0);
    CHECK(seqs(r, lane::high).empty());
    CHECK(seqs(r, lane::normal).size() == 10);

    // Source clocks may step back: expiry stops at the first young row rather than search the
    // whole history behind it.
    append_batch(w, lane::normal, 1, "{}", old);  // 26
    w.save_cursor(forwarder_cursor, lane::normal, 26);
    CHECK(w.enforce_retention(now + std::chrono::hours(23)) == 0);
    normal = seqs(r, lane::normal);
    CHECK(normal.front() == 11);
    CHECK(normal.back() == 26);
    CHECK(w.enforce_retention(now + std::chrono::hours(48)) == 0);
    CHECK(seqs(r, lane::normal).empty());
}

TEST_CASE("zero limits switch retention off") {
    temp_dir dir;
    const std::string path = dir.file("journal.db");
    journal_options o = test::options(path);
    o.max_bytes = 0;
    o.max_age = duration::zero();
    journal_writer w(o);
    append_batch(w, lane::normal, 10, "{}", from_unix_ms(0));
    w.save_cursor(forwarder_cursor, lane::normal, 10);
    CHECK(w.enforce_retention(wall_clock::now()) == 0);
    journal_reader r(path);
    CHECK(seqs(r, lane::normal).size() == 10);
}

}  // namespace
}  // namespace edgegate
