#include "support/time.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <string>

namespace mosaik::test {

double time_factor() {
  static const double factor = [] {
    const char* text = std::getenv("TIME_FACTOR");
    if (text == nullptr) return 1.0;
    char* end = nullptr;
    const double value = std::strtod(text, &end);
    return (end != text && value > 0.0) ? value : 1.0;
  }();
  return factor;
}

std::chrono::milliseconds millis(double n) {
  return std::chrono::milliseconds(static_cast<long long>(n * time_factor()));
}

std::chrono::milliseconds secs(double n) { return millis(n * 1000.0); }

std::string describe_timeout(std::chrono::milliseconds limit, const std::source_location& where) {
  return fmt::format("timed out after {} ms (TIME_FACTOR={}) at {}:{}", limit.count(),
                     time_factor(), where.file_name(), where.line());
}

}  // namespace mosaik::test
