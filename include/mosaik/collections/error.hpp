#pragma once
// Error<T>: why a collection's mutation failed, with the value given back where a retry
// makes sense (the seed's Error::Offline(T) / Error::NetworkDown).
//
//   auto v = co_await map.insert("k", 1);
//   if (!v && v.error().is_offline()) retry(std::move(v.error()).take_value());

#include <optional>
#include <string_view>
#include <utility>

namespace mosaik::collections {

template <class T>
class Error {
 public:
  enum class Kind {
    kOffline,      // certainly not committed (no leader reachable): retry with the value
    kTimeout,      // the outcome is unknown (docs/decisions/0406): it may have committed
    kTooLarge,     // the encoded mutation exceeds what one consensus message carries: a caller bug
    kNetworkDown,  // the collection's group terminated (left, or the node shut down): permanent
  };

  static Error offline(T value) { return Error(Kind::kOffline, std::move(value)); }
  static Error timeout(T value) { return Error(Kind::kTimeout, std::move(value)); }
  static Error too_large() { return Error(Kind::kTooLarge, std::nullopt); }
  static Error network_down() { return Error(Kind::kNetworkDown, std::nullopt); }

  [[nodiscard]] Kind kind() const { return kind_; }
  [[nodiscard]] bool is_offline() const { return kind_ == Kind::kOffline; }
  [[nodiscard]] bool is_timeout() const { return kind_ == Kind::kTimeout; }
  [[nodiscard]] bool is_too_large() const { return kind_ == Kind::kTooLarge; }
  [[nodiscard]] bool is_network_down() const { return kind_ == Kind::kNetworkDown; }
  // The value that was not (or not certainly) written; nullopt for TooLarge and NetworkDown.
  [[nodiscard]] const std::optional<T>& value() const { return value_; }
  [[nodiscard]] std::optional<T> take_value() && { return std::move(value_); }

  [[nodiscard]] std::string_view message() const {
    switch (kind_) {
      case Kind::kOffline: return "offline: no leader reachable, not committed";
      case Kind::kTimeout: return "timeout: the outcome is unknown, it may have committed";
      case Kind::kTooLarge: return "too large for one consensus message";
      case Kind::kNetworkDown: return "network down: the collection's group terminated";
    }
    return "unknown";
  }

 private:
  Error(Kind kind, std::optional<T> value) : kind_(kind), value_(std::move(value)) {}
  Kind kind_;
  std::optional<T> value_;
};

}  // namespace mosaik::collections
