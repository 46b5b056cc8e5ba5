// A collection's identity: the machine signature and the group key (docs/decisions/0800).
#include <array>

#include <mosaik/collections/options.hpp>
#include <mosaik/primitives/blake3.hpp>

namespace mosaik::collections {

namespace {

// The descriptor as one digest; each part is hashed in a step of its own, so parts cannot run
// into each other.
Digest descriptor_digest(const StoreDescriptor& d) {
  Digest out = unique_id("mosaik.collections.store.v1").derive(d.kind).derive(d.store);
  for (const auto& name : d.type_names) out = out.derive(std::string_view(name));
  return out;
}

Digest sync_digest(const SyncConfig& s) {
  return unique_id("mosaik.collections.sync.v1")
      .derive(Digest::from_u64(s.fetch_batch_size))
      .derive(Digest::from_u64(static_cast<std::uint64_t>(s.snapshot_ttl.count())))
      .derive(Digest::from_u64(static_cast<std::uint64_t>(s.snapshot_request_timeout.count())))
      .derive(Digest::from_u64(static_cast<std::uint64_t>(s.fetch_timeout.count())))
      .derive(Digest::from_u64(s.snapshot_interval));
}

}  // namespace

// v2: a log entry carries a batch of mutations (0802); a v1 member could not decode them.
UniqueId machine_signature(const StoreDescriptor& d) {
  Digest out = unique_id("mosaik.collections.machine.v2").derive(d.kind);
  for (const auto& name : d.type_names) out = out.derive(std::string_view(name));
  return out;
}

groups::GroupKey store_group_key(const StoreDescriptor& d, const SyncConfig& sync,
                                 const std::optional<StoreSecret>& secret) {
  const Digest descriptor = descriptor_digest(d).derive(sync_digest(sync));
  std::array<std::uint8_t, 64> material{};
  std::copy(descriptor.as_bytes().begin(), descriptor.as_bytes().end(), material.begin());
  if (secret) {
    const auto keyed = secret->key_for(descriptor);
    std::copy(keyed.begin(), keyed.end(), material.begin() + 32);
  }
  const auto key = blake3::derive_key("mosaik.collections.group-key.v1", material);
  return groups::GroupKey::from_bytes(key);
}

}  // namespace mosaik::collections
