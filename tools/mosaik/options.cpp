#include "options.hpp"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <charconv>
#include <expected>

namespace mosaik_tool {
namespace {

// Larger durations would overflow a steady_clock deadline.
constexpr std::uint64_t kMaxSeconds = 1'000'000'000;

// "ip:port" or "[ipv6]:port", the syntax of the addresses after '@' in a peer address.
std::expected<mosaik::SocketAddr, std::string> parse_listen(const std::string& text) {
  // Borrow EndpointAddr's socket parser through a throwaway id.
  const auto parsed = mosaik::EndpointAddr::parse(
      mosaik::SecretKey::from_seed("mosaik/listen").public_key().to_string() + "@" + text);
  if (!parsed) return std::unexpected(parsed.error());
  if (parsed->direct_addresses.size() != 1) return std::unexpected("give exactly one ip:port");
  return *parsed->direct_addresses.begin();
}

// A bootstrap peer is dialled at its addresses: an id alone cannot be reached without the
// DHT, so it is refused at once rather than waited on.
std::expected<mosaik::EndpointAddr, std::string> parse_peer(const std::string& text) {
  auto parsed = mosaik::EndpointAddr::parse(text);
  if (!parsed) return std::unexpected(parsed.error());
  if (parsed->direct_addresses.empty()) {
    return std::unexpected("'" + text + "' has no address; give <id>@<ip>:<port>");
  }
  return std::move(*parsed);
}

std::expected<std::uint64_t, std::string> parse_whole(const std::string& text, std::uint64_t max) {
  std::uint64_t value = 0;
  const auto [end, err] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || err != std::errc() || end != text.data() + text.size() || value > max) {
    return std::unexpected(fmt::format("'{}' is not a whole number from 0 to {}", text, max));
  }
  return value;
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

CLI::Validator whole_number(std::uint64_t max) {
  return checked_by([max](const std::string& t) { return parse_whole(t, max); }, "");
}

// What the flags are read into before they are checked and converted.
struct Raw {
  std::vector<std::string> bootstrap;
  std::string listen = "0.0.0.0:0";
  std::uint64_t timeout_s = 10;
  std::uint64_t settle_ms = 500;
  bool no_dht = false;
  std::string metrics;
};

void add_common(CLI::App& cmd, Options& opt, Raw& raw) {
  cmd.add_option("--network", opt.network, "network name (every node of a network uses the same)")
      ->envname("MOSAIK_NETWORK")
      ->required();
  cmd.add_option("--bootstrap", raw.bootstrap,
                 "a peer to join through, <id>@<ip>:<port> (repeatable; in MOSAIK_BOOTSTRAP, "
                 "separated by spaces)")
      ->envname("MOSAIK_BOOTSTRAP")
      ->delimiter(' ')
      ->check(checked_by(parse_peer, "ID@IP:PORT"));
  cmd.add_option("--secret", opt.secret,
                 "seed of this node's identity, for a stable peer id (default: a random one)")
      ->envname("MOSAIK_SECRET");
  cmd.add_option("--network-secret", opt.network_secret,
                 "the network's admission secret, when it has one")
      ->envname("MOSAIK_NETWORK_SECRET");
  cmd.add_option("--listen", raw.listen, "UDP address to bind, ip:port (port 0: any free port)")
      ->envname("MOSAIK_LISTEN")
      ->check(checked_by(parse_listen, "IP:PORT"));
  cmd.add_flag("--mdns", opt.mdns, "also find peers on the local link by mDNS")
      ->envname("MOSAIK_MDNS");
  cmd.add_flag("--no-dht", raw.no_dht, "no Mainline DHT bootstrap (only --bootstrap and --mdns)")
      ->envname("MOSAIK_NO_DHT");
  cmd.add_option("--timeout", raw.timeout_s,
                 "seconds to reach the bootstrap peers before giving up (0: no limit)")
      ->envname("MOSAIK_TIMEOUT")
      ->check(whole_number(kMaxSeconds));
}

void add_listing(CLI::App& cmd, Options& opt, Raw& raw) {
  cmd.add_flag("--json", opt.json, "print JSON instead of a table")->envname("MOSAIK_JSON");
  cmd.add_option("--settle-ms", raw.settle_ms,
                 "after the catalog syncs, how long to let gossip bring more peers")
      ->envname("MOSAIK_SETTLE_MS")
      ->check(whole_number(kMaxSeconds));
}

}  // namespace

std::variant<Options, int> parse_options(int argc, char** argv) {
  CLI::App app{
      "mosaik: look into a running mosaik network, or run a bootstrap node for it.\n"
      "Every flag has a MOSAIK_* environment fallback. Ctrl-C or SIGTERM leaves the network "
      "gracefully."};
  app.option_defaults()->always_capture_default();
  app.require_subcommand(1);
  Options opt;
  Raw raw;

  auto* bootstrap = app.add_subcommand(
      "bootstrap",
      "run a bootstrap node: a long-lived peer that only does discovery; prints its address");
  add_common(*bootstrap, opt, raw);
  bootstrap->add_option("--tag", opt.tags, "tag to advertise (repeatable)")
      ->envname("MOSAIK_TAGS")
      ->delimiter(',');
  bootstrap->add_flag("--print-address-only", opt.print_address_only,
                      "print the node's address and nothing else");
  bootstrap->add_option("--metrics", raw.metrics,
                        "serve Prometheus metrics at http://IP:PORT/metrics and a live view at /")
      ->envname("MOSAIK_METRICS")
      ->check(checked_by(parse_listen, "IP:PORT"));

  auto* peers = app.add_subcommand(
      "peers", "join as an observer and list the catalog: id, addresses, tags, streams, groups, age");
  auto* watch = app.add_subcommand(
      "watch", "join as an observer and print peers joining, changing and leaving, as it happens");
  auto* streams = app.add_subcommand("streams", "list the streams the catalog advertises");
  auto* groups = app.add_subcommand("groups", "list the groups the catalog advertises");
  for (auto* cmd : {peers, watch, streams, groups}) {
    add_common(*cmd, opt, raw);
    if (cmd == watch) {
      cmd->add_flag("--json", opt.json, "one JSON object a line")->envname("MOSAIK_JSON");
    } else {
      add_listing(*cmd, opt, raw);
    }
  }

  // CLI11 would only say that a command is required: name the word it did not know.
  const auto commands = app.get_subcommands([](const CLI::App*) { return true; });
  const bool known = argc > 1 && std::any_of(commands.begin(), commands.end(), [&](const CLI::App* c) {
                       return c->get_name() == argv[1];
                     });
  if (argc > 1 && argv[1][0] != '-' && !known) {
    fmt::print(stderr, "mosaik: unknown command '{}' (bootstrap, peers, watch, streams, groups)\n",
               argv[1]);
    return 2;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (bootstrap->parsed()) opt.command = Command::kBootstrap;
  if (peers->parsed()) opt.command = Command::kPeers;
  if (watch->parsed()) opt.command = Command::kWatch;
  if (streams->parsed()) opt.command = Command::kStreams;
  if (groups->parsed()) opt.command = Command::kGroups;

  for (const auto& b : raw.bootstrap) opt.bootstrap.push_back(*parse_peer(b));
  opt.listen = *parse_listen(raw.listen);
  if (!raw.metrics.empty()) opt.metrics = *parse_listen(raw.metrics);
  opt.dht = !raw.no_dht;
  opt.timeout = std::chrono::seconds(raw.timeout_s);
  opt.settle = std::chrono::milliseconds(raw.settle_ms);
  if (opt.network.empty()) {
    fmt::print(stderr, "--network: the network name must not be empty\n");
    return 2;
  }
  if (opt.secret && opt.secret->empty()) {
    fmt::print(stderr, "--secret: must not be empty (leave it out for a random identity)\n");
    return 2;
  }
  if (opt.network_secret && opt.network_secret->empty()) {
    fmt::print(stderr, "--network-secret: must not be empty\n");
    return 2;
  }
  if (opt.command != Command::kBootstrap && opt.bootstrap.empty() && !opt.mdns && !opt.dht) {
    fmt::print(stderr,
               "--bootstrap: give at least one peer to join through (or --mdns, or leave the "
               "DHT on)\n");
    return 2;
  }
  for (const auto& tag : opt.tags) {
    if (tag.empty()) {
      fmt::print(stderr, "--tag: a tag must not be empty\n");
      return 2;
    }
  }
  return opt;
}

}  // namespace mosaik_tool
