#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace edgegate {

// One configuration error, printed as `FILE:LINE:COL: key.path: message` (1-based). An error
// about no key in particular (invalid YAML) has an empty path and prints as
// `FILE:LINE:COL: message`; line 0 means no known position and prints as `FILE: key.path: message`.
struct config_error {
    std::string file;
    int line = 0;
    int column = 0;
    std::string path;
    std::string message;

    std::string to_string() const;
};

// Collects every error of a configuration file so that `edgegate check` can print all of them.
class diagnostics {
  public:
    explicit diagnostics(std::string file) : file_(std::move(file)) {}

    // line and column are 0-based as yaml-cpp reports them; negative (yaml-cpp's null mark) when
    // there is no position.
    void error(int line0, int column0, std::string path, std::string message);

    const std::string& file() const { return file_; }
    const std::vector<config_error>& errors() const { return errors_; }
    bool ok() const { return errors_.empty(); }

  private:
    std::string file_;
    std::vector<config_error> errors_;
};

// Thrown by the loader when a file has errors; carries all of them, in file order. what() is
// every error, one per line.
class config_exception : public std::runtime_error {
  public:
    explicit config_exception(std::vector<config_error> errors);
    const std::vector<config_error>& errors() const { return errors_; }

  private:
    std::vector<config_error> errors_;
};

// Thrown when the file cannot be read at all (missing, unreadable, too large).
class config_unreadable : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

}  // namespace edgegate
