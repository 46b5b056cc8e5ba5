// The mDNS TXT record format (src/network/mdns/announcement.hpp): what a node announces, and
// that every malformed or foreign record from the link is refused for its own reason.
#include "mdns/announcement.hpp"

#include <gtest/gtest.h>

namespace mosaik::network::detail {
namespace {

const NetworkId kNet = "mdns-test-network";
const PeerId kPeer = SecretKey::from_seed("mdns-test-peer").public_key();

SocketAddr addr(const char* ip, std::uint16_t port) {
  return SocketAddr(asio::ip::make_address(ip), port);
}

std::vector<std::string> valid_txt() {
  return encode_txt({kNet, kPeer, {addr("192.0.2.1", 4001), addr("2001:db8::1", 4001)}});
}

MdnsRefusal refusal_of(const std::vector<std::string>& txt) {
  auto decoded = decode_txt(txt, kNet);
  EXPECT_FALSE(decoded.has_value()) << "accepted a record it should refuse";
  return decoded ? MdnsRefusal::kMalformedString : decoded.error();
}

TEST(MdnsAnnouncement, round_trips_network_peer_and_addresses) {
  const MdnsAnnouncement sent{kNet, kPeer, {addr("192.0.2.1", 4001), addr("2001:db8::1", 4001)}};
  auto got = decode_txt(encode_txt(sent), kNet);
  ASSERT_TRUE(got.has_value()) << to_string(got.error());
  EXPECT_EQ(*got, sent);
}

TEST(MdnsAnnouncement, encoder_leaves_out_addresses_no_peer_can_dial) {
  auto txt = encode_txt({kNet, kPeer, {addr("0.0.0.0", 4001), addr("192.0.2.1", 0), addr("192.0.2.1", 4001)}});
  auto got = decode_txt(txt, kNet);
  ASSERT_TRUE(got.has_value()) << to_string(got.error());
  EXPECT_EQ(got->addresses, (std::set<SocketAddr>{addr("192.0.2.1", 4001)}));
}

TEST(MdnsAnnouncement, record_of_another_network_is_ignored) {
  EXPECT_EQ(decode_txt(valid_txt(), NetworkId("another-network")).error(), MdnsRefusal::kOtherNetwork);
}

TEST(MdnsAnnouncement, too_many_strings_are_refused_before_parsing) {
  auto txt = valid_txt();
  while (txt.size() <= kMdnsMaxStrings) txt.push_back("addr=192.0.2.9:1");
  EXPECT_EQ(refusal_of(txt), MdnsRefusal::kTooManyStrings);
}

TEST(MdnsAnnouncement, string_without_equals_or_unknown_key_is_refused) {
  auto no_equals = valid_txt();
  no_equals.push_back("addr");  // a key alone: not an address without a value
  EXPECT_EQ(refusal_of(no_equals), MdnsRefusal::kMalformedString);
  auto unknown = valid_txt();
  unknown.push_back("evil=1");
  EXPECT_EQ(refusal_of(unknown), MdnsRefusal::kMalformedString);
}

TEST(MdnsAnnouncement, duplicate_id_is_refused) {
  auto txt = valid_txt();
  txt.push_back("id=" + SecretKey::from_seed("someone-else").public_key().to_string());
  EXPECT_EQ(refusal_of(txt), MdnsRefusal::kDuplicateKey);
}

TEST(MdnsAnnouncement, missing_or_unknown_version_is_refused) {
  auto txt = valid_txt();
  txt.erase(txt.begin());  // "v=1"
  EXPECT_EQ(refusal_of(txt), MdnsRefusal::kUnknownVersion);
  txt.insert(txt.begin(), "v=2");
  EXPECT_EQ(refusal_of(txt), MdnsRefusal::kUnknownVersion);
}

TEST(MdnsAnnouncement, missing_or_bad_network_id_is_refused) {
  auto txt = valid_txt();
  txt[1] = "net=" + std::string(63, 'a');
  EXPECT_EQ(refusal_of(txt), MdnsRefusal::kBadNetwork);
  txt[1] = "net=" + std::string(64, 'z');
  EXPECT_EQ(refusal_of(txt), MdnsRefusal::kBadNetwork);
  txt.erase(txt.begin() + 1);
  EXPECT_EQ(refusal_of(txt), MdnsRefusal::kBadNetwork);
}

TEST(MdnsAnnouncement, missing_or_bad_peer_id_is_refused) {
  auto txt = valid_txt();
  txt[2] = "id=not-a-key";
  EXPECT_EQ(refusal_of(txt), MdnsRefusal::kBadPeer);
  txt.erase(txt.begin() + 2);
  EXPECT_EQ(refusal_of(txt), MdnsRefusal::kBadPeer);
}

TEST(MdnsAnnouncement, record_without_address_is_refused) {
  EXPECT_EQ(refusal_of(encode_txt({kNet, kPeer, {}})), MdnsRefusal::kNoAddress);
}

TEST(MdnsAnnouncement, address_that_cannot_be_dialed_is_refused) {
  for (const char* bad : {"addr=nonsense", "addr=192.0.2.1", "addr=192.0.2.1:99999",
                          "addr=0.0.0.0:4001", "addr=[::]:4001", "addr=192.0.2.1:0",
                          "addr=224.0.0.251:5353", "addr=192.0.2.1:1,192.0.2.2:2"}) {
    auto txt = valid_txt();
    txt.push_back(bad);
    EXPECT_EQ(refusal_of(txt), MdnsRefusal::kBadAddress) << bad;
  }
}

TEST(MdnsAnnouncement, instance_name_fits_a_dns_label) {
  EXPECT_LE(mdns_instance_name(kPeer).size(), 63u);
  EXPECT_NE(mdns_instance_name(kPeer), mdns_instance_name(SecretKey::from_seed("x").public_key()));
}

}  // namespace
}  // namespace mosaik::network::detail
