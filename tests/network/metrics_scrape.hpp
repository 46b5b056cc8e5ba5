#pragma once
// Reading a node's Prometheus endpoint in tests: nodes built with metrics on loopback, a
// blocking GET of /metrics, and one sample's value out of the text.
//
//   auto node = co_await test::node_with_metrics(net, test::loopback_any());
//   auto text = test::scrape(*node.metrics_address());
//   auto term = test::sample(text, test::group_series("mosaik_group_term", group));

#include <asio/ip/tcp.hpp>

#include <fmt/format.h>

#include <optional>
#include <sstream>
#include <string>
#include <string_view>

#include "mosaik/network/network.hpp"
#include "node_fixture.hpp"

namespace mosaik::test {

// 127.0.0.1, any port. Outside the coroutines: g++ 12 cannot keep a string literal in a
// co_await's full expression.
inline SocketAddr loopback_any() { return SocketAddr(asio::ip::make_address("127.0.0.1"), 0); }

inline NetworkBuilder builder_with_metrics(NetworkId net, SocketAddr metrics,
                                           discovery::Config::Builder discovery = fast_discovery()) {
  auto builder = Network::builder(std::move(net));
  builder.with_addresses({loopback_any()})
      .with_relay_mode(RelayMode::kDisabled)
      .with_discovery(std::move(discovery))
      .with_metrics(metrics);
  return builder;
}

inline asio::awaitable<Network> node_with_metrics(NetworkId net, SocketAddr metrics,
                                                  discovery::Config::Builder discovery = fast_discovery()) {
  auto builder = builder_with_metrics(std::move(net), metrics, std::move(discovery));
  auto built = co_await builder.build();
  if (!built) throw std::runtime_error("node failed to start: " + built.error().message);
  co_return std::move(*built);
}

// GET /metrics over a plain TCP socket: the response's body (blocking, bounded by a 5 s
// socket timeout).
inline std::string scrape(const SocketAddr& at) {
  asio::ip::tcp::iostream http;
  http.expires_after(std::chrono::seconds(5));
  http.connect(at.address().to_string(), std::to_string(at.port()));
  http << "GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n" << std::flush;
  std::string response((std::istreambuf_iterator<char>(http)), std::istreambuf_iterator<char>());
  const auto body = response.find("\r\n\r\n");
  return body == std::string::npos ? response : response.substr(body + 4);
}

// The value of the sample whose line starts with `series` followed by a space.
inline std::optional<double> sample(const std::string& text, const std::string& series) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  return std::nullopt;
}

// `name{group="<short id>"}`: one group's series.
inline std::string group_series(std::string_view name, const GroupId& group) {
  return fmt::format(R"({}{{group="{}"}})", name, group.to_short_hex());
}

}  // namespace mosaik::test
