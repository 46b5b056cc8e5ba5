#include "options.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

namespace orderbook {

std::variant<Options, int> parse_options(int argc, char** argv) {
  CLI::App app{
      "mosaik orderbook: three matching engines replicate one order book through a Raft group;\n"
      "traders stream orders to them, and the leading engine streams the fills out.\n"
      "--role demo (the default) runs every role as its own node in this process."};
  app.option_defaults()->always_capture_default();
  Options opt;
  std::string peer, listen = "127.0.0.1:0";
  std::uint64_t timeout_s = static_cast<std::uint64_t>(opt.timeout.count());
  app.add_option("--role", opt.role, "demo, engine, trader or reporter")
      ->envname("MOSAIK_ROLE")
      ->check(CLI::IsMember({"demo", "engine", "trader", "reporter"}));
  app.add_option("--peer", peer, "a node of the network to join through, <id>@<ip>:<port> as it prints it")
      ->envname("MOSAIK_PEER");
  app.add_option("--network", opt.network, "network name")->envname("MOSAIK_NETWORK");
  app.add_option("--group-secret", opt.group_secret, "engines: the secret the group key is derived from")
      ->envname("MOSAIK_GROUP_SECRET");
  app.add_option("--name", opt.name, "engine: its name in the output")->envname("MOSAIK_NAME");
  app.add_option("--trader", opt.trader, "trader: whose scripted orders to send")
      ->envname("MOSAIK_TRADER")
      ->check(CLI::IsMember({"alice", "bob"}));
  app.add_option("--fills", opt.fills, "reporter: exit after this many distinct fills (0: run until stopped)")
      ->envname("MOSAIK_FILLS");
  app.add_option("--listen", listen, "UDP address to bind, ip:port (port 0: any free port)")
      ->envname("MOSAIK_LISTEN");
  app.add_option("--timeout", timeout_s, "demo and trader: seconds any one wait may last")->envname("MOSAIK_TIMEOUT");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (!peer.empty()) {
    auto parsed = mosaik::EndpointAddr::parse(peer);
    if (!parsed || parsed->direct_addresses.empty()) {
      fmt::print(stderr, "--peer: '{}' is not <id>@<ip>:<port>\n", peer);
      return 2;
    }
    opt.peer = std::move(*parsed);
  }
  // Parse "ip:port" through EndpointAddr's address syntax, with a throwaway id in front.
  auto parsed_listen = mosaik::EndpointAddr::parse(
      mosaik::SecretKey::from_seed("orderbook/listen").public_key().to_string() + "@" + listen);
  if (!parsed_listen || parsed_listen->direct_addresses.size() != 1) {
    fmt::print(stderr, "--listen: '{}' is not ip:port\n", listen);
    return 2;
  }
  opt.listen = *parsed_listen->direct_addresses.begin();
  opt.timeout = std::chrono::seconds(timeout_s);
  if (opt.role == "demo" && opt.listen.port() != 0) {
    fmt::print(stderr, "--listen: the demo starts six nodes on this address: give port 0\n");
    return 2;
  }
  if (opt.role != "demo" && opt.role != "engine" && !opt.peer) {
    fmt::print(stderr, "--peer: --role {} needs the address an engine printed\n", opt.role);
    return 2;
  }
  return opt;
}

}  // namespace orderbook
