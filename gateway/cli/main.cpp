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

    edgegate::history_query history;
    const auto add_history_options = [&history](CLI::App* cmd) {
        cmd->add_option("--since", history.since,
                        "events from this source time on: a duration ago (10m, 2h, 7d) or an "
                        "ISO 8601 time (2026-11-26T21:05:00Z)");
        cmd->add_option("--until", history.until, "events before this time (same forms)");
        cmd->add_option("--device", history.device, "readings, alerts and events of this device");
        cmd->add_option("--point", history.point, "readings, alerts and commands of this point");
        cmd->add_option("--kind", history.kind, "reading, alert or event")
            ->check(CLI::IsMember({"reading", "alert", "event"}));
        cmd->add_option("--limit", history.limit, "at most N events, the oldest first")
            ->check(CLI::Range(std::int64_t{1}, std::int64_t{1} << 40));
    };
    auto* events = app.add_subcommand(
        "events",
        "print journaled events as JSON lines (the payload as published, with its topic)");
    add_history_options(events);
    auto* replay = app.add_subcommand(
        "replay", "republish journaled events to <prefix>/<gateway>/replay/... (QoS 1)");
    add_history_options(replay);
    edgegate::replay_options replay_opts;
    replay->add_option("--rate", replay_opts.rate, "publishes per second, at most")
        ->capture_default_str()
        ->check(CLI::Range(1, 1000000));
    replay->add_flag("--dry-run", replay_opts.dry_run,
                     "print what would be published, without connecting");

    auto* probe = app.add_subcommand("probe", "read a device once and print what it returned");
    probe->require_subcommand(1);
    auto* probe_modbus = probe->add_subcommand(
        "modbus", "read Modbus registers or bits and print every decoding (types, byte orders)");
    edgegate::modbus_probe mb;
    probe_modbus
        ->add_option(
            "target", mb.target,
            "tcp://HOST[:PORT], rtu-over-tcp://HOST:PORT or a serial device (/dev/ttyUSB0)")
        ->required();
    probe_modbus->add_option("--unit", mb.unit, "unit id (slave address)")
        ->capture_default_str()
        ->check(CLI::Range(0, 255));
    probe_modbus->add_option("--table", mb.table, "coil, discrete, input or holding")
        ->capture_default_str()
        ->check(CLI::IsMember({"coil", "discrete", "input", "holding"}));
    probe_modbus->add_option("--address", mb.address, "first address, 0-based (40001 is 0)")
        ->capture_default_str()
        ->check(CLI::Range(0, 65535));
    probe_modbus->add_option("--count", mb.count, "registers (1..125) or bits (1..2000)")
        ->capture_default_str()
        ->check(CLI::Range(1, 2000));
    probe_modbus->add_option("--timeout", mb.timeout, "response timeout, e.g. 500ms")
        ->capture_default_str();
    probe_modbus->add_option("--baud", mb.baud, "serial: baud rate")->capture_default_str();
    probe_modbus->add_option("--parity", mb.parity, "serial: none, even or odd")
        ->capture_default_str()
        ->check(CLI::IsMember({"none", "even", "odd"}));
    probe_modbus->add_option("--data-bits", mb.data_bits, "serial: 7 or 8")
        ->capture_default_str()
        ->check(CLI::Range(7, 8));
    probe_modbus->add_option("--stop-bits", mb.stop_bits, "serial: 1 or 2")
        ->capture_default_str()
        ->check(CLI::Range(1, 2));

    try {
        app.parse(argc, argv);
        if (config.empty() && !*probe) throw CLI::RequiredError("-c,--config");
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);
        // The history commands document 1 for every bad argument, as their own checks give.
        return code != 0 && (*events || *replay) ? 1 : code;
    }
    if (*probe_modbus) return edgegate::probe_modbus(mb);
    if (*check) return edgegate::check_config(config);
    if (*status) return edgegate::show_status(config, verify);
    if (*events) return edgegate::show_events(config, history);
    if (*replay) return edgegate::replay_events(config, history, replay_opts);
    return edgegate::run_gateway(config);
}
