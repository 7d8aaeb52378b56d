// A real full disk: the journal on a small tmpfs the test mounts (root only; the cases report
// themselves skipped elsewhere), half of it taken by a filler file, max_bytes far above it.

#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <optional>

#include "journal_fixture.hpp"
#include "tests/helpers/tmpfs_mount.hpp"

namespace edgegate {
namespace {

using test::temp_dir;

const std::string body = "{\"value\":12345.5,\"pad\":\"" + std::string(150, 'x') + "\"}";
constexpr int batch_events = 50;

// A tmpfs of 2 MiB with a 1 MiB filler: about 1 MiB for the journal.
class small_disk {
  public:
    small_disk() {
        std::filesystem::create_directories(mount_point_);
        std::string why;
        disk_ = test::tmpfs_mount::try_mount(mount_point_, 2u << 20, why);
        REQUIRE_MESSAGE(disk_, why);
        std::ofstream(filler(), std::ios::binary) << std::string(1u << 20, 'f');
    }

    std::string journal() const { return mount_point_ + "/journal.db"; }
    std::string filler() const { return mount_point_ + "/filler"; }

  private:
    temp_dir dir_;
    std::string mount_point_ = dir_.file("disk");
    std::unique_ptr<test::tmpfs_mount> disk_;
};

journal_options on_disk(const small_disk& d) {
    journal_options o = test::options(d.journal());
    o.max_bytes = 64u << 20;
    return o;
}

std::uint64_t file_size(const std::string& path) {
    std::error_code ec;
    const auto n = std::filesystem::file_size(path, ec);
    return ec ? 0 : n;
}

// Commits as the pipeline does: a refused batch is kept, retention runs, the batch is retried.
struct committer {
    journal_writer& w;
    std::int64_t dropped = 0;  // the counts retention returned
    int refusals = 0;
    std::vector<std::int64_t> high{};  // the seqs committed to the high lane
    std::int64_t last_normal = 0;

    std::int64_t commit(lane l, int n) {
        for (int attempt = 1; attempt <= 3; ++attempt) {
            try {
                const std::int64_t last = test::append_batch(w, l, n, body);
                if (l == lane::high) {
                    for (std::int64_t s = last - n + 1; s <= last; ++s) high.push_back(s);
                } else {
                    last_normal = last;
                }
                return last;
            } catch (const journal_error& e) {
                REQUIRE_MESSAGE(e.disk_full(), e.what());
                ++refusals;
                dropped += w.enforce_retention(wall_clock::now());
            }
        }
        FAIL("a batch was refused three times in a row");
        return 0;
    }

    // `batches` batches of readings, an alert every tenth, and retention every twentieth (about
    // once a second at a few thousand events a second).
    void run(int batches) {
        for (int i = 1; i <= batches; ++i) {
            commit(lane::normal, batch_events);
            if (i % 10 == 0) commit(lane::high, 1);
            if (i % 20 == 0) dropped += w.enforce_retention(wall_clock::now());
        }
    }

    // Readings until the disk refused one, then `more` batches (several times what fits).
    void fill(int more) {
        for (int i = 0; i < 2000 && refusals == 0; ++i) run(1);
        REQUIRE(refusals > 0);
        run(more);
    }
};

std::vector<std::int64_t> stored(journal_reader& r, lane l) {
    std::vector<std::int64_t> out;
    for (const auto& e : r.read_after(l, 0, 1'000'000)) out.push_back(e.seq);
    return out;
}

TEST_CASE("on a full disk the drop policy applies and commits go on" *
          doctest::skip(::geteuid() != 0)) {
    small_disk disk;
    journal_writer w(on_disk(disk));
    journal_reader r(disk.journal());
    CHECK(file_size(disk.journal() + "-reserve") > 0);

    committer c{w};
    c.fill(300);
    MESSAGE(c.refusals << " refusals, " << c.dropped << " dropped");
    // The first refusal is the disk's; after it the journal keeps below what the disk holds.
    CHECK(c.refusals <= 3);
    CHECK(c.dropped > 0);

    // Exact accounting: every committed reading is either stored or counted as dropped, the
    // stored ones are the newest, and every alert is kept.
    const auto st = r.read_stats();
    CHECK(st.dropped_total == c.dropped);
    const auto normal = stored(r, lane::normal);
    REQUIRE_FALSE(normal.empty());
    const auto committed_normal =
        st.last_seq - static_cast<std::int64_t>(c.high.size());  // seqs have no holes
    CHECK(static_cast<std::int64_t>(normal.size()) + c.dropped == committed_normal);
    CHECK(normal.back() == c.last_normal);
    CHECK(stored(r, lane::high) == c.high);
    CHECK(r.integrity_check() == "ok");
}

TEST_CASE("when space returns the journal takes its reserve back and grows again" *
          doctest::skip(::geteuid() != 0)) {
    small_disk disk;
    const std::string reserve = disk.journal() + "-reserve";
    std::optional<journal_writer> writer(std::in_place, on_disk(disk));
    journal_writer& w = *writer;
    journal_reader r(disk.journal());
    const std::uint64_t reserve_bytes = file_size(reserve);
    REQUIRE(reserve_bytes > 0);

    committer c{w};
    c.fill(100);
    CHECK(file_size(reserve) < reserve_bytes);  // released on the full disk, not yet back
    const std::uint64_t held_when_full = r.read_stats().bytes_used;

    std::filesystem::remove(disk.filler());
    c.dropped += w.enforce_retention(wall_clock::now());
    CHECK(file_size(reserve) == reserve_bytes);
    const int refusals = c.refusals;
    const std::int64_t dropped = c.dropped;
    c.run(40);  // about 400 KiB more
    CHECK(c.refusals == refusals);
    CHECK(c.dropped == dropped);
    CHECK(r.read_stats().bytes_used > held_when_full + (256u << 10));
    CHECK(r.read_stats().dropped_total == dropped);

    // A restart keeps the reserve (and sizes it again for the disk it finds).
    const std::int64_t last = w.committed_seq();
    REQUIRE(r.integrity_check() == "ok");
    writer.reset();
    journal_writer again(on_disk(disk));
    CHECK(again.committed_seq() == last);
    CHECK(file_size(reserve) >= reserve_bytes);
}

}  // namespace
}  // namespace edgegate
