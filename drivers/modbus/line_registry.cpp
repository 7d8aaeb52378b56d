#include "drivers/modbus/line_registry.hpp"

#include <map>
#include <mutex>
#include <string>

namespace edgegate {

namespace {

std::string parity_name(char p) { return p == 'N' ? "none" : p == 'O' ? "odd" : "even"; }

// Reports each setting of `mine` that differs from the line's; true when there was any.
bool conflicts(const link_settings& mine, const modbus_line& line, yaml_section& device) {
    const link_settings& theirs = line.link();
    const std::string what =
        mine.kind == transport::rtu ? "serial line " + mine.key() : "endpoint " + mine.key();
    bool any = false;
    const auto differ = [&](const char* key, const std::string& their_value) {
        device.error(device.raw(key), key,
                     what + " is already used by device '" + line.owner() + "' with " + key + " " +
                         their_value + ": devices sharing it must use the same " + key);
        any = true;
    };
    if (mine.kind != theirs.kind) {
        differ("transport", transport_name(theirs.kind));
        return true;
    }
    if (mine.kind != transport::rtu) return false;
    if (mine.baud != theirs.baud) differ("baud", std::to_string(theirs.baud));
    if (mine.parity != theirs.parity) differ("parity", parity_name(theirs.parity));
    if (mine.data_bits != theirs.data_bits) differ("data_bits", std::to_string(theirs.data_bits));
    if (mine.stop_bits != theirs.stop_bits) differ("stop_bits", std::to_string(theirs.stop_bits));
    return any;
}

}  // namespace

std::shared_ptr<modbus_line> attach_line(const modbus_device_config& cfg, yaml_section& device) {
    static std::mutex mutex;
    static std::map<std::string, std::weak_ptr<modbus_line>> lines;
    std::lock_guard lock(mutex);
    std::erase_if(lines, [](const auto& entry) { return entry.second.expired(); });
    auto& slot = lines[cfg.link.key()];
    if (auto line = slot.lock()) {
        return conflicts(cfg.link, *line, device) ? nullptr : line;
    }
    auto line = std::make_shared<modbus_line>(cfg.link, cfg.name);
    slot = line;
    return line;
}

}  // namespace edgegate
