#pragma once
// PeerEntry: what a node tells the network about itself (identity, address, tags, streams,
// groups, and what it reports of each group it is in), versioned by when it started and when
// it last changed. A SignedPeerEntry is the
// entry with its owner's Ed25519 signature, which anyone can check after any number of
// gossip hops.
//
//   PeerEntry e(network_id, addr);  e.add_tag("validator");
//   SignedPeerEntry s = SignedPeerEntry::sign(e, secret_key);  bool ok = s.verify();

#include <chrono>
#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <set>

#include "mosaik/primitives/digest.hpp"
#include "mosaik/primitives/keys.hpp"
#include "mosaik/primitives/wire.hpp"
#include "mosaik/transport/endpoint_addr.hpp"

namespace mosaik::discovery {

// Milliseconds since the Unix epoch (wall clock: versions are compared across machines).
using Timestamp = std::chrono::milliseconds;

// (start, update): `start` changes when the node restarts, `update` when the entry changes
// or is refreshed. A larger pair (start first) is a newer entry.
struct PeerEntryVersion {
  Timestamp start{0};
  Timestamp update{0};

  auto operator<=>(const PeerEntryVersion&) const = default;
};

// What a member says about a group it belongs to, as it sees it: the leader it follows, its
// term and the commit index it knows. Members refresh it at a bounded rate
// (docs/decisions/0702), so it lags the group by up to a few seconds. The incarnation and
// its voter count let members of two incarnations of one group that meet decide which one
// yields (decision 0407).
struct GroupReport {
  std::optional<PeerId> leader;
  std::uint64_t term = 0;
  std::uint64_t commit_index = 0;
  std::uint64_t incarnation = 0;  // 0: the member holds no entry of any incarnation yet
  std::uint64_t voters = 0;       // voters of the membership in force at the member

  bool operator==(const GroupReport&) const = default;
  MOSAIK_WIRE_FIELDS(leader, term, commit_index, incarnation, voters);
};

class PeerEntry {
 public:
  PeerEntry() = default;
  PeerEntry(NetworkId network, EndpointAddr addr) : network_id_(network), addr_(std::move(addr)) {}

  const NetworkId& network_id() const { return network_id_; }
  const PeerId& peer_id() const { return addr_.id; }
  const EndpointAddr& addr() const { return addr_; }
  const std::set<Tag>& tags() const { return tags_; }
  const std::set<StreamId>& streams() const { return streams_; }
  const std::set<GroupId>& groups() const { return groups_; }
  // Reports for some of groups() (a member that has not reported yet has none).
  const std::map<GroupId, GroupReport>& group_reports() const { return group_reports_; }
  const GroupReport* group_report(const GroupId& g) const {
    auto it = group_reports_.find(g);
    return it == group_reports_.end() ? nullptr : &it->second;
  }
  const PeerEntryVersion& version() const { return version_; }

  PeerEntry& set_addr(EndpointAddr addr) {
    addr_ = std::move(addr);
    return *this;
  }
  PeerEntry& set_version(PeerEntryVersion v) {
    version_ = v;
    return *this;
  }
  // Each returns whether the set changed.
  bool add_tag(const Tag& t) { return tags_.insert(t).second; }
  bool remove_tag(const Tag& t) { return tags_.erase(t) > 0; }
  bool add_stream(const StreamId& s) { return streams_.insert(s).second; }
  bool remove_stream(const StreamId& s) { return streams_.erase(s) > 0; }
  bool add_group(const GroupId& g) { return groups_.insert(g).second; }
  bool remove_group(const GroupId& g) {
    group_reports_.erase(g);
    return groups_.erase(g) > 0;
  }
  // Only for a group in groups(); false when nothing changed.
  bool set_group_report(const GroupId& g, const GroupReport& r) {
    if (!groups_.contains(g)) return false;
    auto [it, inserted] = group_reports_.try_emplace(g, r);
    if (inserted) return true;
    if (it->second == r) return false;
    it->second = r;
    return true;
  }

  // Same content, ignoring the version.
  bool same_content(const PeerEntry& o) const {
    return network_id_ == o.network_id_ && addr_ == o.addr_ && tags_ == o.tags_ &&
           streams_ == o.streams_ && groups_ == o.groups_ && group_reports_ == o.group_reports_;
  }
  bool operator==(const PeerEntry&) const = default;

  MOSAIK_WIRE_FIELDS(network_id_, addr_, tags_, streams_, groups_, group_reports_, version_);

 private:
  NetworkId network_id_;
  EndpointAddr addr_;
  std::set<Tag> tags_;
  std::set<StreamId> streams_;
  std::set<GroupId> groups_;
  std::map<GroupId, GroupReport> group_reports_;  // keys within groups_
  PeerEntryVersion version_;
};

class SignedPeerEntry {
 public:
  SignedPeerEntry() = default;

  // Signs the canonical encoding of `entry`; `key` must be the entry's own key.
  static SignedPeerEntry sign(PeerEntry entry, const SecretKey& key);

  // Reassembles an entry and its signature without checking them (as decoding does).
  static SignedPeerEntry from_parts(PeerEntry entry, Signature signature) {
    SignedPeerEntry s;
    s.entry_ = std::move(entry);
    s.signature_ = signature;
    return s;
  }

  // True when the signature is the entry owner's signature of exactly this entry.
  [[nodiscard]] bool verify() const;

  const PeerEntry& entry() const { return entry_; }
  const Signature& signature() const { return signature_; }
  const PeerId& peer_id() const { return entry_.peer_id(); }
  const PeerEntryVersion& version() const { return entry_.version(); }

  bool operator==(const SignedPeerEntry&) const = default;
  MOSAIK_WIRE_FIELDS(entry_, signature_);

 private:
  PeerEntry entry_;
  Signature signature_;
};

// The bytes a signature covers: a domain tag, then the msgpack encoding of the entry
// (sets encode in key order, so every node computes the same bytes).
wire::Bytes signing_bytes(const PeerEntry& entry);

}  // namespace mosaik::discovery

// msgpack: a version is [start_ms, update_ms].
namespace msgpack {
MSGPACK_API_VERSION_NAMESPACE(MSGPACK_DEFAULT_API_NS) {
  namespace adaptor {
  template <>
  struct convert<mosaik::discovery::PeerEntryVersion> {
    const msgpack::object& operator()(const msgpack::object& o,
                                      mosaik::discovery::PeerEntryVersion& v) const {
      if (o.type != msgpack::type::ARRAY || o.via.array.size != 2) throw msgpack::type_error();
      v.start = mosaik::discovery::Timestamp(o.via.array.ptr[0].as<std::int64_t>());
      v.update = mosaik::discovery::Timestamp(o.via.array.ptr[1].as<std::int64_t>());
      return o;
    }
  };
  template <>
  struct pack<mosaik::discovery::PeerEntryVersion> {
    template <class Stream>
    msgpack::packer<Stream>& operator()(msgpack::packer<Stream>& p,
                                        const mosaik::discovery::PeerEntryVersion& v) const {
      p.pack_array(2);
      p.pack(static_cast<std::int64_t>(v.start.count()));
      p.pack(static_cast<std::int64_t>(v.update.count()));
      return p;
    }
  };
  }  // namespace adaptor
}
}  // namespace msgpack
