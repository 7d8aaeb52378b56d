#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <iostream>
#include <optional>
#include <tuple>
#include <vector>

#include "gateway/cli/commands.hpp"
#include "gateway/command/command_router.hpp"
#include "gateway/config/config.hpp"
#include "gateway/core/diagnostics.hpp"
#include "gateway/forward/forwarder.hpp"
#include "gateway/journal/journal.hpp"
#include "gateway/metrics/figures.hpp"
#include "gateway/metrics/metrics_server.hpp"
#include "gateway/pipeline/ingest_channel.hpp"
#include "gateway/pipeline/pipeline.hpp"
#include "gateway/service/logging.hpp"
#include "gateway/service/notify.hpp"
#include "gateway/service/periodic_task.hpp"
#include "gateway/service/watchdog.hpp"

namespace edgegate {

namespace {

// Readings that may wait between the drivers and the pipeline before back-pressure holds the
// drivers: a few group commits' worth, bounded in memory.
constexpr std::size_t channel_capacity = 10000;
// How long the forwarder may flush at shutdown; what it does not deliver stays in the journal.
constexpr auto shutdown_grace = std::chrono::seconds(3);
// How often `systemctl status` gets a fresh STATUS= line.
constexpr auto status_every = std::chrono::seconds(5);
// How long a watched thread may go without progress before /healthz fails, when systemd sets no
// watchdog period: the WatchdogSec= of the shipped unit.
constexpr auto health_limit = std::chrono::seconds(30);

std::atomic<int> fatal_exit{0};

// A thread that cannot go on asks main to stop with a non-zero exit: main waits in sigwait,
// so the request is a SIGTERM to ourselves.
void request_fatal_stop() {
    fatal_exit = 1;
    ::kill(::getpid(), SIGTERM);
}

// STATUS= for `systemctl status`: the broker link and what waits in the journal. On the status
// thread, with a reader connection of its own (opened again after a failure).
std::string service_status(const forwarder& fwd, std::optional<journal_reader>& reader,
                           const std::string& journal_path) {
    std::string status = fwd.stats().connected ? "broker connected" : "broker not connected";
    try {
        if (!reader) reader.emplace(journal_path);
        const auto stats = reader->read_stats();
        const auto oldest = stats.oldest_undelivered();
        status += ", " + std::to_string(stats.undelivered()) + " event(s) waiting in the journal";
        if (oldest) status += " (oldest " + format_iso8601(*oldest) + ")";
    } catch (const std::exception& e) {
        reader.reset();
        status += std::string(", journal backlog unknown: ") + e.what();
    }
    return status;
}

// What a reload cannot change while the gateway runs: the journal and the broker session stay
// as they are, so these apply at the next restart. Returns the sections that differ.
std::vector<std::string> restart_only_changes(const gateway_config& now,
                                              const gateway_config& next) {
    std::vector<std::string> changed;
    if (now.gateway.id != next.gateway.id) changed.emplace_back("gateway");
    const auto& j = now.journal;
    const auto& k = next.journal;
    if (std::tie(j.path, j.durability, j.max_bytes, j.max_age, j.commit_interval, j.commit_batch) !=
        std::tie(k.path, k.durability, k.max_bytes, k.max_age, k.commit_interval, k.commit_batch)) {
        changed.emplace_back("journal");
    }
    const auto& m = now.mqtt;
    const auto& n = next.mqtt;
    if (std::tie(m.uri, m.client_id, m.version, m.qos, m.keepalive, m.topic_prefix, m.window,
                 m.rate_limit, m.batch, m.reconnect.min, m.reconnect.max, m.status_interval) !=
        std::tie(n.uri, n.client_id, n.version, n.qos, n.keepalive, n.topic_prefix, n.window,
                 n.rate_limit, n.batch, n.reconnect.min, n.reconnect.max, n.status_interval)) {
        changed.emplace_back("mqtt");
    }
    if (now.metrics != next.metrics) changed.emplace_back("metrics");
    return changed;
}

// SIGHUP: reads the configuration again. When it is valid, the devices and rules are replaced
// (the old drivers stop, the new ones start, while commands wait), the alert states of rules that
// still exist carry over, and the log level and command settings apply. When it is not, every
// error is logged with its position and the running configuration stays. The journal and the
// broker session are never interrupted.
void reload(const std::string& path, gateway_config& cfg, const reading_sink& sink, pipeline& pipe,
            command_router& commands) {
    gateway_config next;
    try {
        next = load_config(path);
    } catch (const config_exception& e) {
        for (const auto& err : e.errors()) spdlog::error("{}", err.to_string());
        spdlog::error("reload refused: {} error(s) in {}; the running configuration stays",
                      e.errors().size(), path);
        return;
    } catch (const config_unreadable& e) {
        spdlog::error("reload refused: {}; the running configuration stays", e.what());
        return;
    }
    for (const auto& section : restart_only_changes(cfg, next)) {
        spdlog::warn("reload: changes to the {} section take effect at the next restart", section);
    }
    commands.replace_devices(next.commands, next.devices, [&] {
        for (auto& d : cfg.devices) d->stop();
        for (auto& d : next.devices) d->start(sink);
    });
    spdlog::info("reloaded {}: {} device(s), {} rule(s)", path, next.devices.size(),
                 next.rules.size());
    pipe.replace_rules(std::move(next.rules));
    spdlog::set_level(spdlog::level::from_str(next.log_level));
    cfg.log_level = next.log_level;
    cfg.commands = next.commands;
    cfg.devices = std::move(next.devices);
}

}  // namespace

int run_gateway(const std::string& config_path) {
    // Block the stop and reload signals in every thread (they inherit the mask); main takes them
    // with sigwait, so shutdown and reload run in an ordinary context.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    gateway_config cfg;
    try {
        cfg = load_config(config_path);
    } catch (const config_exception& e) {
        for (const auto& err : e.errors()) std::cerr << err.to_string() << '\n';
        return 1;
    } catch (const config_unreadable& e) {
        std::cerr << e.what() << '\n';
        return 1;
    }

    setup_logging(cfg.log_level);
    try {
        journal_writer journal({cfg.journal.path, cfg.journal.durability == durability::full,
                                cfg.journal.max_bytes, cfg.journal.max_age});
        ack_mailbox acks;
        {
            journal_reader cursors(cfg.journal.path);
            for (int l = 0; l < lane_count; ++l) {
                acks.post(static_cast<lane>(l),
                          cursors.cursor(forwarder_cursor, static_cast<lane>(l)));
            }
        }
        ingest_channel channel(channel_capacity);
        const reading_sink sink = [&channel](ingest_item&& item) {
            return channel.push(std::move(item));
        };
        // Before the forwarder, which calls it, so that it outlives the forwarder's callbacks.
        command_router commands(cfg.commands, cfg.devices, sink);
        forwarder fwd(cfg.mqtt, cfg.gateway.id, cfg.journal.path, acks, EDGEGATE_VERSION);
        journal.on_durable([&fwd] { fwd.notify(); });
        fwd.publish_durable([&journal] { return journal.durable_seq(); });
        pipeline pipe(cfg.journal, journal, channel, acks, request_fatal_stop, cfg.rules);
        fwd.on_commands(
            [&commands](std::string_view device, std::string_view point, std::string_view payload,
                        bool retained) { commands.on_command(device, point, payload, retained); });
        figures_source figures(pipe, fwd, cfg.journal.path);
        fwd.on_status([&figures] { return headline(figures.collect()); });
        // The two threads every event passes through: the watchdog and /healthz vouch for them.
        const std::vector<progress_probe> probes{
            {"pipeline", [&pipe] { return pipe.last_progress(); }},
            {"forwarder", [&fwd] { return fwd.last_progress(); }}};
        const auto watchdog_period = watchdog::period_from_environment();
        // Bound before anything starts, so a port in use stops the start cleanly.
        std::optional<metrics_server> metrics;
        if (cfg.metrics) {
            metrics.emplace(
                *cfg.metrics, [&figures] { return render_metrics(figures.collect()); }, probes,
                watchdog_period.value_or(std::chrono::microseconds(health_limit)));
        }

        spdlog::info("edgegate {} starting: gateway '{}', {} device(s), journal {}, broker {}",
                     EDGEGATE_VERSION, cfg.gateway.id, cfg.devices.size(), cfg.journal.path,
                     cfg.mqtt.uri);
        pipe.start(EDGEGATE_VERSION);
        // Drivers before the forwarder: a command may arrive as soon as it is connected.
        for (auto& d : cfg.devices) d->start(sink);
        fwd.start();

        // Up: the journal is open, the drivers and the forwarder run. Keep-alives from here on
        // vouch for the two threads every event passes through.
        notify_ready();
        std::optional<watchdog> keepalive;
        if (watchdog_period) keepalive.emplace(*watchdog_period, probes);
        std::optional<journal_reader> status_reader;
        std::optional<periodic_task> status_updates;
        if (notify_enabled()) {
            status_updates.emplace(status_every, [&] {
                notify_status(service_status(fwd, status_reader, cfg.journal.path));
                return true;
            });
        }

        int sig = 0;
        while (sigwait(&signals, &sig) == 0 && sig == SIGHUP) {
            spdlog::info("reloading {} (SIGHUP)", config_path);
            reload(config_path, cfg, sink, pipe, commands);
        }
        spdlog::info("stopping ({})", fatal_exit ? "fatal error" : strsignal(sig));
        // The watched threads end during shutdown; TimeoutStopSec= bounds it instead.
        notify_stopping();
        if (keepalive) keepalive->stop();
        if (status_updates) status_updates->stop();
        if (metrics) metrics->stop();

        // Commands and drivers first, so nothing new arrives; then everything accepted reaches the
        // journal; then the forwarder flushes for a short grace; the acks it got are saved last.
        // After a fatal error nobody drains the channel, so it is closed first to free blocked
        // drivers.
        if (fatal_exit) channel.close();
        commands.close();
        for (auto& d : cfg.devices) d->stop();
        channel.close();
        pipe.join();
        fwd.stop(shutdown_grace);
        pipe.save_acks();
        spdlog::info("stopped; journal closed at seq {}", journal.committed_seq());
    } catch (const std::exception& e) {
        spdlog::critical("{}", e.what());
        return 1;
    }
    return fatal_exit.load();
}

}  // namespace edgegate
