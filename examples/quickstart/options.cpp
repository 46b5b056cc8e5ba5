#include "options.hpp"

#include <CLI/CLI.hpp>
#include <charconv>
#include <limits>

namespace quickstart {
namespace {

// Larger durations would overflow a steady_clock deadline (about 30 years in seconds).
constexpr std::uint64_t kMaxDurationUnits = 1'000'000'000;

// "ip:port" or "[ipv6]:port": the same syntax as the addresses after '@' in a peer address.
std::expected<mosaik::SocketAddr, std::string> parse_listen(const std::string& text) {
  // Borrow EndpointAddr's socket parser through a throwaway id.
  const auto parsed = mosaik::EndpointAddr::parse(
      mosaik::SecretKey::from_seed("quickstart/listen").public_key().to_string() + "@" + text);
  if (!parsed) return std::unexpected(parsed.error());
  if (parsed->direct_addresses.size() != 1) return std::unexpected("give exactly one ip:port");
  return *parsed->direct_addresses.begin();
}

// A peer is dialled at its addresses: an id alone cannot be reached (this example runs no
// DHT or mDNS lookup), so it is refused at once rather than waited on.
std::expected<mosaik::EndpointAddr, std::string> parse_peer(const std::string& text) {
  auto parsed = mosaik::EndpointAddr::parse(text);
  if (!parsed) return std::unexpected(parsed.error());
  if (parsed->direct_addresses.empty()) {
    return std::unexpected("'" + text +
                           "' has no address; give <id>@<ip>:<port> as the producer prints it");
  }
  return std::move(*parsed);
}

// A whole number in [0, max]: CLI11 alone would take "-1" for an unsigned option as 2^64 - 1.
CLI::Validator whole_number(std::uint64_t max) {
  return CLI::Validator(
      [max](std::string& text) -> std::string {
        std::uint64_t value = 0;
        const auto [end, err] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (text.empty() || err != std::errc() || end != text.data() + text.size() || value > max) {
          return fmt::format("'{}' is not a whole number from 0 to {}", text, max);
        }
        return {};
      },
      "");  // the type column already says UINT
}

template <class Parse>
CLI::Validator checked_by(Parse parse, std::string description) {
  return CLI::Validator(
      [parse](std::string& text) -> std::string {
        auto r = parse(text);
        return r ? std::string() : r.error();
      },
      std::move(description));
}

}  // namespace

std::variant<Options, int> parse_options(int argc, char** argv) {
  CLI::App app{
      "mosaik quickstart: two nodes exchange typed sensor readings over a stream.\n"
      "Stop it with Ctrl-C or SIGTERM: it leaves the network gracefully and exits 0."};
  app.option_defaults()->always_capture_default();
  Options opt;
  std::string peer, listen = "0.0.0.0:0";
  std::uint64_t interval_ms = static_cast<std::uint64_t>(opt.interval.count());
  std::uint64_t timeout_s = static_cast<std::uint64_t>(opt.timeout.count());
  app.add_option("--role", opt.role, "producer, consumer, or both in this process")
      ->envname("MOSAIK_ROLE")
      ->check(CLI::IsMember({"producer", "consumer", "both"}));
  app.add_option("--peer", peer, "the producer's address, <id>@<ip>:<port> as it prints it")
      ->envname("MOSAIK_PEER")
      ->check(checked_by(parse_peer, "ID@IP:PORT"));
  app.add_option("--network", opt.network, "network name")->envname("MOSAIK_NETWORK");
  app.add_option("--secret", opt.secret, "seed for a stable node identity (default: a random one)")
      ->envname("MOSAIK_SECRET");
  app.add_option("--listen", listen,
                 "UDP address to bind, ip:port (0.0.0.0: every interface, each advertised by "
                 "its own address; port 0: any free port)")
      ->envname("MOSAIK_LISTEN")
      ->check(checked_by(parse_listen, "IP:PORT"));
  app.add_option("--count", opt.count, "readings to send / receive (0: until stopped)")
      ->envname("MOSAIK_COUNT")
      ->check(whole_number(std::numeric_limits<std::uint64_t>::max()));
  app.add_option("--interval-ms", interval_ms, "pause between two readings the producer sends")
      ->envname("MOSAIK_INTERVAL_MS")
      ->check(whole_number(kMaxDurationUnits));
  app.add_option("--timeout", timeout_s,
                 "seconds any one wait may last (0: no limit): for a consumer to subscribe, "
                 "for the producer to be reached, for the next reading, for consumers to finish")
      ->envname("MOSAIK_TIMEOUT")
      ->check(whole_number(kMaxDurationUnits));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (!peer.empty()) opt.peer = *parse_peer(peer);
  opt.listen = *parse_listen(listen);
  opt.interval = std::chrono::milliseconds(interval_ms);
  opt.timeout = std::chrono::seconds(timeout_s);
  if (opt.role == "consumer" && !opt.peer) {
    fmt::print(stderr, "--peer: --role consumer needs the producer's address (<id>@<ip>:<port>)\n");
    return 2;
  }
  return opt;
}

}  // namespace quickstart
