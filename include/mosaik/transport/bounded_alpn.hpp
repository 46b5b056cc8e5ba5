#pragma once
// A protocol served with a bound on its connections: at most `max_connections` accepted
// connections negotiating `alpn` are held at once (handshaking or open). A client asking
// for it past that is refused as soon as its ClientHello is read, before the endpoint
// answers, signs or checks anything for it, and fails at once with ConnectError::Kind::kBusy,
// so it can retry on its own schedule (docs/decisions/0218). Otherwise like
// Endpoint::register_alpn.
//
//   transport::register_bounded_alpn(endpoint, "/mosaik/catalog-sync", handler, 32);

#include <cstddef>
#include <string>

#include "mosaik/transport/endpoint.hpp"

namespace mosaik::transport {

void register_bounded_alpn(Endpoint& endpoint, std::string alpn, Endpoint::AcceptHandler handler,
                           std::size_t max_connections);

}  // namespace mosaik::transport
