// Which subsystem handles an incoming connection: one handler per ALPN. The server offers
// exactly the registered ALPNs in its handshake; a connection for any other is closed
// with InvalidAlpn. An ALPN may bound the accepted connections negotiating it that are held
// at once (EndpointCore::admits_alpn refuses the excess at their ClientHello).
//
// The bound reaches the router inside the handler (BoundedHandler, register_bounded_alpn):
// Endpoint::register_alpn keeps its signature, so the public endpoint header (included by
// nearly every file of the tree) did not change for it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "mosaik/transport/connection.hpp"

namespace mosaik::transport::detail {

// A handler and the bound of its protocol's connections, as register_bounded_alpn passes it.
struct BoundedHandler {
  std::function<void(Connection)> handler;
  std::size_t max_connections = SIZE_MAX;
  void operator()(Connection connection) const { handler(std::move(connection)); }
};

class AlpnRouter {
 public:
  using Handler = std::function<void(Connection)>;
  struct Route {
    Handler handler;
    std::size_t max_connections = SIZE_MAX;
  };

  // Replaces any handler already registered for `alpn`; a BoundedHandler is unwrapped.
  void add(std::string alpn, Handler handler) {
    Route route{std::move(handler)};
    if (const auto* bounded = route.handler.target<BoundedHandler>()) {
      route = Route{bounded->handler, bounded->max_connections};
    }
    handlers_[std::move(alpn)] = std::move(route);
  }
  void remove(const std::string& alpn) { handlers_.erase(alpn); }
  const Route* find(const std::string& alpn) const {
    auto it = handlers_.find(alpn);
    return it == handlers_.end() ? nullptr : &it->second;
  }
  std::vector<std::string> alpns() const {
    std::vector<std::string> out;
    for (const auto& [alpn, route] : handlers_) out.push_back(alpn);
    return out;
  }
  bool empty() const { return handlers_.empty(); }

 private:
  std::map<std::string, Route> handlers_;
};

}  // namespace mosaik::transport::detail
