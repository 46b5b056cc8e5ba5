// Our entry follows our interfaces: when the addresses the endpoint advertises change
// (DHCP, a VPN, an interface brought up), the entry is re-signed and announced at once, not
// at the next periodic refresh (announce_interval, 15 s by default), so peers dial the new
// addresses within about a second (docs/decisions/0207).
#include "service.hpp"

#include "mosaik/primitives/async/timeout.hpp"
#include "mosaik/primitives/log.hpp"
#include "discovery_log.hpp"

namespace mosaik::discovery::detail {

asio::awaitable<void> DiscoveryService::address_watch_loop() {
  for (;;) {
    co_await sleep_for(kAddressCheck);
    // Read outside the lock: the endpoint may re-read the interfaces (getifaddrs).
    const auto current = endpoint_.addr();
    std::optional<SignedPeerEntry> changed;
    {
      std::lock_guard lock(mutex_);
      if (departing_ || local_.addr().direct_addresses == current.direct_addresses) continue;
      logger()->info("our addresses changed to {}: announcing them", current);
      changed = resign_locked();  // takes the current addresses
    }
    announce_entry(*changed, /*urgent=*/true);
  }
}

}  // namespace mosaik::discovery::detail
