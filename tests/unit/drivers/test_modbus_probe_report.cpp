// What `edgegate probe modbus` prints: every decoding, so a user can find their byte order.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "drivers/modbus/probe_report.hpp"

using namespace edgegate;

namespace {

bool has_line(const std::string& text, const std::string& line) {
    return text.find("\n" + line + "\n") != std::string::npos;
}

}  // namespace

TEST_CASE("four registers: each register, 32-bit values in four orders, 64-bit in four") {
    // 21.5f is 0x41AC0000; sent CDAB it reads 0x0000 0x41AC.
    const std::vector<std::uint16_t> regs{0x0000, 0x41AC, 0x4142, 0x4344};
    const std::string text = format_probe_report(modbus_table::holding, 100, regs);
    INFO(text);
    CHECK(text.starts_with("registers\n  address  hex     uint16  int16\n"));
    CHECK(has_line(text, "  101      0x41AC  16812   16812"));
    CHECK(has_line(
        text, "  100      CDAB      0x41AC0000  1101791232            1101791232            21.5"));
    CHECK(has_line(
        text,
        "  100      ABCD      0x000041AC  16812                 16812                 2.3559e-41"));
    CHECK(has_line(
        text,
        "  102      ABCD      0x41424344  1094861636            1094861636            12.141422"));
    // Three starting addresses for 32-bit values, one for 64-bit, four orders each.
    CHECK(text.find("\n  102      CDAB") != std::string::npos);
    CHECK(text.find("\n  103      ABCD") == std::string::npos);
    CHECK(has_line(text,
                   "  100      GHEFCDAB  0x4344414241AC0000  4847070851782934528   "
                   "4847070851782934528   11402504719302656"));
    CHECK(text.find("\n  101      ABCDEFGH") == std::string::npos);
    CHECK(text.ends_with(
        "text, high byte first: \"..A.ABCD\"\ntext, low byte first:  \"...ABADC\"\n"));
}

TEST_CASE("fewer registers print only what they make; bits print one a line") {
    const std::vector<std::uint16_t> one{0xFFFF};
    const std::string text = format_probe_report(modbus_table::input, 0, one);
    CHECK(has_line(text, "  0        0xFFFF  65535   -1"));
    CHECK(text.find("32-bit") == std::string::npos);

    const std::vector<std::uint16_t> bits{1, 0, 1};
    CHECK(format_probe_report(modbus_table::coil, 7, bits) ==
          "coils\n  address  value\n  7        1\n  8        0\n  9        1\n");
}
