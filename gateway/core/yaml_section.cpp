#include "gateway/core/yaml_section.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace edgegate {

namespace {

YAML::Mark mark_of(const YAML::Node& node) {
    return node.IsDefined() ? node.Mark() : YAML::Mark::null_mark();
}

bool is_empty(const YAML::Node& node) { return !node.IsDefined() || node.IsNull(); }

std::string format_number(double v) {
    char buf[32];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    return ec == std::errc{} ? std::string(buf, end) : std::to_string(v);
}

std::string join(std::initializer_list<std::string_view> options) {
    std::string text;
    for (const auto o : options) {
        if (!text.empty()) text += ", ";
        text += o;
    }
    return text;
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// Optimal string alignment distance: insertions, deletions, substitutions and swaps of
// neighbours ("qso" -> "qos") each cost one; letter case is ignored.
std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
    for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
    for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
            if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) &&
                lower(a[i - 2]) == lower(b[j - 1])) {
                d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
            }
        }
    }
    return d[a.size()][b.size()];
}

}  // namespace

std::string quote(std::string_view text) {
    constexpr std::size_t longest = 80;
    const std::size_t cut = std::min(text.find('\n'), longest);
    if (cut >= text.size()) return "'" + std::string(text) + "'";
    return "'" + std::string(text.substr(0, cut)) + "...'";
}

std::string describe_value(const YAML::Node& node) {
    if (!node.IsDefined() || node.IsNull()) return "nothing";
    if (node.IsMap()) return "a mapping";
    if (node.IsSequence()) return "a sequence";
    return quote(node.Scalar());
}

std::optional<std::string> nearest(std::string_view word,
                                   const std::vector<std::string>& candidates) {
    std::optional<std::string> best;
    std::size_t best_distance = 0;
    for (const auto& c : candidates) {
        const std::size_t d = edit_distance(word, c);
        const std::size_t longer = std::max(word.size(), c.size());
        if (!((d <= 2 && 2 * d <= longer) || 3 * d <= longer)) continue;
        if (!best || d < best_distance) {
            best = c;
            best_distance = d;
        }
    }
    return best;
}

yaml_section::yaml_section(const YAML::Node& node, std::string path, diagnostics& diag)
    : node_(node), path_(std::move(path)), diag_(diag), mark_(mark_of(node_)) {
    if (is_empty(node_)) return;
    if (!node_.IsMap()) {
        report(mark_, path_, "expected a mapping, got " + describe_value(node_));
        return;
    }
    is_map_ = true;
    // yaml-cpp keeps repeated keys silently and lookups would see only the first.
    std::set<std::string, std::less<>> seen;
    for (const auto& kv : node_) {
        if (!kv.first.IsScalar()) {
            report(kv.first.Mark(), path_, "expected a plain key, got " + describe_value(kv.first));
        } else if (!seen.insert(kv.first.Scalar()).second) {
            report(kv.first.Mark(), key_path(kv.first.Scalar()),
                   "duplicate key " + quote(kv.first.Scalar()));
        }
    }
}

bool yaml_section::has(std::string_view key) const {
    if (!is_map_) return false;
    return std::any_of(node_.begin(), node_.end(), [key](const auto& kv) {
        return kv.first.IsScalar() && kv.first.Scalar() == key;
    });
}

yaml_section::entry yaml_section::lookup(std::string_view key) {
    known_.emplace(key);
    if (is_map_) {
        for (const auto& kv : node_) {
            if (kv.first.IsScalar() && kv.first.Scalar() == key) return {kv.first, kv.second};
        }
    }
    return {};
}

std::optional<yaml_section::scalar_value> yaml_section::scalar(std::string_view key,
                                                               std::string_view expected) {
    const entry e = lookup(key);
    if (is_empty(e.value)) return std::nullopt;
    if (!e.value.IsScalar()) {
        report(where(e), key_path(key),
               "expected " + std::string(expected) + ", got " + describe_value(e.value));
        return std::nullopt;
    }
    return scalar_value{e.value.Scalar(), e.value.Mark()};
}

std::string yaml_section::str(std::string_view key, std::string def) {
    auto v = scalar(key, "a string");
    return v ? std::move(v->text) : std::move(def);
}

std::optional<std::string> yaml_section::opt_str(std::string_view key) {
    auto v = scalar(key, "a string");
    if (!v) return std::nullopt;
    return std::move(v->text);
}

std::string yaml_section::required_str(std::string_view key) {
    const entry e = lookup(key);
    if (!e.key.IsDefined()) {
        report(mark_, path_, "missing required key '" + std::string(key) + "'");
        return {};
    }
    if (!is_empty(e.value) && !e.value.IsScalar()) {
        report(where(e), key_path(key), "expected a string, got " + describe_value(e.value));
        return {};
    }
    if (is_empty(e.value) || e.value.Scalar().empty()) {
        report(where(e), key_path(key), "must not be empty");
        return {};
    }
    return e.value.Scalar();
}

bool yaml_section::boolean(std::string_view key, bool def) {
    const auto v = scalar(key, "true or false");
    if (!v) return def;
    if (v->text == "true") return true;
    if (v->text == "false") return false;
    report(v->mark, key_path(key), "expected true or false, got " + quote(v->text));
    return def;
}

std::int64_t yaml_section::integer(std::string_view key, std::int64_t def, std::int64_t min,
                                   std::int64_t max) {
    const auto v = scalar(key, "a whole number");
    if (!v) return def;
    const char* const last = v->text.data() + v->text.size();
    std::int64_t n = 0;
    const auto [end, ec] = std::from_chars(v->text.data(), last, n);
    if (end != last || (ec != std::errc{} && ec != std::errc::result_out_of_range)) {
        report(v->mark, key_path(key), "expected a whole number, got " + quote(v->text));
        return def;
    }
    if (ec == std::errc::result_out_of_range || n < min || n > max) {
        report(v->mark, key_path(key),
               v->text + " is out of range (" + std::to_string(min) + ".." + std::to_string(max) +
                   ")");
        return def;
    }
    return n;
}

std::optional<double> yaml_section::opt_number(std::string_view key, double min, double max) {
    const auto v = scalar(key, "a number");
    if (!v) return std::nullopt;
    const char* const last = v->text.data() + v->text.size();
    double x = 0;
    const auto [end, ec] = std::from_chars(v->text.data(), last, x);
    if (end != last || (ec != std::errc{} && ec != std::errc::result_out_of_range) ||
        std::isnan(x)) {
        report(v->mark, key_path(key), "expected a number, got " + quote(v->text));
        return std::nullopt;
    }
    if (ec == std::errc::result_out_of_range || x < min || x > max) {
        report(
            v->mark, key_path(key),
            v->text + " is out of range (" + format_number(min) + ".." + format_number(max) + ")");
        return std::nullopt;
    }
    return x;
}

double yaml_section::number(std::string_view key, double def, double min, double max) {
    return opt_number(key, min, max).value_or(def);
}

duration yaml_section::dur(std::string_view key, duration def, duration min, duration max) {
    const auto v = scalar(key, "a duration");
    if (!v) return def;
    const auto d = parse_duration(v->text);
    if (!d) {
        report(v->mark, key_path(key),
               "expected a duration (a whole number and ms, s, m, h or d, e.g. 250ms, 5s, 7d), "
               "got " +
                   quote(v->text));
        return def;
    }
    if (*d < min || *d > max) {
        report(v->mark, key_path(key),
               v->text + " is out of range (" + format_duration(min) + ".." + format_duration(max) +
                   ")");
        return def;
    }
    return *d;
}

std::uint64_t yaml_section::size(std::string_view key, std::uint64_t def, std::uint64_t min,
                                 std::uint64_t max) {
    const auto v = scalar(key, "a size");
    if (!v) return def;
    const auto n = parse_size(v->text);
    if (!n) {
        report(v->mark, key_path(key),
               "expected a size (a number of bytes, or a whole number and KiB, MiB, GiB or TiB, "
               "e.g. 64KiB, 256MiB), got " +
                   quote(v->text));
        return def;
    }
    if (*n < min || *n > max) {
        report(v->mark, key_path(key),
               v->text + " is out of range (" + format_size(min) + ".." + format_size(max) + ")");
        return def;
    }
    return *n;
}

std::string yaml_section::enumeration(std::string_view key, std::string def,
                                      std::initializer_list<std::string_view> options) {
    const auto v = scalar(key, "one of " + join(options));
    if (!v) return def;
    if (std::find(options.begin(), options.end(), v->text) != options.end()) return v->text;
    const auto suggestion =
        nearest(v->text, std::vector<std::string>(options.begin(), options.end()));
    report(v->mark, key_path(key),
           "unknown value " + quote(v->text) + ", " +
               (suggestion ? "did you mean '" + *suggestion + "'?"
                           : "expected one of: " + join(options)));
    return def;
}

yaml_section yaml_section::child(std::string_view key) {
    const entry e = lookup(key);
    yaml_section section(e.value, key_path(key), diag_);
    if (is_empty(e.value)) section.mark_ = e.key.IsDefined() ? e.key.Mark() : mark_;
    return section;
}

YAML::Node yaml_section::raw(std::string_view key) { return lookup(key).value; }

std::vector<yaml_section> yaml_section::entries(std::string_view key) {
    const YAML::Node list = raw(key);
    std::vector<yaml_section> out;
    if (!list || !list.IsSequence() || list.size() == 0) {
        error(list, key, "expected a non-empty list of " + std::string(key));
        return out;
    }
    out.reserve(list.size());
    for (std::size_t i = 0; i < list.size(); ++i) {
        out.emplace_back(list[i], key_path(key) + "[" + std::to_string(i) + "]", diag_);
    }
    return out;
}

void yaml_section::error(const YAML::Node& at, std::string_view subkey, std::string message) {
    const YAML::Mark m = mark_of(at);
    report(m.is_null() ? mark_ : m, key_path(subkey), std::move(message));
}

void yaml_section::error(std::string message) { report(mark_, path_, std::move(message)); }

void yaml_section::finish() {
    if (!is_map_) return;
    const std::vector<std::string> known(known_.begin(), known_.end());
    for (const auto& kv : node_) {
        if (!kv.first.IsScalar() || known_.contains(kv.first.Scalar())) continue;
        const std::string& key = kv.first.Scalar();
        const auto suggestion = nearest(key, known);
        report(kv.first.Mark(), key_path(key),
               "unknown key " + quote(key) +
                   (suggestion ? ", did you mean '" + *suggestion + "'?" : std::string()));
    }
}

std::string yaml_section::key_path(std::string_view key) const {
    if (key.empty()) return path_;
    if (path_.empty()) return std::string(key);
    return path_ + (key.front() == '[' ? "" : ".") + std::string(key);
}

YAML::Mark yaml_section::where(const entry& e) const {
    if (!is_empty(e.value)) return e.value.Mark();
    return e.key.IsDefined() ? e.key.Mark() : mark_;
}

void yaml_section::report(const YAML::Mark& at, std::string path, std::string message) {
    diag_.error(at.line, at.column, std::move(path), std::move(message));
}

void read_delay_range(yaml_section section, duration& min, duration& max) {
    using namespace std::chrono_literals;
    min = section.dur("min", min, 10ms, 1h);
    max = section.dur("max", max, 10ms, 1h);
    if (min > max) {
        section.error("min (" + format_duration(min) + ") is greater than max (" +
                      format_duration(max) + ")");
    }
    section.finish();
}

}  // namespace edgegate
