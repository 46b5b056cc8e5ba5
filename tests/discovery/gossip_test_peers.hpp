#pragma once
// Peers for the gossip core tests: real Ed25519 identities (a PeerId must be a valid point
// to survive decoding) with a loopback address each, and helpers to pick actions apart.

#include <fmt/format.h>

#include <vector>

#include "gossip/actions.hpp"

namespace mosaik::discovery::gossip::test {

inline EndpointAddr peer_addr(int i) {
  const PeerId id = SecretKey::from_seed(fmt::format("gossip-test-{}", i)).public_key();
  return EndpointAddr(id, {SocketAddr(asio::ip::make_address("127.0.0.1"), static_cast<std::uint16_t>(20'000 + i))});
}

// The messages of type M sent in `actions`, with their destinations.
template <class M>
std::vector<std::pair<PeerId, M>> sent(const Actions& actions) {
  std::vector<std::pair<PeerId, M>> out;
  for (const auto& a : actions) {
    if (const auto* s = std::get_if<Send>(&a)) {
      if (const auto* m = std::get_if<M>(&s->message)) out.emplace_back(s->to.id, *m);
    }
  }
  return out;
}

template <class A>
std::vector<A> of_type(const Actions& actions) {
  std::vector<A> out;
  for (const auto& a : actions) {
    if (const auto* x = std::get_if<A>(&a)) out.push_back(*x);
  }
  return out;
}

}  // namespace mosaik::discovery::gossip::test
