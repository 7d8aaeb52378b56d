#include "rules/rule_parser.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
#include <optional>
#include <set>
#include <utility>

#include "gateway/core/names.hpp"
#include "gateway/core/yaml_section.hpp"

namespace edgegate {

namespace {

using namespace std::chrono_literals;

constexpr std::array<std::string_view, 8> condition_keys{
    "above", "below", "outside", "inside", "equals", "rate_above", "rate_below", "stale"};

// The same range the drivers accept for numbers: beyond it a limit is a typo, not a limit.
constexpr double number_limit = 1e15;
constexpr auto longest = 365 * 24h;

std::string format_number(double x) {
    char buf[32];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, x);
    return ec == std::errc{} ? std::string(buf, end) : std::to_string(x);
}

// A number as written: "90" stays an integer (so "threshold" is published as 90, not 90.0).
struct written_number {
    double number = 0;
    value as_written;
};

std::optional<written_number> parse_number(const std::string& text) {
    const char* const first = text.data();
    const char* const last = first + text.size();
    std::int64_t i = 0;
    if (const auto [end, ec] = std::from_chars(first, last, i); ec == std::errc{} && end == last) {
        return written_number{static_cast<double>(i), i};
    }
    double x = 0;
    const auto [end, ec] = std::from_chars(first, last, x);
    if (end != last || (ec != std::errc{} && ec != std::errc::result_out_of_range) ||
        std::isnan(x)) {
        return std::nullopt;
    }
    if (ec == std::errc::result_out_of_range) x = HUGE_VAL;
    return written_number{x, x};
}

// Reads and validates one rule entry. Errors go to the section's diagnostics.
class rule_reader {
  public:
    rule_reader(yaml_section& s, std::string_view source, const std::vector<std::string>* devices)
        : s_(s), source_(source), devices_(devices) {}

    rule read(std::set<std::string, std::less<>>& names) {
        rule r;
        read_name(r, names);
        read_match(r);
        read_condition(r);
        read_hysteresis(r);
        r.hold = s_.dur("for", r.hold, 0ms, longest);
        r.clear_hold = s_.dur("clear_for", r.clear_hold, 0ms, longest);
        r.repeat = s_.dur("repeat", r.repeat, 1s, longest);
        const std::string sev =
            s_.enumeration("severity", "warning", {"info", "warning", "critical"});
        r.severity = sev == "info"       ? severity::info
                     : sev == "critical" ? severity::critical
                                         : severity::warning;
        read_message(r);
        s_.finish();
        return r;
    }

  private:
    void error_at(const YAML::Mark& m, std::string_view key, std::string message) {
        std::string path = s_.path();
        if (!key.empty()) path += (key.front() == '[' ? "" : ".") + std::string(key);
        s_.diag().error(m.line, m.column, std::move(path), std::move(message));
    }

    // The key node of `key` (its position is where an empty value is reported).
    YAML::Mark key_mark(std::string_view key) const {
        for (const auto& kv : s_.node()) {
            if (kv.first.IsScalar() && kv.first.Scalar() == key) return kv.first.Mark();
        }
        return s_.node().Mark();
    }

    // A number from `node` (a value of `key`, or an element of one: `at` names it in the path).
    std::optional<written_number> number_at(const YAML::Node& node, std::string_view at,
                                            const YAML::Mark& empty_mark) {
        if (!node.IsDefined() || node.IsNull()) {
            error_at(empty_mark, at, "expected a number, got nothing");
            return std::nullopt;
        }
        if (!node.IsScalar()) {
            error_at(node.Mark(), at, "expected a number, got " + describe_value(node));
            return std::nullopt;
        }
        const auto n = parse_number(node.Scalar());
        if (!n) {
            error_at(node.Mark(), at, "expected a number, got " + quote(node.Scalar()));
            return std::nullopt;
        }
        if (std::abs(n->number) > number_limit) {
            error_at(node.Mark(), at,
                     node.Scalar() + " is out of range (" + format_number(-number_limit) + ".." +
                         format_number(number_limit) + ")");
            return std::nullopt;
        }
        return n;
    }

    std::optional<written_number> number(std::string_view key) {
        return number_at(s_.raw(key), key, key_mark(key));
    }

    void read_name(rule& r, std::set<std::string, std::less<>>& names) {
        r.name = s_.required_str("name");
        if (r.name.empty()) return;
        if (!is_valid_name(r.name)) {
            s_.error(s_.raw("name"), "name", quote(r.name) + " may only contain A-Z a-z 0-9 _ . -");
        } else if (!names.insert(r.name).second) {
            s_.error(s_.raw("name"), "name", "duplicate rule name " + quote(r.name));
        }
    }

    static bool valid_pattern(std::string_view part) {
        return !part.empty() && std::all_of(part.begin(), part.end(), [](char c) {
            return c == '*' || is_valid_name(std::string_view(&c, 1));
        });
    }

    void read_match(rule& r) {
        const std::string match = s_.required_str("match");
        if (match.empty()) return;
        const auto slash = match.find('/');
        const std::string device = match.substr(0, slash);
        const std::string point = slash == std::string::npos ? "" : match.substr(slash + 1);
        if (slash == std::string::npos || !valid_pattern(device) || !valid_pattern(point)) {
            s_.error(s_.raw("match"), "match",
                     "expected DEVICE/POINT, each a name of A-Z a-z 0-9 _ . - or a glob with '*' "
                     "(e.g. boiler/temperature, */temperature), got " +
                         quote(match));
            return;
        }
        r.device_pattern = device;
        r.point_pattern = point;
        if (devices_ != nullptr) check_device(device);
    }

    void check_device(const std::string& pattern) {
        const auto matches = [&](const std::string& d) { return glob_match(pattern, d); };
        if (std::any_of(devices_->begin(), devices_->end(), matches)) return;
        if (is_glob(pattern)) {
            s_.error(s_.raw("match"), "match", quote(pattern) + " matches no device");
            return;
        }
        const auto suggestion = nearest(pattern, *devices_);
        s_.error(s_.raw("match"), "match",
                 "no device named " + quote(pattern) +
                     (suggestion ? ", did you mean '" + *suggestion + "'?" : std::string()));
    }

    void read_condition(rule& r) {
        std::optional<std::string_view> first;
        for (const auto& kv : s_.node()) {
            if (!kv.first.IsScalar()) continue;
            const std::string& key = kv.first.Scalar();
            const auto it = std::find(condition_keys.begin(), condition_keys.end(), key);
            // A repeated key is yaml_section's to report.
            if (it == condition_keys.end() || (first && key == *first)) continue;
            if (first) {
                s_.raw(key);
                error_at(kv.first.Mark(), key,
                         "a rule has one condition and this one has '" + std::string(*first) +
                             "' already (write a second rule)");
                continue;
            }
            first = *it;
            r.when.kind = static_cast<condition_kind>(it - condition_keys.begin());
        }
        // Every condition key counts as known, so that the ones above are not "unknown" too.
        for (const auto key : condition_keys) {
            if (!first || key != *first) s_.raw(key);
        }
        if (!first) {
            std::string keys;
            for (const auto key : condition_keys) {
                keys += (keys.empty() ? "" : ", ") + std::string(key);
            }
            s_.error("missing a condition, one of: " + keys);
            has_condition_ = false;
            return;
        }
        condition& c = r.when;
        switch (c.kind) {
            case condition_kind::above:
            case condition_kind::below:
            case condition_kind::rate_above:
            case condition_kind::rate_below:
                if (const auto n = number(*first)) {
                    c.limit = n->number;
                    c.clear_level = n->number;
                    c.threshold = n->as_written;
                }
                break;
            case condition_kind::outside:
            case condition_kind::inside:
                read_band(c, *first);
                break;
            case condition_kind::equals:
                read_equals(c);
                break;
            case condition_kind::stale:
                if (!s_.raw("stale").IsNull()) {
                    c.stale = s_.dur("stale", 0ms, 100ms, longest);
                } else {
                    error_at(key_mark("stale"), "stale", "expected a duration, got nothing");
                }
                c.threshold = seconds_value(c.stale);
                break;
        }
    }

    // Seconds as published: whole seconds stay an integer.
    static value seconds_value(duration d) {
        if (d.count() % 1000 == 0) return std::int64_t{d.count() / 1000};
        return static_cast<double>(d.count()) / 1000.0;
    }

    void read_band(condition& c, std::string_view key) {
        const YAML::Node node = s_.raw(key);
        const std::string expected = "expected [lo, hi] (two numbers), got ";
        if (!node.IsSequence()) {
            const bool empty = !node.IsDefined() || node.IsNull();
            error_at(empty ? key_mark(key) : node.Mark(), key, expected + describe_value(node));
            return;
        }
        if (node.size() != 2) {
            error_at(node.Mark(), key, expected + std::to_string(node.size()) + " items");
            return;
        }
        const auto lo = number_at(node[0], std::string(key) + "[0]", node.Mark());
        const auto hi = number_at(node[1], std::string(key) + "[1]", node.Mark());
        if (!lo || !hi) return;
        if (lo->number > hi->number) {
            error_at(node.Mark(), key,
                     "expected lo <= hi, got [" + node[0].Scalar() + ", " + node[1].Scalar() + "]");
            return;
        }
        c.lo = lo->number;
        c.hi = hi->number;
        c.threshold = value_band{lo->as_written, hi->as_written};
    }

    // true/false, a number, or text; quotes make text of anything ("true", "42").
    void read_equals(condition& c) {
        const YAML::Node node = s_.raw("equals");
        if (!node.IsScalar()) {
            const bool empty = !node.IsDefined() || node.IsNull();
            error_at(empty ? key_mark("equals") : node.Mark(), "equals",
                     "expected true, false, a number or text, got " + describe_value(node));
            return;
        }
        const std::string& text = node.Scalar();
        const bool quoted = node.Tag() == "!";
        if (!quoted && (text == "true" || text == "false")) {
            c.target = text == "true";
        } else if (const auto n = quoted ? std::nullopt : parse_number(text)) {
            c.target = n->as_written;
        } else {
            c.target = text;
        }
        c.threshold = c.target;
    }

    void not_for(std::string_view key, std::string_view kinds) {
        error_at(key_mark(key), key, "applies to " + std::string(kinds) + " only");
    }

    void read_hysteresis(rule& r) {
        condition& c = r.when;
        const bool present_below = s_.has("clear_below");
        const bool present_above = s_.has("clear_above");
        const bool present_deadband = s_.has("deadband");
        const bool present_window = s_.has("window");
        const auto clear_below = present_below ? number("clear_below") : std::nullopt;
        const auto clear_above = present_above ? number("clear_above") : std::nullopt;
        const auto deadband = present_deadband ? number("deadband") : std::nullopt;
        s_.raw("clear_below");
        s_.raw("clear_above");
        s_.raw("deadband");
        if (!has_condition_) {
            s_.raw("window");
            return;
        }
        const bool upward = c.kind == condition_kind::above || c.kind == condition_kind::rate_above;
        const bool downward =
            c.kind == condition_kind::below || c.kind == condition_kind::rate_below;
        if (present_below && !upward) not_for("clear_below", "above and rate_above");
        if (present_above && !downward) not_for("clear_above", "below and rate_below");
        if (present_deadband &&
            (c.kind == condition_kind::equals || c.kind == condition_kind::stale)) {
            not_for("deadband", "above, below, outside, inside, rate_above and rate_below");
        }
        if (present_deadband && (present_below || present_above)) {
            error_at(key_mark("deadband"), "deadband",
                     "give either deadband or " +
                         std::string(present_below ? "clear_below" : "clear_above") + ", not both");
        }
        if (clear_below && upward) {
            if (clear_below->number > c.limit) {
                error_at(s_.raw("clear_below").Mark(), "clear_below",
                         "must not be above the limit (" + format_number(c.limit) + ")");
            }
            c.clear_level = clear_below->number;
            c.clear_inclusive = false;
        }
        if (clear_above && downward) {
            if (clear_above->number < c.limit) {
                error_at(s_.raw("clear_above").Mark(), "clear_above",
                         "must not be below the limit (" + format_number(c.limit) + ")");
            }
            c.clear_level = clear_above->number;
            c.clear_inclusive = false;
        }
        if (deadband) {
            if (deadband->number < 0) {
                error_at(s_.raw("deadband").Mark(), "deadband", "must not be negative");
            } else if (upward) {
                c.clear_level = c.limit - deadband->number;
            } else if (downward) {
                c.clear_level = c.limit + deadband->number;
            } else if (c.kind == condition_kind::outside && c.lo + 2 * deadband->number > c.hi) {
                error_at(s_.raw("deadband").Mark(), "deadband",
                         s_.raw("deadband").Scalar() +
                             " leaves no room to clear inside the band (at most half its width, " +
                             format_number((c.hi - c.lo) / 2) + ")");
            } else {
                c.deadband = deadband->number;
            }
        }
        if (c.is_rate()) {
            c.window = s_.dur("window", 1min, 1s, 24h);
        } else if (present_window) {
            s_.raw("window");
            not_for("window", "rate_above and rate_below");
        }
    }

    static std::string default_message(condition_kind k) {
        const std::string head = "{rule} {state}: {device}/{point} ";
        switch (k) {
            case condition_kind::equals:
                return head + "is {value} (equals {threshold})";
            case condition_kind::rate_above:
                return head + "changes by {value}{unit} (rate above {threshold}{unit})";
            case condition_kind::rate_below:
                return head + "changes by {value}{unit} (rate below {threshold}{unit})";
            case condition_kind::stale:
                return head + "had no good reading for {value}{unit} (limit {threshold}{unit})";
            default:
                return head + "is {value}{unit} (" + std::string(to_string(k)) +
                       " {threshold}{unit})";
        }
    }

    void read_message(rule& r) {
        const auto text = s_.opt_str("message");
        auto parsed = message_template::parse(text ? *text : default_message(r.when.kind));
        if (auto* t = std::get_if<message_template>(&parsed)) {
            r.message = std::move(*t);
            return;
        }
        const auto& problem = std::get<message_template::parse_error>(parsed);
        const YAML::Node node = s_.raw("message");
        error_at(placeholder_mark(node, *text, problem.offset), "message", problem.message);
    }

    // Where the problem at `offset` of the message text is in the file. The text may be quoted,
    // escaped or folded, so the offset is not a column: the placeholder is looked up in the
    // source from the start of the scalar instead.
    YAML::Mark placeholder_mark(const YAML::Node& node, const std::string& text,
                                std::size_t offset) const {
        YAML::Mark at = node.Mark();
        if (source_.empty() || at.pos < 0 || static_cast<std::size_t>(at.pos) >= source_.size()) {
            return at;
        }
        std::string_view needle = std::string_view(text).substr(offset);
        needle = needle.substr(0, std::min(needle.find_first_of("}\n"), needle.size() - 1) + 1);
        const auto start = static_cast<std::size_t>(at.pos);
        const auto found = source_.find(needle, start);
        // Further away than the scalar could reach: not this one; keep the scalar's position.
        if (found == std::string_view::npos || found - start > 2 * text.size() + 16) return at;
        for (std::size_t i = start; i < found; ++i) {
            if (source_[i] == '\n') {
                ++at.line;
                at.column = 0;
            } else {
                ++at.column;
            }
        }
        return at;
    }

    yaml_section& s_;
    std::string_view source_;
    const std::vector<std::string>* devices_;
    bool has_condition_ = true;
};

}  // namespace

std::vector<rule> parse_rules(const YAML::Node& node, const std::string& path, diagnostics& diag,
                              std::string_view source, const std::vector<std::string>* devices) {
    std::vector<rule> rules;
    if (!node.IsDefined() || node.IsNull()) return rules;
    if (!node.IsSequence()) {
        diag.error(node.Mark().line, node.Mark().column, path,
                   "expected a sequence, got " + describe_value(node));
        return rules;
    }
    std::set<std::string, std::less<>> names;
    std::size_t i = 0;
    for (const YAML::Node& entry : node) {
        const std::string entry_path = path + "[" + std::to_string(i++) + "]";
        if (!entry.IsMap()) {
            diag.error(entry.Mark().line, entry.Mark().column, entry_path,
                       "expected a mapping, got " + describe_value(entry));
            continue;
        }
        yaml_section section(entry, entry_path, diag);
        rules.push_back(rule_reader(section, source, devices).read(names));
    }
    return rules;
}

}  // namespace edgegate
