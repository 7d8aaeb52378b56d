#include "gateway/core/quality.hpp"

namespace edgegate {

std::string_view to_string(quality q) {
    switch (q) {
        case quality::good:
            return "good";
        case quality::uncertain:
            return "uncertain";
        case quality::bad:
            return "bad";
    }
    return "bad";
}

}  // namespace edgegate
