#include "announcement.hpp"

#include <algorithm>

namespace mosaik::network::detail {
namespace {

// Only addresses a peer on the link can dial; anything else in a record is refused whole.
bool dialable(const SocketAddr& a) {
  const auto ip = a.address();
  return a.port() != 0 && !ip.is_unspecified() && !ip.is_multicast();
}

std::expected<SocketAddr, MdnsRefusal> parse_address(std::string_view text) {
  // EndpointAddr's parser reads "ip:port" and "[v6]:port"; a fixed id carries it.
  static const std::string kCarrier =
      SecretKey::from_seed("mosaik/mdns/address-carrier").public_key().to_string() + "@";
  auto parsed = EndpointAddr::parse(kCarrier + std::string(text));
  if (!parsed || parsed->direct_addresses.size() != 1 || text.find(',') != std::string_view::npos) {
    return std::unexpected(MdnsRefusal::kBadAddress);
  }
  const SocketAddr a = *parsed->direct_addresses.begin();
  if (!dialable(a)) return std::unexpected(MdnsRefusal::kBadAddress);
  return a;
}

}  // namespace

std::string_view to_string(MdnsRefusal refusal) {
  switch (refusal) {
    case MdnsRefusal::kTooManyStrings: return "too many TXT strings";
    case MdnsRefusal::kMalformedString: return "malformed TXT string";
    case MdnsRefusal::kDuplicateKey: return "duplicate key";
    case MdnsRefusal::kUnknownVersion: return "unknown format version";
    case MdnsRefusal::kBadNetwork: return "bad network id";
    case MdnsRefusal::kOtherNetwork: return "another network";
    case MdnsRefusal::kBadPeer: return "bad peer id";
    case MdnsRefusal::kBadAddress: return "bad address";
    case MdnsRefusal::kNoAddress: return "no address";
  }
  return "unknown";
}

std::vector<std::string> encode_txt(const MdnsAnnouncement& announcement) {
  std::vector<std::string> txt = {"v=" + std::string(kMdnsFormatVersion),
                                  "net=" + announcement.network.to_hex(),
                                  "id=" + announcement.peer.to_string()};
  for (const auto& a : announcement.addresses) {
    if (txt.size() == kMdnsMaxStrings) break;
    if (dialable(a)) txt.push_back("addr=" + mosaik::to_string(a));
  }
  return txt;
}

std::expected<MdnsAnnouncement, MdnsRefusal> decode_txt(const std::vector<std::string>& txt,
                                                        const NetworkId& ours) {
  if (txt.size() > kMdnsMaxStrings) return std::unexpected(MdnsRefusal::kTooManyStrings);
  std::optional<std::string_view> version, network, peer;
  std::vector<std::string_view> addresses;
  for (const std::string& s : txt) {
    // A key without '=' is a DNS-SD boolean attribute; this format has none.
    const auto eq = s.find('=');
    if (eq == std::string::npos) return std::unexpected(MdnsRefusal::kMalformedString);
    const std::string_view key = std::string_view(s).substr(0, eq);
    const std::string_view value = std::string_view(s).substr(eq + 1);
    std::optional<std::string_view>* single = key == "v"     ? &version
                                              : key == "net" ? &network
                                              : key == "id"  ? &peer
                                                             : nullptr;
    if (single) {
      if (single->has_value()) return std::unexpected(MdnsRefusal::kDuplicateKey);
      *single = value;
    } else if (key == "addr") {
      addresses.push_back(value);
    } else {
      return std::unexpected(MdnsRefusal::kMalformedString);
    }
  }
  if (version != kMdnsFormatVersion) return std::unexpected(MdnsRefusal::kUnknownVersion);
  auto net = NetworkId::from_hex(network.value_or(""));
  if (!net) return std::unexpected(MdnsRefusal::kBadNetwork);
  if (*net != ours) return std::unexpected(MdnsRefusal::kOtherNetwork);
  auto id = PeerId::parse(peer.value_or(""));
  if (!id) return std::unexpected(MdnsRefusal::kBadPeer);
  if (addresses.empty()) return std::unexpected(MdnsRefusal::kNoAddress);
  MdnsAnnouncement out{*net, *id, {}};
  for (const auto text : addresses) {
    auto a = parse_address(text);
    if (!a) return std::unexpected(a.error());
    out.addresses.insert(*a);
  }
  return out;
}

std::string mdns_instance_name(const PeerId& peer) { return peer.to_string().substr(0, 32); }

}  // namespace mosaik::network::detail
