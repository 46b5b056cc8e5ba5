#include "mdns_discovery.hpp"

#include <avahi-common/alternative.h>
#include <avahi-common/error.h>
#include <avahi-common/malloc.h>
#include <avahi-common/strlst.h>
#include <avahi-core/core.h>
#include <avahi-core/log.h>
#include <avahi-core/lookup.h>
#include <avahi-core/publish.h>

#include <asio/post.hpp>

#include <mutex>

#include "mosaik/primitives/log.hpp"

namespace mosaik::network::detail {
namespace {

const auto& logger = log::module_logger<"mdns">;

const std::string kServiceType(kMdnsServiceType);

// avahi logs to stderr unless told otherwise, and its warnings are routine here (another
// mDNS stack on the host is every other node of a test): only its errors reach warn.
void route_avahi_log(AvahiLogLevel level, const char* text) {
  if (level == AVAHI_LOG_ERROR) {
    logger()->warn("avahi: {}", text);
  } else {
    logger()->debug("avahi: {}", text);
  }
}

std::string resolver_key(AvahiIfIndex interface, AvahiProtocol protocol, const char* name) {
  return fmt::format("{}/{}/{}", interface, protocol, name ? name : "");
}

}  // namespace

// The C callbacks: avahi hands back the MdnsDiscovery as userdata, on the executor.
struct MdnsCallbacks {
  static void server(AvahiServer* s, AvahiServerState state, void* userdata) {
    auto* self = static_cast<MdnsDiscovery*>(userdata);
    if (!self->server_) self->server_.reset(s);  // called from inside avahi_server_new
    self->on_server_state(state);
  }
  static void group(AvahiServer*, AvahiSEntryGroup* g, AvahiEntryGroupState state, void* userdata) {
    auto* self = static_cast<MdnsDiscovery*>(userdata);
    if (!self->group_) self->group_ = g;  // called from inside avahi_s_entry_group_new
    self->on_group_state(state);
  }
  static void browse(AvahiSServiceBrowser*, AvahiIfIndex interface, AvahiProtocol protocol,
                     AvahiBrowserEvent event, const char* name, const char* type,
                     const char* domain, AvahiLookupResultFlags, void* userdata) {
    static_cast<MdnsDiscovery*>(userdata)->on_browse(interface, protocol, event, name, type, domain);
  }
  static void resolve(AvahiSServiceResolver* r, AvahiIfIndex interface, AvahiProtocol protocol,
                      AvahiResolverEvent event, const char* name, const char*, const char*,
                      const char*, const AvahiAddress*, uint16_t, AvahiStringList* txt,
                      AvahiLookupResultFlags, void* userdata) {
    // Copy at most one string more than a record may hold: decode_txt refuses it anyway.
    std::vector<std::string> strings;
    for (auto* l = txt; l && strings.size() <= kMdnsMaxStrings; l = avahi_string_list_get_next(l)) {
      strings.emplace_back(reinterpret_cast<const char*>(avahi_string_list_get_text(l)),
                           avahi_string_list_get_size(l));
    }
    static_cast<MdnsDiscovery*>(userdata)->on_resolved(r, event, resolver_key(interface, protocol, name),
                                                       std::move(strings));
  }
};

void MdnsDiscovery::ServerDeleter::operator()(AvahiServer* s) const { avahi_server_free(s); }

std::shared_ptr<MdnsDiscovery> MdnsDiscovery::start(asio::any_io_executor executor,
                                                    NetworkId network, PeerId self, Hooks hooks) {
  auto mdns = std::make_shared<MdnsDiscovery>(executor, network, self, std::move(hooks));
  asio::post(executor, [mdns] { mdns->open(); });
  return mdns;
}

MdnsDiscovery::MdnsDiscovery(asio::any_io_executor executor, NetworkId network, PeerId self,
                             Hooks hooks)
    : executor_(executor),
      network_(network),
      self_(self),
      hooks_(std::move(hooks)),
      instance_name_(mdns_instance_name(self)),
      address_timer_(executor) {}

MdnsDiscovery::~MdnsDiscovery() = default;

void MdnsDiscovery::close() {
  asio::post(executor_, [self = shared_from_this()] { self->teardown(); });
}

void MdnsDiscovery::open() {
  if (closed_) return;
  static std::once_flag log_routed;
  std::call_once(log_routed, [] { avahi_set_log_function(route_avahi_log); });
  poll_.emplace(executor_);
  AvahiServerConfig config;
  avahi_server_config_init(&config);
  // Our own host name, so that nodes sharing a host never contend for one; no address, HINFO
  // or workstation records: the addresses we advertise travel in the TXT record.
  config.host_name = avahi_strdup(("mosaik-" + self_.to_string().substr(0, 16)).c_str());
  config.publish_hinfo = 0;
  config.publish_addresses = 0;
  config.publish_workstation = 0;
  config.publish_domain = 0;
  config.enable_wide_area = 0;
  config.disallow_other_stacks = 0;  // share port 5353 with a system daemon and other nodes
  int error = 0;
  AvahiServer* s = avahi_server_new(poll_->api(), &config, &MdnsCallbacks::server, this, &error);
  avahi_server_config_free(&config);
  if (!s) {
    (void)server_.release();  // a state callback may have seen it before avahi gave up
    logger()->warn("mDNS discovery disabled: avahi server failed to start: {}", avahi_strerror(error));
    poll_.reset();
    return;
  }
  if (!server_) server_.reset(s);
  browser_ = avahi_s_service_browser_new(s, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC, kServiceType.c_str(),
                                         nullptr, AvahiLookupFlags(0), &MdnsCallbacks::browse, this);
  if (!browser_) {
    logger()->warn("mDNS browsing failed: {}", avahi_strerror(avahi_server_errno(s)));
  }
  check_addresses();
}

void MdnsDiscovery::on_server_state(int state) {
  AvahiServer* s = server_.get();
  switch (state) {
    case AVAHI_SERVER_RUNNING:
      if (!group_) group_ = avahi_s_entry_group_new(s, &MdnsCallbacks::group, this);
      publish();
      break;
    case AVAHI_SERVER_COLLISION: {
      // Another host uses our host name: take the next one ("name-2") and go on.
      char* next = avahi_alternative_host_name(avahi_server_get_host_name(s));
      logger()->debug("mDNS host name collision; now {}", next);
      avahi_server_set_host_name(s, next);
      avahi_free(next);
      break;
    }
    case AVAHI_SERVER_FAILURE:
      logger()->warn("mDNS server failed: {}", avahi_strerror(avahi_server_errno(s)));
      break;
    default:
      break;
  }
}

void MdnsDiscovery::publish() {
  AvahiServer* s = server_.get();
  if (closed_ || !s || !group_) return;
  const auto addresses = hooks_.addresses();
  if (addresses.empty()) return;  // nothing a peer could dial; the next check retries
  const auto txt = encode_txt({network_, self_, addresses});
  AvahiStringList* list = nullptr;
  for (const auto& t : txt) list = avahi_string_list_add(list, t.c_str());
  int rc = 0;
  if (avahi_s_entry_group_is_empty(group_)) {
    // SRV names a port for DNS-SD browsers; peers read every address from the TXT record.
    rc = avahi_server_add_service_strlst(s, group_, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC,
                                         AvahiPublishFlags(0), instance_name_.c_str(),
                                         kServiceType.c_str(), nullptr, nullptr,
                                         addresses.begin()->port(), list);
    if (rc >= 0) rc = avahi_s_entry_group_commit(group_);
  } else {
    rc = avahi_server_update_service_txt_strlst(s, group_, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC,
                                                AvahiPublishFlags(0), instance_name_.c_str(),
                                                kServiceType.c_str(), nullptr, list);
  }
  avahi_string_list_free(list);
  if (rc < 0) {
    logger()->warn("mDNS publish failed: {}", avahi_strerror(rc));
    return;
  }
  published_ = addresses;
  ++stats_.published;
  logger()->debug("mDNS: published {} as {} with {} addresses", self_, instance_name_, addresses.size());
}

void MdnsDiscovery::on_group_state(int state) {
  if (state == AVAHI_ENTRY_GROUP_COLLISION) {
    // Another instance has our name (the first 128 bits of another peer id, or a stale
    // record of ourselves): take the next name and publish again.
    char* next = avahi_alternative_service_name(instance_name_.c_str());
    logger()->debug("mDNS service name collision: {} is now {}", instance_name_, next);
    instance_name_ = next;
    avahi_free(next);
    avahi_s_entry_group_reset(group_);
    publish();
  } else if (state == AVAHI_ENTRY_GROUP_FAILURE) {
    logger()->warn("mDNS: our record could not be published: {}",
                   avahi_strerror(avahi_server_errno(server_.get())));
  }
}

void MdnsDiscovery::on_browse(int interface, int protocol, int event, const char* name,
                              const char* type, const char* domain) {
  AvahiServer* s = server_.get();
  if (closed_ || !s) return;
  const auto key = resolver_key(interface, protocol, name);
  if (event == AVAHI_BROWSER_NEW) {
    if (resolvers_.contains(key)) return;
    if (resolvers_.size() >= kMaxResolvers) {
      ++stats_.resolver_limit;
      return;
    }
    // Followed until the instance goes: the resolver reports every change of its TXT record.
    auto* r = avahi_s_service_resolver_new(s, interface, protocol, name, type, domain,
                                           AVAHI_PROTO_UNSPEC, AVAHI_LOOKUP_NO_ADDRESS,
                                           &MdnsCallbacks::resolve, this);
    if (r) resolvers_.emplace(key, r);
  } else if (event == AVAHI_BROWSER_REMOVE) {
    if (auto it = resolvers_.find(key); it != resolvers_.end()) {
      avahi_s_service_resolver_free(it->second);
      resolvers_.erase(it);
    }
  } else if (event == AVAHI_BROWSER_FAILURE) {
    logger()->warn("mDNS browsing failed: {}", avahi_strerror(avahi_server_errno(s)));
  }
}

void MdnsDiscovery::on_resolved(AvahiSServiceResolver* resolver, int event, const std::string& key,
                                std::vector<std::string> txt) {
  if (closed_) return;
  if (event != AVAHI_RESOLVER_FOUND) {
    // Timed out (the instance went before answering): forget it; a new announcement of
    // it makes the browser report it again.
    if (auto it = resolvers_.find(key); it != resolvers_.end() && it->second == resolver) {
      resolvers_.erase(it);
    }
    avahi_s_service_resolver_free(resolver);
    return;
  }
  auto found = decode_txt(txt, network_);
  if (!found) {
    ++stats_.refused[static_cast<std::size_t>(found.error())];
    logger()->debug("mDNS: ignored {}: {}", key, to_string(found.error()));
    return;
  }
  handle_announcement(*found);
}

void MdnsDiscovery::handle_announcement(const MdnsAnnouncement& found) {
  if (found.peer == self_) return;
  const auto now = std::chrono::steady_clock::now();
  auto it = dialed_.find(found.peer);
  if (it != dialed_.end() && it->second.addresses == found.addresses &&
      now - it->second.at < kRedialAfter) {
    return;  // the same record seen on another interface or protocol
  }
  if (it == dialed_.end() && dialed_.size() >= kMaxRememberedPeers) {
    auto oldest = dialed_.begin();
    for (auto i = dialed_.begin(); i != dialed_.end(); ++i) {
      if (i->second.at < oldest->second.at) oldest = i;
    }
    dialed_.erase(oldest);
  }
  dialed_[found.peer] = Dialed{found.addresses, now};
  ++stats_.dials;
  EndpointAddr addr(found.peer, found.addresses);
  logger()->info("mDNS: found peer {} at {}", found.peer, addr);
  if (hooks_.dial) hooks_.dial(std::move(addr));
}

void MdnsDiscovery::check_addresses() {
  if (closed_) return;
  if (hooks_.addresses() != published_) publish();
  address_timer_.expires_after(kAddressCheck);
  address_timer_.async_wait([weak = weak_from_this()](std::error_code ec) {
    if (ec) return;
    if (auto self = weak.lock()) self->check_addresses();
  });
}

void MdnsDiscovery::teardown() {
  if (closed_) return;
  closed_ = true;
  address_timer_.cancel();
  // Freeing the server withdraws our record (goodbye packets) and frees the group, the
  // browser and every resolver with it; then no avahi callback can run any more.
  resolvers_.clear();
  group_ = nullptr;
  browser_ = nullptr;
  server_.reset();
  poll_.reset();
  hooks_ = {};
}

}  // namespace mosaik::network::detail
