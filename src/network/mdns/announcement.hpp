// What a node says about itself over mDNS (DNS-SD service "_mosaik._udp"): its network, its
// PeerId and the addresses it advertises, as the TXT strings of its service instance. Pure:
// no avahi, no sockets, so the rules for what a record from the link may hold are tested
// on their own (docs/decisions/0208).
//
//   auto txt = encode_txt({network, me, addresses});
//   auto found = decode_txt(received_strings, network);   // expected<MdnsAnnouncement, MdnsRefusal>
#pragma once

#include <cstddef>
#include <expected>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "mosaik/primitives/digest.hpp"
#include "mosaik/primitives/keys.hpp"
#include "mosaik/transport/endpoint_addr.hpp"

namespace mosaik::network::detail {

inline constexpr std::string_view kMdnsServiceType = "_mosaik._udp";
// The format of the TXT strings below; a record of another version is refused.
inline constexpr std::string_view kMdnsFormatVersion = "1";
// Addresses one record may carry (the encoder keeps the first ones, the decoder refuses
// more): a host has a handful of interface addresses, not dozens.
inline constexpr std::size_t kMdnsMaxAddresses = 16;
// TXT strings one record may carry: v, net, id and the addresses.
inline constexpr std::size_t kMdnsMaxStrings = kMdnsMaxAddresses + 3;

struct MdnsAnnouncement {
  NetworkId network;
  PeerId peer;
  std::set<SocketAddr> addresses;
  bool operator==(const MdnsAnnouncement&) const = default;
};

// Why a record was ignored. Counted per reason by the mDNS shell, logged at debug.
enum class MdnsRefusal {
  kTooManyStrings,    // more than kMdnsMaxStrings (so never more than kMdnsMaxAddresses addresses)
  kMalformedString,   // no '=', or a key this format does not know
  kDuplicateKey,      // v, net or id twice
  kUnknownVersion,    // v missing or not kMdnsFormatVersion
  kBadNetwork,        // net missing or not 64 hex characters
  kOtherNetwork,      // a well-formed record of another network: not for us
  kBadPeer,           // id missing or not a peer id
  kBadAddress,        // an addr that is not ip:port, or one no peer can dial (0.0.0.0, port 0, multicast)
  kNoAddress,         // no addr at all
};
inline constexpr std::size_t kMdnsRefusalKinds = 9;
std::string_view to_string(MdnsRefusal refusal);

// "v=1", "net=<64 hex>", "id=<64 hex>", then one "addr=<ip:port>" per address (IPv6 in
// brackets), at most kMdnsMaxAddresses of them.
std::vector<std::string> encode_txt(const MdnsAnnouncement& announcement);

// Reads a record's TXT strings; refuses anything malformed, and records of other networks.
[[nodiscard]] std::expected<MdnsAnnouncement, MdnsRefusal> decode_txt(
    const std::vector<std::string>& txt, const NetworkId& ours);

// The DNS-SD instance name of a node: its peer id's first 32 hex characters (a label holds
// at most 63 bytes; the full id is in the TXT record).
std::string mdns_instance_name(const PeerId& peer);

}  // namespace mosaik::network::detail
