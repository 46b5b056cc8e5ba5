#pragma once
// The identity of a group member inside the consensus core: 32 bytes, ordered, hashable,
// msgpack-encoded as raw bytes. The groups shell derives it from the member's PeerId and a
// storage epoch (a member that lost its log comes back as a new member).
// TODO(raft): becomes `using NodeId = mosaik::Digest;` once primitives/digest.hpp lands.

#include <array>
#include <compare>
#include <cstdint>
#include <cstring>
#include <functional>

#include <fmt/format.h>
#include <msgpack.hpp>

namespace mosaik::groups::raft {

struct NodeId {
  std::array<std::uint8_t, 32> bytes{};

  static NodeId from_u64(std::uint64_t v) {
    NodeId id;
    for (int i = 0; i < 8; ++i) id.bytes[24 + i] = static_cast<std::uint8_t>(v >> (56 - 8 * i));
    return id;
  }
  [[nodiscard]] bool is_zero() const { return *this == NodeId{}; }
  friend auto operator<=>(const NodeId&, const NodeId&) = default;
  friend bool operator==(const NodeId&, const NodeId&) = default;

  template <class Packer>
  void msgpack_pack(Packer& pk) const {
    pk.pack_bin(32);
    pk.pack_bin_body(reinterpret_cast<const char*>(bytes.data()), 32);
  }
  void msgpack_unpack(const msgpack::object& o) {
    if (o.type != msgpack::type::BIN || o.via.bin.size != 32) throw msgpack::type_error();
    std::memcpy(bytes.data(), o.via.bin.ptr, 32);
  }
};

}  // namespace mosaik::groups::raft

template <>
struct std::hash<mosaik::groups::raft::NodeId> {
  std::size_t operator()(const mosaik::groups::raft::NodeId& id) const noexcept {
    std::uint64_t h = 0;
    std::memcpy(&h, id.bytes.data() + 24, 8);
    std::uint64_t g = 0;
    std::memcpy(&g, id.bytes.data(), 8);
    return std::hash<std::uint64_t>{}(h ^ (g * 0x9E3779B97F4A7C15ull));
  }
};

template <>
struct fmt::formatter<mosaik::groups::raft::NodeId> : fmt::formatter<std::string_view> {
  auto format(const mosaik::groups::raft::NodeId& id, format_context& ctx) const {
    auto out = ctx.out();
    for (int i = 0; i < 5; ++i) out = fmt::format_to(out, "{:02x}", id.bytes[i]);
    out = fmt::format_to(out, "..");
    for (int i = 29; i < 32; ++i) out = fmt::format_to(out, "{:02x}", id.bytes[i]);
    return out;
  }
};
