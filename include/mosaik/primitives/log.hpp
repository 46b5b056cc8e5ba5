#pragma once
// Logging: one spdlog logger per module ("transport", "discovery", ...), all levels set
// from a spec string such as "info" or "warn,transport=debug,discovery=trace".
// Programs read it from MOSAIK_LOG; the test harness from TEST_TRACE.
//
//   mosaik::log::init_from_env();              // once, in main
//   mosaik::log::get("transport")->debug("dialing {}", peer);
//   (or log::module_logger<"transport">() where a lookup per call would cost)

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstddef>
#include <memory>
#include <optional>
#include <string_view>

namespace mosaik::log {

// Modules whose output is noisy at debug/trace (packet-level transport and TLS details):
// a spec's global level does not apply to them unless `unmute` is set; an explicit
// `module=level` entry always does.
inline constexpr std::string_view kNoisyModules[] = {"quic.packet", "tls"};

// The logger of `module`, created on first use with the configured level.
std::shared_ptr<spdlog::logger> get(std::string_view module);

// A module name usable as a template argument: module_logger<"streams">.
template <std::size_t N>
struct ModuleName {
  char text[N];
  constexpr ModuleName(const char (&name)[N]) { std::copy_n(name, N, text); }
  constexpr std::string_view view() const { return {text, N - 1}; }
};

// get(Name), looked up once per program: for a module's hot paths.
//   const auto& logger = log::module_logger<"streams">;   ...   logger()->debug(...);
template <ModuleName Name>
const std::shared_ptr<spdlog::logger>& module_logger() {
  static const auto logger = get(Name.view());
  return logger;
}

// Applies a spec to every existing and future logger. Unknown level names are ignored
// (and reported once on stderr) rather than failing the program.
void configure(std::string_view spec, bool unmute = false);

// configure() from the environment variable `var`, "info" when it is not set: a program
// shows its node's id and addresses, peers joining and leaving, subscriptions lost and
// restored, and every warning. A library user who never calls it gets warnings only.
void init_from_env(const char* var = "MOSAIK_LOG");

}  // namespace mosaik::log
