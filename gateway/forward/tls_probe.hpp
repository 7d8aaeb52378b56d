#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "gateway/config/config.hpp"

namespace edgegate {

// Why a TLS handshake with the broker fails, in OpenSSL's words: a handshake of our own with the
// settings Paho uses (`tls`: the CA file or the system store, the client certificate and key when
// set, SNI, and the check that the certificate names the host), because Paho's own error callback
// cannot be used safely (forwarder.hpp). For a failed verification this is the reason
// X509_verify_cert_error_string gives ("certificate verify failed (unable to get local issuer
// certificate)"), otherwise the first reason OpenSSL queued; nothing when the handshake passes, the
// TCP connect fails, or `timeout` runs out. Checks the chain: meant for `tls.verify` true.
// `server` is HOST[:PORT] as in the broker URI (HOST possibly a bracketed IPv6 address, PORT 8883
// when absent). Any thread; blocks for the name lookup plus at most `timeout`. Relies on SIGPIPE
// being ignored, which Paho does when it initialises (DESIGN.md).
std::optional<std::string> tls_handshake_failure(std::string_view server, const tls_section& tls,
                                                 std::chrono::milliseconds timeout);

}  // namespace edgegate
