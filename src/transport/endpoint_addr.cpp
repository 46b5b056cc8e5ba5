#include "mosaik/transport/endpoint_addr.hpp"

#include <fmt/format.h>

#include <charconv>

namespace mosaik {

std::string to_string(const SocketAddr& a) {
  if (a.address().is_v6()) return fmt::format("[{}]:{}", a.address().to_string(), a.port());
  return fmt::format("{}:{}", a.address().to_string(), a.port());
}

namespace {

std::expected<SocketAddr, std::string> parse_socket(std::string_view text) {
  std::string_view host;
  std::string_view port;
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return std::unexpected(fmt::format("bad IPv6 socket address '{}'", text));
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      return std::unexpected(fmt::format("socket address '{}' has no port", text));
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  std::error_code ec;
  const auto ip = asio::ip::make_address(std::string(host), ec);
  if (ec) return std::unexpected(fmt::format("bad IP address '{}'", host));
  unsigned value = 0;
  const auto [end, err] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (err != std::errc() || end != port.data() + port.size() || value > 65535) {
    return std::unexpected(fmt::format("bad port '{}'", port));
  }
  return SocketAddr(ip, static_cast<std::uint16_t>(value));
}

}  // namespace

std::string EndpointAddr::to_string() const {
  std::string out = id.to_string();
  char sep = '@';
  for (const auto& a : direct_addresses) {
    out += sep;
    out += mosaik::to_string(a);
    sep = ',';
  }
  return out;
}

std::expected<EndpointAddr, std::string> EndpointAddr::parse(std::string_view text) {
  const auto at = text.find('@');
  auto id = PeerId::parse(text.substr(0, at));
  if (!id) return std::unexpected(fmt::format("bad peer id: {}", mosaik::to_string(id.error())));
  EndpointAddr addr(*id);
  if (at == std::string_view::npos) return addr;
  std::string_view rest = text.substr(at + 1);
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    auto socket = parse_socket(rest.substr(0, comma));
    if (!socket) return std::unexpected(socket.error());
    addr.direct_addresses.insert(*socket);
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
  }
  return addr;
}

}  // namespace mosaik

namespace msgpack {
MSGPACK_API_VERSION_NAMESPACE(MSGPACK_DEFAULT_API_NS) {
  namespace adaptor {
  const msgpack::object& convert<mosaik::SocketAddr>::operator()(const msgpack::object& o,
                                                                  mosaik::SocketAddr& v) const {
    if (o.type != msgpack::type::ARRAY || o.via.array.size != 2) throw msgpack::type_error();
    const msgpack::object& ip = o.via.array.ptr[0];
    if (ip.type != msgpack::type::BIN) throw msgpack::type_error();
    const auto port = o.via.array.ptr[1].as<std::uint16_t>();
    if (ip.via.bin.size == 4) {
      asio::ip::address_v4::bytes_type b;
      std::memcpy(b.data(), ip.via.bin.ptr, b.size());
      v = mosaik::SocketAddr(asio::ip::address_v4(b), port);
    } else if (ip.via.bin.size == 16) {
      asio::ip::address_v6::bytes_type b;
      std::memcpy(b.data(), ip.via.bin.ptr, b.size());
      v = mosaik::SocketAddr(asio::ip::address_v6(b), port);
    } else {
      throw msgpack::type_error();
    }
    return o;
  }
  }  // namespace adaptor
}
}  // namespace msgpack
