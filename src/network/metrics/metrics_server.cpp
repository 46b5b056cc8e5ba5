#include "metrics_server.hpp"

#include <CivetServer.h>
#include <civetweb.h>
#include <prometheus/exposer.h>

#include <fmt/format.h>

#include <exception>
#include <map>
#include <mutex>
#include <string_view>

#include "collector.hpp"
#include "state_json.hpp"
#include "web_page.hpp"

namespace mosaik::network::detail {
namespace {

// civetweb calls begin_request with a connection and no user pointer of ours (the Exposer
// owns the server), so each server is found by the port the request came in on.
std::mutex registry_mutex;
std::map<int, const MetricsServer::Sources*> registry;  // guarded by registry_mutex

void reply(mg_connection* conn, std::string_view type, std::string_view body) {
  mg_printf(conn,
            "HTTP/1.1 200 OK\r\nContent-Type: %.*s\r\nContent-Length: %zu\r\n"
            "Cache-Control: no-store\r\nConnection: close\r\n\r\n",
            static_cast<int>(type.size()), type.data(), body.size());
  mg_write(conn, body.data(), body.size());
}

// "/" is the live web view, "/state.json" what it draws; anything else (GET /metrics) goes
// on to the Exposer. Returns the HTTP status when it answered, 0 otherwise.
int begin_request(mg_connection* conn) {
  const auto* info = mg_get_request_info(conn);
  if (info == nullptr || info->local_uri == nullptr) return 0;
  const std::string_view uri = info->local_uri;
  if (uri != "/" && uri != "/state.json") return 0;
  std::lock_guard lock(registry_mutex);  // held while answering: the server cannot go meanwhile
  const auto it = registry.find(info->server_port);
  if (it == registry.end()) return 0;
  if (uri == "/") {
    reply(conn, "text/html; charset=utf-8", web_page());
  } else {
    reply(conn, "application/json", state_json(*it->second));
  }
  return 200;
}

}  // namespace

std::expected<std::unique_ptr<MetricsServer>, std::string> MetricsServer::start(SocketAddr address,
                                                                                Sources sources) {
  std::unique_ptr<MetricsServer> server(new MetricsServer());
  server->collector_ = std::make_shared<Collector>(sources);
  server->sources_ = std::make_unique<Sources>(std::move(sources));
  const auto bind = address.address().is_v6()
                        ? fmt::format("[{}]:{}", address.address().to_string(), address.port())
                        : fmt::format("{}:{}", address.address().to_string(), address.port());
  static const CivetCallbacks callbacks = [] {
    CivetCallbacks c;
    c.begin_request = begin_request;
    return c;
  }();
  try {
    server->exposer_ = std::make_unique<prometheus::Exposer>(
        std::vector<std::string>{"listening_ports", bind, "num_threads", "2"}, &callbacks);
  } catch (const std::exception& e) {
    return std::unexpected(fmt::format("cannot serve metrics on {}: {}", bind, e.what()));
  }
  server->exposer_->RegisterCollectable(server->collector_);
  const auto ports = server->exposer_->GetListeningPorts();
  server->address_ = SocketAddr(
      address.address(), ports.empty() ? address.port() : static_cast<std::uint16_t>(ports.front()));
  std::lock_guard lock(registry_mutex);
  registry[server->address_.port()] = server->sources_.get();
  return server;
}

MetricsServer::~MetricsServer() {
  {
    std::lock_guard lock(registry_mutex);
    registry.erase(address_.port());
  }
  exposer_.reset();  // stops the server's threads
}

}  // namespace mosaik::network::detail
