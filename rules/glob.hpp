#pragma once

#include <string_view>

namespace edgegate {

// `pattern` matches `text` where each '*' stands for any run of characters, empty included
// ("boil*" matches "boiler" and "boil"). Nothing else is special: names are [A-Za-z0-9_.-].
bool glob_match(std::string_view pattern, std::string_view text);

inline bool is_glob(std::string_view pattern) {
    return pattern.find('*') != std::string_view::npos;
}

}  // namespace edgegate
