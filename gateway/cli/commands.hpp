#pragma once

#include <string>

namespace edgegate {

// Each subcommand returns the process exit code. Main thread.

// Runs the gateway until SIGTERM/SIGINT (0) or a fatal error (1); 1 also for an invalid
// configuration or a journal that cannot be opened.
int run_gateway(const std::string& config_path);

// 0 when the file is valid, 1 when it has errors (all printed), 2 when it cannot be read.
int check_config(const std::string& config_path);

// Prints the journal's state; with `verify` also runs the full integrity check (1 when it
// fails). 2 when the journal cannot be opened.
int show_status(const std::string& config_path, bool verify);

}  // namespace edgegate
