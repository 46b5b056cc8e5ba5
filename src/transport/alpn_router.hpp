// Which subsystem handles an incoming connection: one handler per ALPN. The server offers
// exactly the registered ALPNs in its handshake; a connection for any other is closed
// with InvalidAlpn.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "mosaik/transport/connection.hpp"

namespace mosaik::transport::detail {

class AlpnRouter {
 public:
  using Handler = std::function<void(Connection)>;

  // Replaces any handler already registered for `alpn`.
  void add(std::string alpn, Handler handler) { handlers_[std::move(alpn)] = std::move(handler); }
  void remove(const std::string& alpn) { handlers_.erase(alpn); }
  const Handler* find(const std::string& alpn) const {
    auto it = handlers_.find(alpn);
    return it == handlers_.end() ? nullptr : &it->second;
  }
  std::vector<std::string> alpns() const {
    std::vector<std::string> out;
    for (const auto& [alpn, handler] : handlers_) out.push_back(alpn);
    return out;
  }
  bool empty() const { return handlers_.empty(); }

 private:
  std::map<std::string, Handler> handlers_;
};

}  // namespace mosaik::transport::detail
