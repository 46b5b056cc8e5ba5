#pragma once
// EndpointAddr: how to reach a node: its PeerId (which TLS authenticates), an optional
// relay URL, and the UDP addresses it listens on. Nodes share it to bootstrap each other.
//
//   EndpointAddr addr = network.local().addr();
//   auto text = addr.to_string();  auto back = EndpointAddr::parse(text);   // "<peer-id>@127.0.0.1:4001,[::1]:4001"

#include <asio/ip/udp.hpp>

#include <compare>
#include <cstdint>
#include <expected>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "mosaik/primitives/keys.hpp"

namespace mosaik {

using SocketAddr = asio::ip::udp::endpoint;

struct EndpointAddr {
  PeerId id;
  std::optional<std::string> relay_url;
  std::set<SocketAddr> direct_addresses;

  EndpointAddr() = default;
  explicit EndpointAddr(PeerId peer, std::set<SocketAddr> addresses = {},
                        std::optional<std::string> relay = std::nullopt)
      : id(peer), relay_url(std::move(relay)), direct_addresses(std::move(addresses)) {}

  // "<64-hex peer id>[@addr[,addr...]]"; IPv6 addresses in brackets.
  std::string to_string() const;
  [[nodiscard]] static std::expected<EndpointAddr, std::string> parse(std::string_view text);

  bool operator==(const EndpointAddr&) const = default;
};

// "1.2.3.4:5" or "[::1]:5".
std::string to_string(const SocketAddr& a);

namespace transport {
using mosaik::EndpointAddr;
using mosaik::SocketAddr;
}  // namespace transport

}  // namespace mosaik

template <>
struct fmt::formatter<mosaik::SocketAddr> : fmt::formatter<std::string_view> {
  auto format(const mosaik::SocketAddr& a, fmt::format_context& ctx) const {
    return fmt::formatter<std::string_view>::format(mosaik::to_string(a), ctx);
  }
};

template <>
struct fmt::formatter<mosaik::EndpointAddr> : fmt::formatter<std::string_view> {
  auto format(const mosaik::EndpointAddr& a, fmt::format_context& ctx) const {
    return fmt::formatter<std::string_view>::format(a.to_string(), ctx);
  }
};

// msgpack: a socket address is [ip bytes (4 or 16), port]; an EndpointAddr is
// [peer id, relay url or nil, [addresses...]]. Malformed addresses fail to decode.
namespace msgpack {
MSGPACK_API_VERSION_NAMESPACE(MSGPACK_DEFAULT_API_NS) {
  namespace adaptor {
  template <>
  struct convert<mosaik::SocketAddr> {
    const msgpack::object& operator()(const msgpack::object& o, mosaik::SocketAddr& v) const;
  };
  template <>
  struct pack<mosaik::SocketAddr> {
    template <class Stream>
    msgpack::packer<Stream>& operator()(msgpack::packer<Stream>& p, const mosaik::SocketAddr& v) const {
      p.pack_array(2);
      const auto ip = v.address();
      if (ip.is_v4()) {
        const auto bytes = ip.to_v4().to_bytes();
        p.pack_bin(bytes.size());
        p.pack_bin_body(reinterpret_cast<const char*>(bytes.data()), bytes.size());
      } else {
        const auto bytes = ip.to_v6().to_bytes();
        p.pack_bin(bytes.size());
        p.pack_bin_body(reinterpret_cast<const char*>(bytes.data()), bytes.size());
      }
      p.pack(v.port());
      return p;
    }
  };
  template <>
  struct convert<mosaik::EndpointAddr> {
    const msgpack::object& operator()(const msgpack::object& o, mosaik::EndpointAddr& v) const {
      if (o.type != msgpack::type::ARRAY || o.via.array.size != 3) throw msgpack::type_error();
      o.via.array.ptr[0].convert(v.id);
      o.via.array.ptr[1].convert(v.relay_url);
      o.via.array.ptr[2].convert(v.direct_addresses);
      return o;
    }
  };
  template <>
  struct pack<mosaik::EndpointAddr> {
    template <class Stream>
    msgpack::packer<Stream>& operator()(msgpack::packer<Stream>& p, const mosaik::EndpointAddr& v) const {
      p.pack_array(3);
      p.pack(v.id);
      p.pack(v.relay_url);
      p.pack(v.direct_addresses);
      return p;
    }
  };
  }  // namespace adaptor
}
}  // namespace msgpack
