// Scenario 5, second form: a real ENOSPC. The journal lives on a 3 MiB tmpfs the test mounts,
// half of it taken by a filler file, with a max_bytes far above what fits, so SQLite's writes fail
// with a full disk while the broker is down. The filler is removed before the broker returns
// (space comes back). Needs root to mount; elsewhere it reports itself skipped. See
// disk_full.hpp for what is asserted.
#include <sys/mount.h>

#include <filesystem>
#include <fstream>

#include "tests/chaos/disk_full.hpp"
#include "tests/helpers/modbus_server.hpp"
#include "tests/helpers/tmpfs_mount.hpp"

using namespace edgegate;
using namespace edgegate::test;
using namespace edgegate::test::chaos;

TEST_CASE("journal on a full disk: no crash and drops counted and service resumes") {
    temp_dir dir;
    // A fixed mount point: a run killed before its destructors ran (a CTest timeout) leaves the
    // tmpfs mounted there, and the next run unmounts it first.
    const std::string mount_point = std::filesystem::temp_directory_path() / "edgegate-chaos-disk";
    umount2(mount_point.c_str(), MNT_DETACH);
    std::filesystem::create_directories(mount_point);
    std::string why;
    const auto disk = tmpfs_mount::try_mount(mount_point, 3u << 20, why);
    if (!disk) skip_scenario(why);
    const std::string filler = mount_point + "/filler";
    {
        std::ofstream out(filler, std::ios::binary);
        const std::string block(64 << 10, 'x');
        for (int i = 0; i < 24; ++i) out << block;  // 1.5 MiB
    }

    mosquitto_broker broker;
    modbus_server meter;
    mqtt_subscriber sub(broker.uri(), "edgegate/chaos-gw/#", "chaos-sub");
    broker.stop();
    scenario_setup s{dir.path(), broker.uri()};
    s.modbus = {{"meter", meter.port(), 4, "20ms"}};
    s.sim_poll = "5ms";
    s.journal = mount_point + "/journal.db";
    s.max_bytes = "64MiB";
    add_alerting_point(s);
    const std::string log = dir.file("gateway.log");
    auto gw = start_gateway(write_config(s), log);
    const std::size_t free_before = disk->free_bytes();
    fill_drop_and_recover(
        "journal on a full disk (ENOSPC)", broker, sub, gw, s.journal,
        [&] {
            CHECK(count_lines(log, "disk is full") > 0);
            std::filesystem::remove(filler);
        },
        ", " + std::to_string(free_before >> 10) + " KiB free on the tmpfs at the start");
}
