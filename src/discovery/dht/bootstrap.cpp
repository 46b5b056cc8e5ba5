#include "bootstrap.hpp"

#include <asio/post.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <limits>
#include <set>
#include <utility>

#include "mosaik/primitives/async/timeout.hpp"
#include "mosaik/primitives/log.hpp"

namespace mosaik::discovery::dht {
namespace {

const auto& logger = log::module_logger<"dht">;

std::uint64_t unix_seconds() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

// The addresses of this machine's interfaces that are up, loopback excluded.
std::vector<asio::ip::address> interface_addresses() {
  std::vector<asio::ip::address> out;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return out;
  for (const ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
    if (i->ifa_addr == nullptr || !(i->ifa_flags & IFF_UP) || (i->ifa_flags & IFF_LOOPBACK)) continue;
    if (i->ifa_addr->sa_family == AF_INET) {
      const auto* in = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
      asio::ip::address_v4::bytes_type b;
      std::memcpy(b.data(), &in->sin_addr, b.size());
      out.emplace_back(asio::ip::address_v4(b));
    } else if (i->ifa_addr->sa_family == AF_INET6) {
      const auto* in6 = reinterpret_cast<const sockaddr_in6*>(i->ifa_addr);
      asio::ip::address_v6::bytes_type b;
      std::memcpy(b.data(), &in6->sin6_addr, b.size());
      const asio::ip::address_v6 v6(b);
      if (!v6.is_link_local()) out.emplace_back(v6);  // link-local needs a scope to dial
    }
  }
  freeifaddrs(list);
  return out;
}

std::string format_bind(const SocketAddr& a) {
  if (a.address().is_v6()) return fmt::format("[{}]:{}", a.address().to_string(), a.port());
  return fmt::format("{}:{}", a.address().to_string(), a.port());
}

// One DHT operation's completion, awaited with a deadline: the completion arrives through
// asio::post on our executor and cancels the timer.
template <class T>
struct Pending {
  explicit Pending(asio::any_io_executor ex) : timer(std::move(ex)) {}
  asio::steady_timer timer;
  std::optional<T> result;
};

template <class T>
asio::awaitable<std::optional<T>> await_pending(std::shared_ptr<Pending<T>> pending,
                                                std::chrono::milliseconds limit) {
  if (!pending->result) {
    pending->timer.expires_after(limit);
    std::error_code ec;
    co_await pending->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    // Aborted without a result: our task is being cancelled, not completed.
    if (ec == asio::error::operation_aborted && !pending->result) throw std::system_error(ec);
  }
  co_return std::move(pending->result);
}

}  // namespace

std::expected<std::shared_ptr<DhtBootstrap>, std::string> DhtBootstrap::start(
    asio::any_io_executor executor, MutableItemKey item, const Config& config,
    BootstrapHooks hooks, TaskGroup& tasks) {
  auto self = std::make_shared<DhtBootstrap>(executor, std::move(item), config, std::move(hooks));
  MainlineOptions options;
  options.listen = format_bind(config.dht_bind);
  options.routers = config.dht_routers;
  options.post = [executor](std::function<void()> f) { asio::post(executor, std::move(f)); };
  auto dht = MainlineDht::start(std::move(options));
  if (!dht) return std::unexpected(dht.error());
  self->dht_ = std::move(*dht);
  logger()->debug("DHT node on UDP port {} ({} routers)", self->dht_->port(),
                  config.dht_routers.size());
  // Each loop holds the bootstrap alive for as long as it runs.
  if (config.dht_poll_interval) {
    tasks.spawn([](std::shared_ptr<DhtBootstrap> b, std::chrono::milliseconds i) -> asio::awaitable<void> {
      co_await b->poll_loop(i);
    }(self, *config.dht_poll_interval));
  }
  if (config.dht_publish_interval) {
    tasks.spawn([](std::shared_ptr<DhtBootstrap> b, std::chrono::milliseconds i) -> asio::awaitable<void> {
      co_await b->publish_loop(i);
    }(self, *config.dht_publish_interval));
  }
  return self;
}

DhtBootstrap::DhtBootstrap(asio::any_io_executor executor, MutableItemKey item,
                           const Config& config, BootstrapHooks hooks)
    : executor_(std::move(executor)),
      key_(std::move(item)),
      op_timeout_(config.dht_operation_timeout),
      redial_after_(config.sync_timeout),
      hooks_(std::move(hooks)),
      rng_(std::random_device{}()) {
  if (config.dht_publish_interval) {
    // A peer that stopped refreshing its entry for three publish rounds is gone.
    policy_.max_age = std::max<std::chrono::seconds>(
        std::chrono::duration_cast<std::chrono::seconds>(3 * *config.dht_publish_interval),
        std::chrono::minutes(5));
  }
}

RecordPeer DhtBootstrap::self_entry() {
  EndpointAddr addr = hooks_.self();
  std::set<SocketAddr> concrete;
  for (const auto& a : addr.direct_addresses) {
    if (!a.address().is_unspecified()) {
      concrete.insert(a);
      continue;
    }
    for (const auto& ip : interface_addresses()) {
      if (ip.is_v4() == a.address().is_v4()) concrete.insert(SocketAddr(ip, a.port()));
    }
  }
  addr.direct_addresses = std::move(concrete);
  const auto known = static_cast<std::uint32_t>(
      std::min<std::size_t>(hooks_.known_peers(), std::numeric_limits<std::uint32_t>::max()));
  return make_record_peer(addr, known, unix_seconds(), policy_);
}

void DhtBootstrap::dial_once(const RecordPeer& peer) {
  const auto now = std::chrono::steady_clock::now();
  std::erase_if(dialed_, [&](const auto& d) { return now - d.second >= redial_after_; });
  if (dialed_.contains(peer.id)) return;
  dialed_.emplace(peer.id, now);
  ++stats_.dials;
  logger()->debug("dialing {} found through the DHT", peer.id);
  hooks_.dial(peer.endpoint());
}

asio::awaitable<std::optional<MainlineGet>> DhtBootstrap::get_item() {
  auto pending = std::make_shared<Pending<MainlineGet>>(executor_);
  dht_->get(key_, [pending](MainlineGet r) {
    pending->result = std::move(r);
    pending->timer.cancel();
  });
  co_return co_await await_pending(pending, op_timeout_);
}

asio::awaitable<std::optional<MainlinePut>> DhtBootstrap::put_item(MutableModify modify) {
  auto pending = std::make_shared<Pending<MainlinePut>>(executor_);
  dht_->put(key_, std::move(modify), [pending](MainlinePut r) {
    pending->result = r;
    pending->timer.cancel();
  });
  co_return co_await await_pending(pending, op_timeout_);
}

asio::awaitable<void> DhtBootstrap::poll_loop(std::chrono::milliseconds interval) {
  for (;;) {
    co_await poll_once();
    const bool knows_peers = hooks_.known_peers() > 0;
    co_await sleep_for(next_poll_delay(knows_peers, interval));
  }
}

asio::awaitable<void> DhtBootstrap::poll_once() {
  ++stats_.polls;
  auto got = co_await get_item();
  if (!got) {
    logger()->debug("DHT lookup of the network record timed out");
    co_return;
  }
  if (!got->found) co_return;
  ++stats_.records_found;
  const auto* data = reinterpret_cast<const std::uint8_t*>(got->value.data());
  const auto read = decode_record(std::span<const std::uint8_t>(data, got->value.size()), policy_);
  if (read.malformed > 0) {
    stats_.malformed_entries += read.malformed;
    logger()->info("ignored {} malformed entries in the DHT record (seq {}){}", read.malformed,
                   got->seq, read.unreadable ? ": the record is unreadable" : "");
  }
  const PeerId me = hooks_.self().id;
  for (const auto& peer : read.record.peers) {
    if (peer.id == me || hooks_.knows(peer.id)) continue;
    dial_once(peer);
  }
}

asio::awaitable<void> DhtBootstrap::publish_loop(std::chrono::milliseconds interval) {
  // A random start-up delay keeps a fleet started together from writing all at once.
  const auto spread = std::min<std::chrono::milliseconds>(interval, std::chrono::seconds(2));
  co_await sleep_for(std::chrono::milliseconds(
      std::uniform_int_distribution<std::int64_t>(0, spread.count())(rng_)));
  for (;;) {
    const bool written = co_await publish_once();
    // Until one write succeeds (the DHT may still be forming), retry at the polling pace.
    co_await sleep_for(written ? interval : std::min(interval, kAggressivePoll));
  }
}

asio::awaitable<bool> DhtBootstrap::publish_once() {
  // The merge runs on libtorrent's thread, between its read and its write of the item (the
  // compare-and-swap of the seed): it uses only what is captured here.
  struct Outcome {
    std::mutex mutex;
    std::vector<RecordPeer> evicted;
    std::size_t malformed = 0;
  };
  auto outcome = std::make_shared<Outcome>();
  const RecordPeer self = self_entry();
  if (self.addresses.empty()) {
    if (!std::exchange(warned_no_address_, true)) {
      logger()->warn("not publishing to the DHT: this node has no address others can dial");
    }
    co_return false;
  }
  const RecordPolicy policy = policy_;
  const std::uint64_t seed = rng_();
  MutableModify modify = [outcome, self, policy, seed](const std::optional<std::string>& current) {
    Record existing;
    std::size_t malformed = 0;
    if (current) {
      const auto* data = reinterpret_cast<const std::uint8_t*>(current->data());
      auto read = decode_record(std::span<const std::uint8_t>(data, current->size()), policy);
      existing = std::move(read.record);
      malformed = read.malformed;
    }
    std::mt19937_64 rng(seed);
    auto merged = merge_self(existing, self, self.updated_s, policy, rng);
    {
      std::lock_guard lock(outcome->mutex);
      outcome->evicted = std::move(merged.evicted);
      outcome->malformed = malformed;
    }
    const auto bytes = encode_record(merged.record);
    return std::string(bytes.begin(), bytes.end());
  };
  auto put = co_await put_item(std::move(modify));
  std::vector<RecordPeer> evicted;
  std::size_t malformed = 0;
  {
    std::lock_guard lock(outcome->mutex);
    evicted = std::move(outcome->evicted);
    malformed = outcome->malformed;
  }
  if (malformed > 0) {
    stats_.malformed_entries += malformed;
    logger()->info("dropped {} malformed entries while rewriting the DHT record", malformed);
  }
  // Evicted peers are not forgotten: they join through gossip once we reach them directly.
  for (const auto& peer : evicted) {
    ++stats_.evicted;
    if (peer.id != self.id && !hooks_.knows(peer.id)) dial_once(peer);
  }
  if (!put || !put->written) {
    logger()->debug("publishing to the DHT reached no node{}", put ? "" : " (timed out)");
    co_return false;
  }
  ++stats_.publishes;
  logger()->debug("published our address to the DHT (seq {}, {} nodes)", put->seq, put->responses);
  co_return true;
}

}  // namespace mosaik::discovery::dht
