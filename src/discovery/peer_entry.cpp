#include "mosaik/discovery/peer_entry.hpp"

#include "mosaik/discovery/catalog.hpp"

namespace mosaik::discovery {

namespace {
// Domain separation: a signature over a peer entry can never be mistaken for another message.
constexpr std::string_view kEntryDomain = "mosaik/discovery/peer-entry/v1";
}  // namespace

wire::Bytes signing_bytes(const PeerEntry& entry) {
  wire::Bytes out(kEntryDomain.begin(), kEntryDomain.end());
  wire::encode_into(out, entry);
  return out;
}

SignedPeerEntry SignedPeerEntry::sign(PeerEntry entry, const SecretKey& key) {
  SignedPeerEntry s;
  s.signature_ = key.sign(signing_bytes(entry));
  s.entry_ = std::move(entry);
  return s;
}

bool SignedPeerEntry::verify() const {
  return entry_.peer_id().verify(signing_bytes(entry_), signature_);
}

std::optional<SignedPeerEntry> CatalogEntry::signed_entry() const {
  if (!signature_) return std::nullopt;
  return SignedPeerEntry::from_parts(entry_, *signature_);
}

}  // namespace mosaik::discovery
