#include <iostream>

#include "gateway/cli/commands.hpp"
#include "gateway/config/config.hpp"
#include "gateway/core/diagnostics.hpp"
#include "gateway/core/units.hpp"

namespace edgegate {

int check_config(const std::string& config_path) {
    try {
        const gateway_config cfg = load_config(config_path);
        // Worth fixing but not wrong: the gateway runs with them, so the exit code stays 0.
        for (const auto& w : cfg.mqtt.warnings) std::cerr << "warning: " << w << '\n';
        std::cout << config_path << ": ok (gateway '" << cfg.gateway.id << "', "
                  << cfg.devices.size() << " device(s), journal " << cfg.journal.path << ", broker "
                  << cfg.mqtt.uri << ")\n";
        return 0;
    } catch (const config_exception& e) {
        for (const auto& err : e.errors()) std::cerr << err.to_string() << '\n';
        std::cerr << e.errors().size() << " error(s) in " << config_path << '\n';
        return 1;
    } catch (const config_unreadable& e) {
        std::cerr << e.what() << '\n';
        return 2;
    }
}

}  // namespace edgegate
