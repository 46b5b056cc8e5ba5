#include "mosaik/transport/endpoint_addr.hpp"

#include <gtest/gtest.h>

#include "mosaik/primitives/wire.hpp"

namespace mosaik {
namespace {

EndpointAddr sample() {
  const auto id = SecretKey::from_seed("addr").public_key();
  return EndpointAddr(id, {SocketAddr(asio::ip::make_address("127.0.0.1"), 4001),
                           SocketAddr(asio::ip::make_address("::1"), 4002)});
}

TEST(EndpointAddr, prints_and_parses_back) {
  const EndpointAddr a = sample();
  const std::string text = a.to_string();
  EXPECT_NE(text.find("@"), std::string::npos);
  EXPECT_NE(text.find("127.0.0.1:4001"), std::string::npos);
  EXPECT_NE(text.find("[::1]:4002"), std::string::npos);
  EXPECT_EQ(EndpointAddr::parse(text).value(), a);
}

TEST(EndpointAddr, peer_id_alone_is_a_valid_address) {
  const EndpointAddr a(SecretKey::from_seed("x").public_key());
  EXPECT_EQ(EndpointAddr::parse(a.to_string()).value(), a);
}

TEST(EndpointAddr, bad_text_is_refused_with_a_reason) {
  const std::string id = SecretKey::from_seed("x").public_key().to_string();
  EXPECT_FALSE(EndpointAddr::parse("nothex@127.0.0.1:1").has_value());
  EXPECT_NE(EndpointAddr::parse(id + "@127.0.0.1").error().find("port"), std::string::npos);
  EXPECT_NE(EndpointAddr::parse(id + "@127.0.0.1:70000").error().find("port"), std::string::npos);
  EXPECT_NE(EndpointAddr::parse(id + "@999.0.0.1:1").error().find("IP"), std::string::npos);
  EXPECT_FALSE(EndpointAddr::parse(id + "@[::1:5").has_value());
}

TEST(EndpointAddr, msgpack_round_trips) {
  EndpointAddr a = sample();
  a.relay_url = "https://relay.example";
  EXPECT_EQ(wire::decode<EndpointAddr>(wire::encode(a)).value(), a);
}

TEST(EndpointAddr, msgpack_refuses_bad_ip_length) {
  // [peer, nil, [[bin(3), 80]]]
  wire::Bytes b = wire::encode(EndpointAddr(SecretKey::from_seed("x").public_key()));
  b.pop_back();                      // drop the empty address array
  const wire::Bytes bad = {0x91, 0x92, 0xc4, 0x03, 1, 2, 3, 0x50};
  b.insert(b.end(), bad.begin(), bad.end());
  EXPECT_EQ(wire::decode<EndpointAddr>(b).error().code, wire::DecodeErrc::kTypeMismatch);
}

}  // namespace
}  // namespace mosaik
