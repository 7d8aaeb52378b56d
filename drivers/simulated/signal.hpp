#pragma once

#include <cstdint>
#include <random>
#include <string>

#include "gateway/core/units.hpp"
#include "gateway/core/value.hpp"

namespace edgegate {

enum class signal_shape { sine, ramp, square, random_walk, counter, constant };

struct signal_spec {
    std::string name;
    signal_shape shape = signal_shape::sine;
    double min = 0;
    double max = 1;
    duration period = std::chrono::seconds(60);
    double noise = 0;  // standard deviation of gaussian noise added to real-valued signals
    double constant = 0;
    std::string unit;
    std::uint64_t seed = 0;
};

// Generates the samples of one simulated point. The n-th sample depends only on the spec, the
// seed and the sample time (n * poll), so a seeded run repeats exactly. Used on the device's
// poll thread only.
class signal_generator {
  public:
    signal_generator(signal_spec spec, duration poll);

    // The next sample. sine/ramp/random_walk/constant are doubles, square is a bool,
    // counter an exact int64 (min + number of samples so far).
    value next();

    const signal_spec& spec() const { return spec_; }

  private:
    double noisy(double v);

    signal_spec spec_;
    duration poll_;
    std::int64_t n_ = 0;
    double walk_;
    std::mt19937_64 rng_;
    std::normal_distribution<double> gauss_{0.0, 1.0};
};

}  // namespace edgegate
