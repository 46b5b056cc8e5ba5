// The only translation unit that includes libtorrent (and through it Boost.Asio). It must
// include nothing that pulls in standalone Asio: see mainline.hpp.
#include "mainline.hpp"

#include <libtorrent/alert_types.hpp>
#include <libtorrent/bencode.hpp>
#include <libtorrent/disabled_disk_io.hpp>
#include <libtorrent/entry.hpp>
#include <libtorrent/kademlia/ed25519.hpp>
#include <libtorrent/kademlia/item.hpp>
#include <libtorrent/session.hpp>
#include <libtorrent/session_params.hpp>
#include <libtorrent/settings_pack.hpp>

#include <algorithm>
#include <charconv>
#include <exception>
#include <map>
#include <mutex>
#include <string_view>
#include <tuple>
#include <utility>

#include "mosaik/primitives/log.hpp"

namespace mosaik::discovery::dht {
namespace {

namespace lt = libtorrent;

// "host:port" or "[v6]:port" into its parts; nullopt when malformed.
std::optional<std::pair<std::string, int>> split_host_port(std::string_view text) {
  std::string_view host;
  std::string_view port;
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return std::nullopt;
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  int value = 0;
  const auto [end, err] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (host.empty() || err != std::errc() || end != port.data() + port.size() || value < 0 ||
      value > 65535) {
    return std::nullopt;
  }
  return std::make_pair(std::string(host), value);
}

// A DHT bound to a loopback address can only ever reach nodes on this machine, which all
// share one IP: libtorrent's defences against many nodes behind one address (one node per
// IP or /24 in the routing table and in lookups, node ids tied to the external IP, a
// per-IP packet rate limit) would keep such a DHT from forming at all.
bool is_loopback_host(const std::string& host) {
  return host.starts_with("127.") || host == "::1" || host == "localhost";
}

std::string target_of(const std::array<char, 32>& key, const std::string& salt) {
  std::string t(key.data(), key.size());
  t += salt;
  return t;
}

struct KeyPair {
  lt::dht::public_key pk;
  lt::dht::secret_key sk;
};

KeyPair key_pair(const MutableItemKey& key) {
  std::array<char, 32> seed{};
  std::copy(key.seed.begin(), key.seed.end(), reinterpret_cast<std::uint8_t*>(seed.data()));
  auto [pk, sk] = lt::dht::ed25519_create_keypair(seed);
  return KeyPair{pk, sk};
}

// Shared with libtorrent's alert-notify callback, which runs on libtorrent's thread and may
// outlive nothing: the owner closes it before the session goes away.
struct Notifier {
  std::mutex mutex;
  bool closed = false;
  std::function<void(std::function<void()>)> post;
  std::function<void()> drain;  // runs on the owner's thread, via post
};

class LibtorrentDht final : public MainlineDht, public std::enable_shared_from_this<LibtorrentDht> {
 public:
  explicit LibtorrentDht(std::function<void(std::function<void()>)> post)
      : notifier_(std::make_shared<Notifier>()) {
    notifier_->post = std::move(post);
  }

  ~LibtorrentDht() override {
    {
      std::lock_guard lock(notifier_->mutex);
      notifier_->closed = true;
    }
    if (session_) session_->set_alert_notify([] {});
    session_.reset();  // stops libtorrent's threads; no alert notification after this
  }

  std::expected<void, std::string> open(const MainlineOptions& options) {
    const auto listen = split_host_port(options.listen);
    if (!listen) return std::unexpected("bad DHT listen address '" + options.listen + "'");
    std::string routers;
    for (const auto& r : options.routers) {
      if (!split_host_port(r)) return std::unexpected("bad DHT router '" + r + "'");
      if (!routers.empty()) routers += ',';
      routers += r;
    }
    std::vector<std::pair<std::string, int>> nodes;
    for (const auto& n : options.nodes) {
      auto hp = split_host_port(n);
      if (!hp) return std::unexpected("bad DHT node '" + n + "'");
      nodes.push_back(std::move(*hp));
    }

    lt::settings_pack sp;
    sp.set_str(lt::settings_pack::listen_interfaces, options.listen);
    sp.set_bool(lt::settings_pack::enable_dht, true);
    sp.set_bool(lt::settings_pack::enable_lsd, false);
    sp.set_bool(lt::settings_pack::enable_upnp, false);
    sp.set_bool(lt::settings_pack::enable_natpmp, false);
    sp.set_bool(lt::settings_pack::enable_ip_notifier, false);
    sp.set_str(lt::settings_pack::dht_bootstrap_nodes, routers);
    sp.set_int(lt::settings_pack::alert_mask,
               static_cast<int>(static_cast<std::uint32_t>(lt::alert_category::dht |
                                                           lt::alert_category::error)));
    sp.set_int(lt::settings_pack::aio_threads, 1);
    sp.set_int(lt::settings_pack::hashing_threads, 1);
    if (is_loopback_host(listen->first)) {
      sp.set_bool(lt::settings_pack::dht_restrict_routing_ips, false);
      sp.set_bool(lt::settings_pack::dht_restrict_search_ips, false);
      sp.set_bool(lt::settings_pack::dht_prefer_verified_node_ids, false);
      sp.set_bool(lt::settings_pack::dht_enforce_node_id, false);
      sp.set_bool(lt::settings_pack::dht_ignore_dark_internet, false);
      sp.set_int(lt::settings_pack::dht_block_ratelimit, 1'000'000);
      sp.set_int(lt::settings_pack::dht_upload_rate_limit, 1'000'000);
    }
    try {
      lt::session_params params(std::move(sp));
      params.disk_io_constructor = lt::disabled_disk_io_constructor;
      session_ = std::make_unique<lt::session>(std::move(params));
    } catch (const std::exception& e) {
      return std::unexpected(std::string("starting the DHT failed: ") + e.what());
    }
    port_ = session_->listen_port();
    if (port_ == 0) return std::unexpected("the DHT could not bind " + options.listen);
    for (const auto& n : nodes) session_->add_dht_node(n);

    std::weak_ptr<LibtorrentDht> weak = weak_from_this();
    notifier_->drain = [weak] {
      if (auto self = weak.lock()) self->drain();
    };
    session_->set_alert_notify([n = notifier_] {
      std::lock_guard lock(n->mutex);
      if (!n->closed) n->post(n->drain);
    });
    return {};
  }

  std::uint16_t port() const override { return port_; }

  void get(const MutableItemKey& key, std::function<void(MainlineGet)> done) override {
    const auto& kp = cached(key);
    const auto target = target_of(kp.pk.bytes, key.salt);
    auto& waiting = gets_[target];
    const bool first = waiting.callbacks.empty();
    waiting.callbacks.push_back(std::move(done));
    if (first) session_->dht_get_item(kp.pk.bytes, key.salt);
  }

  void put(const MutableItemKey& key, MutableModify modify,
           std::function<void(MainlinePut)> done) override {
    const KeyPair kp = cached(key);
    puts_[target_of(kp.pk.bytes, key.salt)].push_back(std::move(done));
    session_->dht_put_item(
        kp.pk.bytes,
        [kp, modify = std::move(modify)](lt::entry& value, std::array<char, 64>& signature,
                                         std::int64_t& seq, const std::string& salt) {
          std::optional<std::string> current;
          if (value.type() == lt::entry::string_t) current = value.string();
          value = lt::entry(modify(current));
          std::string encoded;
          lt::bencode(std::back_inserter(encoded), value);
          ++seq;
          signature = lt::dht::sign_mutable_item(encoded, salt, lt::dht::sequence_number(seq),
                                                 kp.pk, kp.sk)
                          .bytes;
        },
        key.salt);
  }

 private:
  struct PendingGet {
    std::vector<std::function<void(MainlineGet)>> callbacks;
    MainlineGet best;
  };

  const KeyPair& cached(const MutableItemKey& key) {
    const std::string id(reinterpret_cast<const char*>(key.seed.data()), key.seed.size());
    auto it = keys_.find(id);
    if (it == keys_.end()) it = keys_.emplace(id, key_pair(key)).first;
    return it->second;
  }

  void drain() {
    std::vector<lt::alert*> alerts;
    session_->pop_alerts(&alerts);
    for (lt::alert* a : alerts) {
      if (auto* item = lt::alert_cast<lt::dht_mutable_item_alert>(a)) {
        on_item(*item);
      } else if (auto* put = lt::alert_cast<lt::dht_put_alert>(a)) {
        on_put(*put);
      } else if (a->category() & lt::alert_category::error) {
        // libtorrent's own errors (router hostname lookups on a machine without DNS, say)
        // are not the user's to act on: debug. What fails for mosaik is logged by the caller.
        log::module_logger<"dht">()->debug("libtorrent: {}", a->message());
      }
    }
  }

  void on_item(const lt::dht_mutable_item_alert& a) {
    auto it = gets_.find(target_of(a.key, a.salt));
    if (it == gets_.end()) return;
    auto& best = it->second.best;
    if (a.item.type() == lt::entry::string_t && (!best.found || a.seq > best.seq)) {
      best = MainlineGet{true, a.item.string(), a.seq};
    }
    if (!a.authoritative) return;
    auto pending = std::move(it->second);
    gets_.erase(it);
    for (auto& cb : pending.callbacks) cb(pending.best);
  }

  void on_put(const lt::dht_put_alert& a) {
    auto it = puts_.find(target_of(a.public_key, a.salt));
    if (it == puts_.end()) return;
    auto callbacks = std::move(it->second);
    puts_.erase(it);
    const MainlinePut result{a.num_success > 0, a.num_success, a.seq};
    for (auto& cb : callbacks) cb(result);
  }

  std::shared_ptr<Notifier> notifier_;
  std::unique_ptr<lt::session> session_;
  std::uint16_t port_ = 0;
  std::map<std::string, KeyPair> keys_;
  std::map<std::string, PendingGet> gets_;
  std::map<std::string, std::vector<std::function<void(MainlinePut)>>> puts_;
};

}  // namespace

std::expected<std::shared_ptr<MainlineDht>, std::string> MainlineDht::start(
    MainlineOptions options) {
  if (!options.post) return std::unexpected("MainlineOptions::post is required");
  auto dht = std::make_shared<LibtorrentDht>(options.post);
  if (auto opened = dht->open(options); !opened) return std::unexpected(opened.error());
  return dht;
}

}  // namespace mosaik::discovery::dht
