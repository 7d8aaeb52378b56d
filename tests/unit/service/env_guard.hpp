#pragma once

#include <cstdlib>
#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace edgegate::test {

// Sets (or, with nullopt, unsets) environment variables for one test and restores what was
// there before on destruction. Test thread only, while no other thread reads the environment.
class env_guard {
  public:
    using entry = std::pair<std::string, std::optional<std::string>>;

    explicit env_guard(std::initializer_list<entry> vars) {
        for (const auto& [name, value] : vars) {
            const char* old = std::getenv(name.c_str());
            saved_.emplace_back(name, old ? std::optional<std::string>(old) : std::nullopt);
            apply(name, value);
        }
    }
    ~env_guard() {
        for (const auto& [name, value] : saved_) apply(name, value);
    }
    env_guard(const env_guard&) = delete;
    env_guard& operator=(const env_guard&) = delete;

  private:
    static void apply(const std::string& name, const std::optional<std::string>& value) {
        if (value) {
            ::setenv(name.c_str(), value->c_str(), 1);
        } else {
            ::unsetenv(name.c_str());
        }
    }

    std::vector<entry> saved_;
};

}  // namespace edgegate::test
