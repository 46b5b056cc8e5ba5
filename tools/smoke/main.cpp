// mosaik-smoke: the test-free check that the library links and works on this machine.
// Generates (or derives, with --secret) a node key and prints the node's id.
//
//   mosaik-smoke                      # a fresh identity every run
//   mosaik-smoke --secret=my-node-1   # the same identity every run (MOSAIK_SECRET also works)

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <optional>
#include <string>

#include "mosaik/mosaik.hpp"

int main(int argc, char** argv) {
  CLI::App app{"Prints a mosaik node id from a generated or seeded key"};
  std::optional<std::string> secret;
  std::string network = "mosaik-smoke";
  app.add_option("--secret", secret, "seed for a reproducible key")->envname("MOSAIK_SECRET");
  app.add_option("--network", network, "network name")->envname("MOSAIK_NETWORK");
  CLI11_PARSE(app, argc, argv);
  mosaik::log::init_from_env();

  const auto key = secret ? mosaik::SecretKey::from_seed(*secret) : mosaik::SecretKey::generate();
  const mosaik::NetworkId network_id = network;
  fmt::print("network {} ({})\n", network, network_id.to_hex());
  fmt::print("node id {}\n", key.public_key().to_string());
  fmt::print("secret  {}\n", key);
  return 0;
}
