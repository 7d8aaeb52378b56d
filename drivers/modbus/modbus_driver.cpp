#include "drivers/modbus/modbus_driver.hpp"

#include <vector>

#include "drivers/modbus/encode.hpp"
#include "drivers/modbus/line_registry.hpp"
#include "gateway/core/yaml_section.hpp"

namespace edgegate {

modbus_driver::modbus_driver(std::shared_ptr<modbus_line> line,
                             std::shared_ptr<device_poller> device)
    : line_(std::move(line)), device_(std::move(device)) {}

modbus_driver::~modbus_driver() { stop(); }

void modbus_driver::start(reading_sink sink) { line_->start_device(device_, std::move(sink)); }

void modbus_driver::stop() { line_->stop_device(device_); }

std::optional<std::size_t> modbus_driver::find(const std::string& point) const {
    const auto& points = device_->config().points;
    for (std::size_t i = 0; i < points.size(); ++i) {
        if (points[i].name == point) return i;
    }
    return std::nullopt;
}

std::optional<std::string> modbus_driver::check_write(const std::string& point,
                                                      const value& v) const {
    const auto index = find(point);
    if (!index) {
        std::vector<std::string> names;
        for (const auto& p : device_->config().points) names.push_back(p.name);
        const auto suggestion = nearest(point, names);
        return "unknown point " + quote(point) + " of device '" + name() + "'" +
               (suggestion ? ", did you mean '" + *suggestion + "'?" : std::string());
    }
    const modbus_point& p = device_->config().points[*index];
    if (!p.writable) {
        const bool read_only = p.table == modbus_table::input || p.table == modbus_table::discrete;
        return "point '" + point + "' of device '" + name() + "' is not writable" +
               (read_only
                    ? " (Modbus " + std::string(table_name(p.table)) + " tables are read-only)"
                    : " (its configuration does not say 'writable: true')");
    }
    encode_result encoded = encode_point(p, v);
    if (!encoded.ok()) return std::move(encoded.error);
    return std::nullopt;
}

void modbus_driver::write(const std::string& point, const value& v, write_done done) {
    const auto index = find(point);
    if (const auto refusal = check_write(point, v)) {
        done({false, "not written: " + *refusal, {}});
        return;
    }
    line_->queue_write(device_, *index, encode_point(device_->config().points[*index], v).data,
                       std::move(done));
}

std::unique_ptr<driver> make_modbus_driver(const std::string& name, yaml_section& device) {
    const std::size_t errors_before = device.diag().errors().size();
    modbus_device_config cfg = parse_modbus_device(name, device);
    if (device.diag().errors().size() != errors_before) return nullptr;
    auto line = attach_line(cfg, device);
    if (!line) return nullptr;
    return std::make_unique<modbus_driver>(std::move(line),
                                           std::make_shared<device_poller>(std::move(cfg)));
}

}  // namespace edgegate
