// The gateway's figures: the device counters drivers and the pipeline update, what the journal's
// statistics come to, the status message's headline, and every metric /metrics exposes.
#include <doctest/doctest.h>

#include <chrono>
#include <string>

#include "gateway/core/device_counters.hpp"
#include "gateway/metrics/figures.hpp"

using namespace edgegate;
using namespace std::chrono_literals;

namespace {

bool has_line(const std::string& text, const std::string& line) {
    return text.find("\n" + line + "\n") != std::string::npos || text.starts_with(line + "\n");
}

}  // namespace

TEST_CASE("a poll duration lands in the first bucket whose bound it does not exceed") {
    duration_histogram h;
    h.observe(500us);  // <= 1 ms
    h.observe(1ms);    // exactly on the bound: still le="0.001"
    h.observe(30ms);   // <= 50 ms
    h.observe(12s);    // above every bound
    const auto s = h.read();
    CHECK(s.count == 4);
    CHECK(s.buckets[0] == 2);
    CHECK(s.buckets[5] == 1);
    CHECK(s.buckets.back() == 1);
    CHECK(s.sum_seconds == doctest::Approx(12.0315));
}

TEST_CASE("device counters are one per device name and stay where they are") {
    device_counters& a = device_counters_of("unit-figures-a");
    device_counters& again = device_counters_of("unit-figures-a");
    CHECK(&a == &again);
    a.readings += 3;
    a.poll_errors += 1;
    bool found = false;
    for (const auto& d : device_figures_now()) {
        if (d.name != "unit-figures-a") continue;
        found = true;
        CHECK(d.readings == 3);
        CHECK(d.poll_errors == 1);
    }
    CHECK(found);
}

TEST_CASE("the journal's figures add the lanes and age the oldest undelivered event") {
    const timestamp now = wall_clock::now();
    journal_reader::stats st;
    st.lanes[0].undelivered = 2;
    st.lanes[0].oldest_undelivered = now - 90s;
    st.lanes[1].undelivered = 5;
    st.lanes[1].oldest_undelivered = now - 30s;
    st.dropped_total = 7;
    st.bytes_used = 4096;
    const auto j = journal_figures(st, now);
    CHECK(j.backlog == 7);
    REQUIRE(j.oldest_age_seconds.has_value());
    CHECK(*j.oldest_age_seconds == doctest::Approx(90));
    CHECK(j.dropped_total == 7);
    CHECK(j.bytes == 4096);

    const auto empty = journal_figures(journal_reader::stats{}, now);
    CHECK(empty.backlog == 0);
    CHECK_FALSE(empty.oldest_age_seconds.has_value());
}

TEST_CASE("the headline carries the backlog and readings and drops and alerts") {
    gateway_figures f;
    f.active_alerts = 2;
    f.journal = gateway_figures::journal_part{12, 3.5, 4, 8192};
    f.devices.push_back({"boiler", 10, 0, {}});
    f.devices.push_back({"plc", 5, 1, {}});
    const status_figures s = headline(f);
    CHECK(s.backlog == 12);
    CHECK(s.oldest_age_seconds == 3.5);
    CHECK(s.readings_total == 15);
    CHECK(s.dropped_total == 4);
    CHECK(s.active_alerts == 2);
}

TEST_CASE("every metric is exposed with its type and value") {
    gateway_figures f;
    f.events_appended = 20;
    f.events_forwarded = 18;
    f.broker_connected = true;
    f.reconnects = 3;
    f.active_alerts = 1;
    f.journal = gateway_figures::journal_part{2, std::nullopt, 0, 65536};
    device_figures plc{"plc", 15, 4, {}};
    plc.poll_duration.buckets[2] = 6;  // <= 5 ms
    plc.poll_duration.count = 6;
    plc.poll_duration.sum_seconds = 0.024;
    f.devices.push_back(plc);
    const std::string text = render_metrics(f);
    CAPTURE(text);

    CHECK(has_line(text, "# TYPE edgegate_readings_total counter"));
    CHECK(has_line(text, "edgegate_readings_total{device=\"plc\"} 15"));
    CHECK(has_line(text, "# TYPE edgegate_events_appended_total counter"));
    CHECK(has_line(text, "edgegate_events_appended_total 20"));
    CHECK(has_line(text, "edgegate_events_forwarded_total 18"));
    CHECK(has_line(text, "# TYPE edgegate_events_dropped_total counter"));
    CHECK(has_line(text, "edgegate_events_dropped_total 0"));
    CHECK(has_line(text, "# TYPE edgegate_journal_backlog_events gauge"));
    CHECK(has_line(text, "edgegate_journal_backlog_events 2"));
    CHECK(has_line(text, "edgegate_journal_oldest_undelivered_age_seconds 0"));
    CHECK(has_line(text, "edgegate_journal_bytes 65536"));
    CHECK(has_line(text, "# TYPE edgegate_broker_connected gauge"));
    CHECK(has_line(text, "edgegate_broker_connected 1"));
    CHECK(has_line(text, "edgegate_broker_reconnects_total 3"));
    CHECK(has_line(text, "# TYPE edgegate_alerts_active gauge"));
    CHECK(has_line(text, "edgegate_alerts_active 1"));
    CHECK(has_line(text, "edgegate_poll_errors_total{device=\"plc\"} 4"));
    CHECK(has_line(text, "# TYPE edgegate_poll_duration_seconds histogram"));
    CHECK(has_line(text, "edgegate_poll_duration_seconds_bucket{device=\"plc\",le=\"0.0025\"} 0"));
    CHECK(has_line(text, "edgegate_poll_duration_seconds_bucket{device=\"plc\",le=\"0.005\"} 6"));
    CHECK(has_line(text, "edgegate_poll_duration_seconds_bucket{device=\"plc\",le=\"+Inf\"} 6"));
    CHECK(has_line(text, "edgegate_poll_duration_seconds_sum{device=\"plc\"} 0.024"));
    CHECK(has_line(text, "edgegate_poll_duration_seconds_count{device=\"plc\"} 6"));
}

TEST_CASE("a journal that could not be read leaves its metrics out rather than report zeros") {
    const std::string text = render_metrics(gateway_figures{});
    CHECK(text.find("edgegate_journal_backlog_events") == std::string::npos);
    CHECK(text.find("edgegate_events_dropped_total") == std::string::npos);
    CHECK(has_line(text, "edgegate_broker_connected 0"));
}
