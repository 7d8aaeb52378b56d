#pragma once

// Configuration tests compare every error of a file or entry, as printed, with the exact
// expected lines; this prints such a list readably when a comparison fails.

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "drivers/registry.hpp"
#include "gateway/core/diagnostics.hpp"
#include "gateway/core/yaml_section.hpp"

namespace doctest {
template <>
struct StringMaker<std::vector<std::string>> {
    static String convert(const std::vector<std::string>& lines) {
        std::string text = "{";
        for (const auto& line : lines) text += "\n  \"" + line + "\"";
        return (text + "\n}").c_str();
    }
};
}  // namespace doctest

namespace edgegate::test {

using messages = std::vector<std::string>;

// A device entry as the loader hands it to a driver: `name` and `driver` already read, the rest
// for the driver to validate (file name "t.yaml", key path `devices[0]`).
struct device_entry {
    diagnostics diag{"t.yaml"};
    YAML::Node node;
    yaml_section section;
    std::string name;

    explicit device_entry(const std::string& yaml)
        : node(YAML::Load(yaml)), section(node, "devices[0]", diag) {
        name = section.required_str("name");
        section.required_str("driver");
    }

    messages errors() const {
        messages lines;
        for (const auto& e : diag.errors()) lines.push_back(e.to_string());
        return lines;
    }
};

// Every error `driver` reports for the entry `yaml`, as printed; a driver is built exactly when
// there is none.
inline messages driver_errors(const std::string& driver, const std::string& yaml) {
    device_entry e(yaml);
    const auto d = make_driver(driver, e.name, e.section);
    CHECK((d == nullptr) == !e.diag.ok());
    return e.errors();
}

}  // namespace edgegate::test
