#include "membership_codec.hpp"

#include <msgpack.hpp>

namespace mosaik::groups::raft {

Bytes encode_membership(const Membership& m) {
  msgpack::sbuffer buffer;
  msgpack::pack(buffer, m);
  const auto* p = reinterpret_cast<const std::uint8_t*>(buffer.data());
  return Bytes(p, p + buffer.size());
}

std::optional<Membership> decode_membership(const Bytes& bytes) {
  const msgpack::unpack_limit limit(4096, 64, 1 << 20, 1 << 20, 4096, 8);
  Membership m;
  try {
    auto handle = msgpack::unpack(reinterpret_cast<const char*>(bytes.data()), bytes.size(),
                                  nullptr, nullptr, limit);
    handle.get().convert(m);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (!m.well_formed() || m.voters.empty()) return std::nullopt;
  return m;
}

}  // namespace mosaik::groups::raft
