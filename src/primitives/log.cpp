#include "mosaik/primitives/log.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace mosaik::log {
namespace {

struct Config {
  std::mutex mutex;
  spdlog::level::level_enum global = spdlog::level::warn;
  std::map<std::string, spdlog::level::level_enum, std::less<>> per_module;
  bool unmute = false;
  std::map<std::string, std::shared_ptr<spdlog::logger>, std::less<>> loggers;
};

Config& config() {
  static Config c;
  return c;
}

bool is_noisy(std::string_view module) {
  return std::ranges::any_of(kNoisyModules, [&](std::string_view n) { return module == n; });
}

spdlog::level::level_enum level_for(const Config& c, std::string_view module) {
  if (auto it = c.per_module.find(module); it != c.per_module.end()) return it->second;
  if (is_noisy(module) && !c.unmute) return std::max(c.global, spdlog::level::warn);
  return c.global;
}

std::optional<spdlog::level::level_enum> parse_level(std::string_view name) {
  auto level = spdlog::level::from_str(std::string(name));
  // from_str answers "off" for anything it does not know; only accept a real "off".
  if (level == spdlog::level::off && name != "off") return std::nullopt;
  return level;
}

}  // namespace

std::shared_ptr<spdlog::logger> get(std::string_view module) {
  Config& c = config();
  std::lock_guard lock(c.mutex);
  if (auto it = c.loggers.find(module); it != c.loggers.end()) return it->second;
  auto logger = std::make_shared<spdlog::logger>(
      std::string(module), std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  logger->set_level(level_for(c, module));
  c.loggers.emplace(std::string(module), logger);
  return logger;
}

void configure(std::string_view spec, bool unmute) {
  Config& c = config();
  std::lock_guard lock(c.mutex);
  c.unmute = unmute;
  c.per_module.clear();
  while (!spec.empty()) {
    const auto comma = spec.find(',');
    std::string_view item = spec.substr(0, comma);
    spec = comma == std::string_view::npos ? std::string_view{} : spec.substr(comma + 1);
    const auto eq = item.find('=');
    std::string_view level_name = eq == std::string_view::npos ? item : item.substr(eq + 1);
    auto level = parse_level(level_name);
    if (!level) {
      std::fprintf(stderr, "mosaik: ignoring unknown log level '%.*s'\n",
                   static_cast<int>(level_name.size()), level_name.data());
      continue;
    }
    if (eq == std::string_view::npos) {
      c.global = *level;
    } else {
      c.per_module[std::string(item.substr(0, eq))] = *level;
    }
  }
  for (auto& [name, logger] : c.loggers) logger->set_level(level_for(c, name));
}

void init_from_env(const char* var) {
  const char* spec = std::getenv(var);
  configure(spec != nullptr ? spec : "info");
}

}  // namespace mosaik::log
