#include "mosaik/discovery/discovery.hpp"

#include "service.hpp"

namespace mosaik::discovery {

Catalog Discovery::catalog() const { return service_->catalog(); }
WatchReceiver<Catalog> Discovery::catalog_watch() const { return service_->catalog_watch(); }
BroadcastReceiver<Event> Discovery::events() const { return service_->events(); }

void Discovery::dial(EndpointAddr peer) { service_->dial(std::move(peer)); }
void Discovery::dial(std::initializer_list<EndpointAddr> peers) {
  for (const auto& p : peers) service_->dial(p);
}
asio::awaitable<std::expected<void, Error>> Discovery::sync_with(EndpointAddr peer) {
  return service_->sync_with(std::move(peer));
}

void Discovery::add_tags(Tag tag) { add_tags({tag}); }
void Discovery::add_tags(std::initializer_list<Tag> tags) {
  service_->update_local([&](PeerEntry& e) {
    bool changed = false;
    for (const Tag& t : tags) changed |= e.add_tag(t);
    return changed;
  });
}
void Discovery::remove_tags(Tag tag) { remove_tags({tag}); }
void Discovery::remove_tags(std::initializer_list<Tag> tags) {
  service_->update_local([&](PeerEntry& e) {
    bool changed = false;
    for (const Tag& t : tags) changed |= e.remove_tag(t);
    return changed;
  });
}

SignedPeerEntry Discovery::me() const { return service_->me(); }

void Discovery::insert(PeerEntry entry) { service_->insert(std::move(entry)); }
bool Discovery::remove(const PeerId& peer) { return service_->remove(peer); }
void Discovery::clear_unsigned() { service_->clear_unsigned(); }
bool Discovery::feed(const SignedPeerEntry& entry) { return service_->feed(entry); }

void Discovery::add_stream(const StreamId& id) {
  service_->update_local([&](PeerEntry& e) { return e.add_stream(id); });
}
void Discovery::remove_stream(const StreamId& id) {
  service_->update_local([&](PeerEntry& e) { return e.remove_stream(id); });
}
void Discovery::add_group(const GroupId& id) {
  service_->update_local([&](PeerEntry& e) { return e.add_group(id); });
}
void Discovery::remove_group(const GroupId& id) {
  service_->update_local([&](PeerEntry& e) { return e.remove_group(id); });
}
void Discovery::report_group(const GroupId& id, const GroupReport& report, bool announce) {
  auto set = [&](PeerEntry& e) { return e.set_group_report(id, report); };
  if (announce) {
    service_->update_local(set);
  } else {
    service_->update_local_quietly(set);
  }
}

}  // namespace mosaik::discovery
