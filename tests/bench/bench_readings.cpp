#include <cmath>
#include <numbers>
#include <string>

#include "tests/bench/bench.hpp"

namespace edgegate::bench {

namespace {
// Like the demo's devices: a handful of points per device, a unit with a non-ASCII character.
constexpr int points_per_device = 10;
}  // namespace

std::vector<reading> make_readings(int n, const std::string& device, int devices) {
    std::vector<std::string> names;
    if (devices <= 1) {
        names.push_back(device);
    } else {
        for (int d = 0; d < devices; ++d) names.push_back(device + "-" + std::to_string(d));
    }
    std::vector<std::string> points;
    for (int p = 0; p < points_per_device; ++p) points.push_back("point_" + std::to_string(p));
    const timestamp now = wall_clock::now();
    std::vector<reading> out;
    out.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
        reading r;
        // One poll delivers a device's ten points together; the devices take turns.
        r.device = names[static_cast<std::size_t>(i / points_per_device) % names.size()];
        r.point = points[static_cast<std::size_t>(i % points_per_device)];
        // A sine between 60 and 95 in full double precision, as the simulated driver's
        // temperatures are: the JSON number is as long as a real one.
        r.value = 77.5 + 17.5 * std::sin(2 * std::numbers::pi * i / 6000.0);
        r.quality = quality::good;
        r.ts = now + std::chrono::milliseconds(i);
        r.unit = "°C";
        out.push_back(std::move(r));
    }
    return out;
}

}  // namespace edgegate::bench
