#include "codec.hpp"

#include <fmt/format.h>

#include <numeric>
#include <type_traits>
#include <utility>

namespace mosaik::discovery::gossip {

std::string_view to_string(CodecErrc code) {
  switch (code) {
    case CodecErrc::kOversized:
      return "message larger than max_message_bytes";
    case CodecErrc::kMalformed:
      return "malformed gossip envelope";
    case CodecErrc::kUnknownKind:
      return "unknown message kind";
    case CodecErrc::kTooManyItems:
      return "a list exceeds its bound";
    case CodecErrc::kPayloadTooLarge:
      return "a payload exceeds max_payload_bytes";
    case CodecErrc::kTtlTooLarge:
      return "a walk length exceeds max_ttl";
    case CodecErrc::kIdMismatch:
      return "a gossip item's id is not the hash of its payload";
    case CodecErrc::kCount:
      break;
  }
  return "unknown codec error";
}

std::uint64_t CodecRejections::total() const {
  return std::accumulate(counts_.begin(), counts_.end(), std::uint64_t{0});
}

namespace {

struct UnknownKind {
  std::uint64_t kind;
};

// Converts `body` into alternative `index` of Message (found by a compile-time walk).
template <std::size_t I = 0>
Message convert_alternative(std::size_t index, const msgpack::object& body) {
  if constexpr (I < std::variant_size_v<Message>) {
    if (index == I) return Message{std::in_place_index<I>, body.as<std::variant_alternative_t<I, Message>>()};
    return convert_alternative<I + 1>(index, body);
  } else {
    throw UnknownKind{index};
  }
}

std::unexpected<CodecError> refuse(CodecErrc code, std::string detail) {
  return std::unexpected(CodecError{code, std::move(detail)});
}

std::expected<void, CodecError> check_count(std::size_t n, std::size_t bound, std::string_view what) {
  if (n > bound) return refuse(CodecErrc::kTooManyItems, fmt::format("{} {} > {}", n, what, bound));
  return {};
}

std::expected<void, CodecError> check_addr(const EndpointAddr& a, const WireLimits& limits) {
  return check_count(a.direct_addresses.size(), limits.max_addresses_per_peer, "addresses");
}

std::expected<void, CodecError> check_addrs(const std::vector<EndpointAddr>& peers,
                                            const WireLimits& limits) {
  if (auto ok = check_count(peers.size(), limits.max_shuffle_peers, "shuffle peers"); !ok) return ok;
  for (const auto& p : peers) {
    if (auto ok = check_addr(p, limits); !ok) return ok;
  }
  return {};
}

std::expected<void, CodecError> check_ttl(std::uint8_t ttl, const WireLimits& limits) {
  if (ttl > limits.max_ttl) return refuse(CodecErrc::kTtlTooLarge, fmt::format("ttl {}", ttl));
  return {};
}

struct LimitChecker {
  const WireLimits& limits;

  std::expected<void, CodecError> operator()(const Join& m) const { return check_addr(m.sender, limits); }
  std::expected<void, CodecError> operator()(const ForwardJoin& m) const {
    if (auto ok = check_ttl(m.ttl, limits); !ok) return ok;
    return check_addr(m.new_node, limits);
  }
  std::expected<void, CodecError> operator()(const Neighbor& m) const { return check_addr(m.sender, limits); }
  std::expected<void, CodecError> operator()(const NeighborReply& m) const {
    return check_addr(m.sender, limits);
  }
  std::expected<void, CodecError> operator()(const Disconnect&) const { return {}; }
  std::expected<void, CodecError> operator()(const Shuffle& m) const {
    if (auto ok = check_ttl(m.ttl, limits); !ok) return ok;
    if (auto ok = check_addr(m.origin, limits); !ok) return ok;
    return check_addrs(m.peers, limits);
  }
  std::expected<void, CodecError> operator()(const ShuffleReply& m) const {
    return check_addrs(m.peers, limits);
  }
  std::expected<void, CodecError> operator()(const Gossip& m) const {
    if (auto ok = check_count(m.items.size(), limits.max_gossip_items, "gossip items"); !ok) return ok;
    for (const auto& item : m.items) {
      if (item.payload.size() > limits.max_payload_bytes) {
        return refuse(CodecErrc::kPayloadTooLarge, fmt::format("{} bytes", item.payload.size()));
      }
    }
    return {};
  }
  std::expected<void, CodecError> operator()(const IHave& m) const {
    return check_count(m.ids.size(), limits.max_ids, "ihave ids");
  }
  std::expected<void, CodecError> operator()(const Graft& m) const {
    return check_count(m.ids.size(), limits.max_ids, "graft ids");
  }
  std::expected<void, CodecError> operator()(const Prune&) const { return {}; }
};

}  // namespace

wire::Bytes encode_message(const Message& message) {
  wire::Bytes out;
  wire::detail::ByteSink sink{out};
  msgpack::packer<wire::detail::ByteSink> packer(sink);
  packer.pack_array(2);
  packer.pack(static_cast<std::uint8_t>(message.index()));
  std::visit([&](const auto& body) { packer.pack(body); }, message);
  return out;
}

std::expected<void, CodecError> check_limits(const Message& message, const WireLimits& limits) {
  return std::visit(LimitChecker{limits}, message);
}

std::expected<void, CodecError> check_item_ids(const Message& message) {
  const auto* gossip = std::get_if<Gossip>(&message);
  if (gossip == nullptr) return {};
  for (std::size_t i = 0; i < gossip->items.size(); ++i) {
    const auto& item = gossip->items[i];
    if (item.id != Digest::hash(item.payload)) {
      return refuse(CodecErrc::kIdMismatch, fmt::format("item {} of {}", i, gossip->items.size()));
    }
  }
  return {};
}

std::expected<Message, CodecError> decode_message(std::span<const std::uint8_t> bytes,
                                                  const WireLimits& limits) {
  if (bytes.size() > limits.max_message_bytes) {
    return refuse(CodecErrc::kOversized, fmt::format("{} bytes", bytes.size()));
  }
  std::expected<Message, CodecError> decoded = refuse(CodecErrc::kMalformed, "");
  try {
    msgpack::object_handle handle = wire::detail::unpack_bounded(bytes);
    const msgpack::object& envelope = handle.get();
    if (envelope.type != msgpack::type::ARRAY || envelope.via.array.size != 2 ||
        envelope.via.array.ptr[0].type != msgpack::type::POSITIVE_INTEGER) {
      return refuse(CodecErrc::kMalformed, "not a [kind, body] envelope");
    }
    const std::uint64_t kind = envelope.via.array.ptr[0].via.u64;
    if (kind >= std::variant_size_v<Message>) {
      return refuse(CodecErrc::kUnknownKind, fmt::format("kind {}", kind));
    }
    decoded = convert_alternative(static_cast<std::size_t>(kind), envelope.via.array.ptr[1]);
  } catch (const UnknownKind& u) {
    return refuse(CodecErrc::kUnknownKind, fmt::format("kind {}", u.kind));
  } catch (...) {
    return refuse(CodecErrc::kMalformed, wire::detail::classify_current_exception().message());
  }
  if (auto ok = check_limits(*decoded, limits); !ok) return std::unexpected(ok.error());
  return decoded;
}

}  // namespace mosaik::discovery::gossip
