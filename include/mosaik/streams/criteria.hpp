#pragma once
// Criteria: what a consumer asks a producer to send it, sent once at subscription and
// matched at the source. As in the seed it is still a placeholder that matches everything;
// it travels on the wire (as an empty array) so that adding fields later is a protocol
// change both sides can see.
//
//   auto c = network.streams().consumer<Price>().with_criteria(Criteria{}).build();

#include "mosaik/primitives/wire.hpp"

namespace mosaik::streams {

struct Criteria {
  template <class D>
  constexpr bool matches(const D& /*datum*/) const {
    return true;
  }
  bool operator==(const Criteria&) const = default;
  // An empty array on the wire; anything else is a type mismatch.
  template <typename Packer>
  void msgpack_pack(Packer& packer) const {
    packer.pack_array(0);
  }
  void msgpack_unpack(const msgpack::object& object) {
    ::mosaik::wire::detail::require_array_of(object, 0);
  }
};

}  // namespace mosaik::streams
