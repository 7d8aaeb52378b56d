#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace edgegate {

enum class metric_type { counter, gauge, histogram };

// name="value"; the name must be a valid label name, the value is escaped.
using metric_label = std::pair<std::string_view, std::string_view>;

// Builds a Prometheus text exposition (format version 0.0.4): for each family a HELP and a TYPE
// line, then its samples. The caller writes each family once, with all its samples, and uses
// valid metric names (edgegate_*). Not thread-safe; one per scrape.
class exposition {
  public:
    void family(std::string_view name, metric_type type, std::string_view help);
    void sample(std::string_view name, std::initializer_list<metric_label> labels, double value);
    // A histogram's samples: <name>_bucket with cumulative counts and le="<bound>" (then
    // le="+Inf"), <name>_sum and <name>_count. `buckets` holds the count per bucket, not
    // cumulative, one more than `bounds` (the last is above every bound).
    void histogram(std::string_view name, std::initializer_list<metric_label> labels,
                   std::span<const double> bounds, std::span<const std::uint64_t> buckets,
                   double sum);

    const std::string& text() const { return text_; }

  private:
    void write_labels(std::initializer_list<metric_label> labels, std::string_view le);

    std::string text_;
};

// A label value with \ " and line feed escaped as \\ \" \n.
std::string escape_label_value(std::string_view value);
// HELP text with \ and line feed escaped as \\ \n.
std::string escape_help(std::string_view help);
// A sample value: the shortest text that reads back as the same double; +Inf, -Inf, NaN.
std::string format_sample_value(double value);

}  // namespace edgegate
