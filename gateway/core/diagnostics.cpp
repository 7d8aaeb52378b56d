#include "gateway/core/diagnostics.hpp"

namespace edgegate {

namespace {

std::string join(const std::vector<config_error>& errors) {
    std::string text;
    for (const auto& e : errors) {
        if (!text.empty()) text += '\n';
        text += e.to_string();
    }
    return text;
}

}  // namespace

std::string config_error::to_string() const {
    std::string text = file;
    // Line 0 means "no position known"; an empty path means the error is not about one key
    // (a YAML syntax error, a document that is not a mapping).
    if (line > 0) text += ":" + std::to_string(line) + ":" + std::to_string(column);
    text += ": ";
    if (!path.empty()) text += path + ": ";
    return text + message;
}

void diagnostics::error(int line0, int column0, std::string path, std::string message) {
    const bool known = line0 >= 0 && column0 >= 0;
    errors_.push_back(config_error{file_, known ? line0 + 1 : 0, known ? column0 + 1 : 0,
                                   std::move(path), std::move(message)});
}

config_exception::config_exception(std::vector<config_error> errors)
    : std::runtime_error(join(errors)), errors_(std::move(errors)) {}

}  // namespace edgegate
