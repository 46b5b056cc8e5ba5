// register_bounded_alpn: the handler travels wrapped with its bound through
// Endpoint::register_alpn, and the endpoint's core unwraps it (EndpointCore::register_alpn).
#include "mosaik/transport/bounded_alpn.hpp"

#include "alpn_router.hpp"

namespace mosaik::transport {

void register_bounded_alpn(Endpoint& endpoint, std::string alpn, Endpoint::AcceptHandler handler,
                           std::size_t max_connections) {
  endpoint.register_alpn(std::move(alpn), detail::BoundedHandler{std::move(handler), max_connections});
}

}  // namespace mosaik::transport
