#include <signal.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <iostream>

#include "gateway/cli/commands.hpp"
#include "gateway/config/config.hpp"
#include "gateway/core/diagnostics.hpp"
#include "gateway/forward/forwarder.hpp"
#include "gateway/journal/journal.hpp"
#include "gateway/pipeline/ingest_channel.hpp"
#include "gateway/pipeline/pipeline.hpp"

namespace edgegate {

namespace {

// Readings that may wait between the drivers and the pipeline before back-pressure holds the
// drivers: a few group commits' worth, bounded in memory.
constexpr std::size_t channel_capacity = 10000;
// How long the forwarder may flush at shutdown; what it does not deliver stays in the journal.
constexpr auto shutdown_grace = std::chrono::seconds(3);

std::atomic<int> fatal_exit{0};

// A thread that cannot go on asks main to stop with a non-zero exit: main waits in sigwait,
// so the request is a SIGTERM to ourselves.
void request_fatal_stop() {
    fatal_exit = 1;
    ::kill(::getpid(), SIGTERM);
}

}  // namespace

int run_gateway(const std::string& config_path) {
    // Block the stop signals in every thread (they inherit the mask); main takes them with
    // sigwait, so shutdown runs in an ordinary context.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

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

    // Logs go to stderr (stdout stays free for output a user asked for).
    spdlog::set_default_logger(spdlog::stderr_color_mt("edgegate"));
    spdlog::set_level(spdlog::level::from_str(cfg.log_level));
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
        forwarder fwd(cfg.mqtt, cfg.gateway.id, cfg.journal.path, acks, EDGEGATE_VERSION);
        journal.on_commit([&fwd] { fwd.notify(); });
        ingest_channel channel(channel_capacity);
        pipeline pipe(cfg.journal, journal, channel, acks, request_fatal_stop, cfg.rules);

        spdlog::info("edgegate {} starting: gateway '{}', {} device(s), journal {}, broker {}",
                     EDGEGATE_VERSION, cfg.gateway.id, cfg.devices.size(), cfg.journal.path,
                     cfg.mqtt.uri);
        pipe.start(EDGEGATE_VERSION);
        fwd.start();
        for (auto& d : cfg.devices) {
            d->start([&channel](ingest_item&& item) { return channel.push(std::move(item)); });
        }

        int sig = 0;
        sigwait(&stop_signals, &sig);
        spdlog::info("stopping ({})", fatal_exit ? "fatal error" : strsignal(sig));

        // Drivers first, so nothing new arrives; then everything accepted reaches the journal;
        // then the forwarder flushes for a short grace; the acks it got are saved last. After a
        // fatal error nobody drains the channel, so it is closed first to free blocked drivers.
        if (fatal_exit) channel.close();
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
