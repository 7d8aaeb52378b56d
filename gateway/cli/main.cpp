#include <CLI/CLI.hpp>
#include <iostream>

#include "gateway/cli/commands.hpp"

int main(int argc, char** argv) {
    CLI::App app{
        "edgegate: an edge IoT sensor event gateway (Modbus/GPIO -> SQLite journal -> MQTT)"};
    app.set_version_flag("--version", std::string("edgegate ") + EDGEGATE_VERSION);
    std::string config;
    app.add_option("-c,--config", config, "configuration file (YAML)");
    app.fallthrough();
    app.require_subcommand(0, 1);

    app.add_subcommand("run", "run the gateway (the default when only -c is given)");
    auto* check =
        app.add_subcommand("check", "validate a configuration file and print every error");
    auto* status = app.add_subcommand("status", "show the journal: backlog, cursors, drops");
    bool verify = false;
    status->add_flag("--verify", verify, "also run SQLite's full integrity check");

    try {
        app.parse(argc, argv);
        if (config.empty()) throw CLI::RequiredError("-c,--config");
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    if (*check) return edgegate::check_config(config);
    if (*status) return edgegate::show_status(config, verify);
    return edgegate::run_gateway(config);
}
