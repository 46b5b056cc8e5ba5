#pragma once
// MainlineDht: the one door to libtorrent's Mainline DHT (BEP 5) and its mutable items
// (BEP 44). This header includes nothing of libtorrent or Boost: libtorrent pulls Boost's
// Asio, which must never meet our standalone Asio in one translation unit, so every
// libtorrent include lives in mainline.cpp alone (DESIGN.md §1).
//
//   MainlineOptions o;  o.listen = "127.0.0.1:0";  o.routers = {"127.0.0.1:6881"};
//   o.post = [ex](std::function<void()> f) { asio::post(ex, std::move(f)); };
//   auto dht = MainlineDht::start(std::move(o));             // expected<shared_ptr, string>
//   (*dht)->get(key, [](MainlineGet r) { ... });               // completes through `post`
//
// Threading: start(), get(), put() and the destructor are called from one thread (the
// owner's event loop); completions are delivered only through `post`, never inline. The
// `modify` function of put() runs on libtorrent's own thread: it must use only what it
// captured.

#include <array>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mosaik::discovery::dht {

// A BEP 44 mutable item's address: whoever knows the 32-byte seed can derive the ed25519
// key pair and so both read and sign the item stored under (public key, salt).
struct MutableItemKey {
  std::array<std::uint8_t, 32> seed{};
  std::string salt;  // at most 64 bytes (BEP 44)
};

struct MainlineOptions {
  // Where the DHT's UDP socket binds, "ip:port" ("[v6]:port"); port 0 picks any.
  std::string listen = "0.0.0.0:0";
  // Routers used only to enter the DHT ("host:port"), BEP 5's bootstrap nodes.
  std::vector<std::string> routers;
  // Ordinary DHT nodes to contact at start ("ip:port"); they join our routing table.
  std::vector<std::string> nodes;
  // Hands a completion to the owner's event loop. Required.
  std::function<void(std::function<void()>)> post;
};

struct MainlineGet {
  bool found = false;
  std::string value;     // the item's value (BEP 44 "v"), when it is a byte string
  std::int64_t seq = 0;
};

struct MainlinePut {
  bool written = false;  // at least one node stored it
  int responses = 0;
  std::int64_t seq = 0;
};

// Receives the current value (nullopt when there is none) and returns the value to store
// (at most kMaxValueBytes, so that it bencodes within BEP 44's 1000 bytes).
using MutableModify = std::function<std::string(const std::optional<std::string>&)>;

class MainlineDht {
 public:
  // The largest value (as a byte string) that fits BEP 44's 1000-byte bencoded limit.
  static constexpr std::size_t kMaxValueBytes = 995;

  [[nodiscard]] static std::expected<std::shared_ptr<MainlineDht>, std::string> start(
      MainlineOptions options);
  virtual ~MainlineDht() = default;

  // The UDP port the DHT listens on (0 until libtorrent has bound its socket).
  virtual std::uint16_t port() const = 0;
  // Looks the item up; `done` gets the newest version the lookup found.
  virtual void get(const MutableItemKey& key, std::function<void(MainlineGet)> done) = 0;
  // Reads the current item, lets `modify` derive the next value, signs it with the next
  // sequence number and stores it on the nodes closest to the key.
  virtual void put(const MutableItemKey& key, MutableModify modify,
                   std::function<void(MainlinePut)> done) = 0;
};

}  // namespace mosaik::discovery::dht
