// The golden cases of tests/fixtures/rules: one folder per case, walked by this runner.
//
// A valid case has rules.yaml (a `rules:` section as in a configuration), input.txt and
// expected.txt. input.txt has one step per line, times from 2026-01-01T00:00:00Z:
//   12s boiler/temperature 91.5 [good|uncertain|bad] [UNIT]   a reading (true, false, 42, 4.2,
//                                                             nan, or "text" without spaces)
//   12s tick                                                  the pipeline's timer
//   12s restart [OTHER.yaml]                                  a new engine restored from the
//                                                             states saved so far (the journal)
// expected.txt has every alert event made, in order: its topic, a space, its journal body.
// An invalid case has rules.yaml and errors.txt: every error, as `edgegate check` prints it.
// EDGEGATE_UPDATE_GOLDEN=1 writes expected.txt / errors.txt from what the code does now; read
// the diff before committing it.
#include <doctest/doctest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "gateway/core/payload.hpp"
#include "rules/rule_engine.hpp"
#include "rules/rule_parser.hpp"

namespace doctest {
template <>
struct StringMaker<std::vector<std::string>> {
    static String convert(const std::vector<std::string>& lines) {
        std::string text = "{";
        for (const auto& line : lines) text += "\n  " + line;
        return (text + "\n}").c_str();
    }
};
}  // namespace doctest

using namespace edgegate;

namespace {

namespace fs = std::filesystem;

const timestamp base = from_unix_ms(1767225600000);  // 2026-01-01T00:00:00.000Z

std::string read_text(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::vector<std::string> read_lines(const fs::path& p) {
    std::vector<std::string> lines;
    std::ifstream in(p);
    std::string line;
    while (std::getline(in, line)) {
        if (!line.empty()) lines.push_back(line);
    }
    return lines;
}

void write_lines(const fs::path& p, const std::vector<std::string>& lines) {
    std::ofstream out(p);
    for (const auto& l : lines) out << l << '\n';
}

bool updating() {
    const char* v = std::getenv("EDGEGATE_UPDATE_GOLDEN");
    return v != nullptr && std::string(v) == "1";
}

// The errors of `file`, as `edgegate check` prints them (in file order), with the folder left
// out of the name so that the expectations do not depend on where the tree is.
std::vector<std::string> parse_errors(const fs::path& file, std::vector<rule>* rules) {
    const std::string text = read_text(file);
    diagnostics diag(file.filename().string());
    const YAML::Node root = YAML::Load(text);
    auto parsed = parse_rules(root["rules"], "rules", diag, text);
    if (rules != nullptr) *rules = std::move(parsed);
    auto errors = diag.errors();
    std::stable_sort(errors.begin(), errors.end(), [](const auto& a, const auto& b) {
        return std::tie(a.line, a.column) < std::tie(b.line, b.column);
    });
    std::vector<std::string> lines;
    for (const auto& e : errors) lines.push_back(e.to_string());
    return lines;
}

value parse_value(const std::string& text) {
    if (text == "true") return true;
    if (text == "false") return false;
    if (text == "nan") return std::nan("");
    if (text.size() >= 2 && text.front() == '"' && text.back() == '"') {
        return text.substr(1, text.size() - 2);
    }
    if (text.find_first_of(".eE") == std::string::npos) return std::int64_t{std::stoll(text)};
    return std::stod(text);
}

// The alert states the pipeline would have committed: the journal's alert_state table.
using state_store = std::map<std::tuple<std::string, std::string, std::string>, active_alert>;

void save(rule_engine& engine, state_store& store) {
    for (auto& c : engine.take_changes()) {
        const auto key = std::make_tuple(c.state.rule, c.state.device, c.state.point);
        if (c.active) {
            store[key] = c.state;
        } else {
            store.erase(key);
        }
    }
}

std::vector<rule> load_rules(const fs::path& file) {
    std::vector<rule> rules;
    const auto errors = parse_errors(file, &rules);
    INFO(file.string());
    REQUIRE(errors == std::vector<std::string>{});
    return rules;
}

std::vector<std::string> run_case(const fs::path& dir) {
    auto engine = std::make_unique<rule_engine>(load_rules(dir / "rules.yaml"));
    state_store store;
    std::vector<std::string> out;
    const auto emit = [&](const std::vector<alert>& alerts) {
        for (const auto& a : alerts) {
            const event ev = make_alert_event(a);
            CHECK(ev.lane == lane::high);
            CHECK(ev.retain);
            CHECK(ev.kind == event_kind::alert);
            out.push_back(ev.topic + " " + ev.body);
        }
        save(*engine, store);
    };
    int line_no = 0;
    for (const auto& line : read_lines(dir / "input.txt")) {
        ++line_no;
        if (line.front() == '#') continue;
        std::istringstream in(line);
        std::string when;
        std::string what;
        in >> when >> what;
        INFO(dir.filename().string() << "/input.txt:" << line_no << ": " << line);
        const auto offset = parse_duration(when);
        REQUIRE(offset);
        const timestamp t = base + *offset;
        if (what == "tick") {
            emit(engine->on_tick(t));
        } else if (what == "restart") {
            std::string other;
            in >> other;
            engine = std::make_unique<rule_engine>(
                load_rules(dir / (other.empty() ? "rules.yaml" : other)));
            std::vector<active_alert> saved;
            for (const auto& [key, a] : store) saved.push_back(a);
            emit(engine->restore(saved, t));
        } else {
            const auto slash = what.find('/');
            REQUIRE(slash != std::string::npos);
            reading r;
            r.device = what.substr(0, slash);
            r.point = what.substr(slash + 1);
            r.ts = t;
            std::string v;
            in >> v;
            REQUIRE(!v.empty());
            r.value = parse_value(v);
            std::string word;
            while (in >> word) {
                if (word == "good" || word == "uncertain" || word == "bad") {
                    r.quality = word == "good"        ? quality::good
                                : word == "uncertain" ? quality::uncertain
                                                      : quality::bad;
                } else {
                    r.unit = word;
                }
            }
            emit(engine->on_reading(r));
        }
    }
    return out;
}

std::vector<fs::path> cases() {
    std::vector<fs::path> dirs;
    for (const auto& e : fs::directory_iterator(std::string(EDGEGATE_FIXTURES) + "/rules")) {
        if (e.is_directory()) dirs.push_back(e.path());
    }
    std::sort(dirs.begin(), dirs.end());
    return dirs;
}

}  // namespace

TEST_CASE("every golden case of tests/fixtures/rules gives exactly its expected output") {
    std::size_t valid = 0;
    std::size_t invalid = 0;
    for (const auto& dir : cases()) {
        CAPTURE(dir.filename().string());
        if (fs::exists(dir / "errors.txt") || (updating() && !fs::exists(dir / "input.txt"))) {
            ++invalid;
            const auto errors = parse_errors(dir / "rules.yaml", nullptr);
            if (updating()) write_lines(dir / "errors.txt", errors);
            CHECK(!errors.empty());
            CHECK(errors == read_lines(dir / "errors.txt"));
        } else {
            ++valid;
            const auto events = run_case(dir);
            if (updating()) write_lines(dir / "expected.txt", events);
            CHECK(events == read_lines(dir / "expected.txt"));
        }
    }
    CHECK(valid >= 25);
    CHECK(invalid >= 20);
}
