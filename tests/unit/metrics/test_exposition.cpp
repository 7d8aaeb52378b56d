// The Prometheus text exposition: HELP and TYPE lines, label escaping, sample values, and
// histograms with cumulative buckets, +Inf, _sum and _count.
#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <limits>
#include <string>

#include "gateway/metrics/exposition.hpp"

using namespace edgegate;

TEST_CASE("label values escape backslash and double quote and line feed") {
    CHECK(escape_label_value("plain-name_1.2") == "plain-name_1.2");
    CHECK(escape_label_value(R"(a\b)") == R"(a\\b)");
    CHECK(escape_label_value(R"(say "hi")") == R"(say \"hi\")");
    CHECK(escape_label_value("two\nlines") == R"(two\nlines)");
    CHECK(escape_label_value("°C") == "°C");
}

TEST_CASE("help text escapes backslash and line feed but not quotes") {
    CHECK(escape_help("a \"quoted\" \\ word\nnext") == R"(a "quoted" \\ word\nnext)");
}

TEST_CASE("sample values are the shortest exact text and name the special values") {
    CHECK(format_sample_value(0) == "0");
    CHECK(format_sample_value(42) == "42");
    CHECK(format_sample_value(0.0025) == "0.0025");
    CHECK(format_sample_value(-1.5) == "-1.5");
    CHECK(format_sample_value(1e20) == "1e+20");
    CHECK(format_sample_value(std::numeric_limits<double>::infinity()) == "+Inf");
    CHECK(format_sample_value(-std::numeric_limits<double>::infinity()) == "-Inf");
    CHECK(format_sample_value(std::nan("")) == "NaN");
}

TEST_CASE("a family is a HELP line and a TYPE line followed by its samples") {
    exposition e;
    e.family("edgegate_readings_total", metric_type::counter, "Readings.\nPer device \\ point.");
    e.sample("edgegate_readings_total", {{"device", "boiler"}}, 3);
    e.sample("edgegate_readings_total", {{"device", "odd \"name\""}, {"point", "a\\b"}}, 4);
    e.family("edgegate_broker_connected", metric_type::gauge, "1 while connected.");
    e.sample("edgegate_broker_connected", {}, 1);
    CHECK(e.text() ==
          "# HELP edgegate_readings_total Readings.\\nPer device \\\\ point.\n"
          "# TYPE edgegate_readings_total counter\n"
          "edgegate_readings_total{device=\"boiler\"} 3\n"
          "edgegate_readings_total{device=\"odd \\\"name\\\"\",point=\"a\\\\b\"} 4\n"
          "# HELP edgegate_broker_connected 1 while connected.\n"
          "# TYPE edgegate_broker_connected gauge\n"
          "edgegate_broker_connected 1\n");
}

TEST_CASE("a histogram has cumulative buckets ending in +Inf and a _sum and a _count") {
    exposition e;
    const std::array<double, 3> bounds{0.001, 0.5, 10};
    const std::array<std::uint64_t, 4> buckets{2, 0, 3, 1};
    e.family("edgegate_poll_duration_seconds", metric_type::histogram, "Poll time.");
    e.histogram("edgegate_poll_duration_seconds", {{"device", "plc"}}, bounds, buckets, 31.25);
    CHECK(e.text() ==
          "# HELP edgegate_poll_duration_seconds Poll time.\n"
          "# TYPE edgegate_poll_duration_seconds histogram\n"
          "edgegate_poll_duration_seconds_bucket{device=\"plc\",le=\"0.001\"} 2\n"
          "edgegate_poll_duration_seconds_bucket{device=\"plc\",le=\"0.5\"} 2\n"
          "edgegate_poll_duration_seconds_bucket{device=\"plc\",le=\"10\"} 5\n"
          "edgegate_poll_duration_seconds_bucket{device=\"plc\",le=\"+Inf\"} 6\n"
          "edgegate_poll_duration_seconds_sum{device=\"plc\"} 31.25\n"
          "edgegate_poll_duration_seconds_count{device=\"plc\"} 6\n");
}

TEST_CASE("a histogram without labels carries le alone") {
    exposition e;
    const std::array<double, 1> bounds{1};
    const std::array<std::uint64_t, 2> buckets{0, 0};
    e.histogram("h", {}, bounds, buckets, 0);
    CHECK(e.text() == "h_bucket{le=\"1\"} 0\nh_bucket{le=\"+Inf\"} 0\nh_sum 0\nh_count 0\n");
}
