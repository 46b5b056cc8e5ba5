#pragma once
// Typed close reasons: the QUIC application error codes mosaik puts in CONNECTION_CLOSE and
// RESET_STREAM frames, with the seed's names and codes. A subsystem defines its own with
// make_close_reason (codes >= 200 that do not clash with the built-in ones), and compares
// them with what arrived from the peer:
//
//   inline constexpr CloseReason kInvalidProof = make_close_reason(30405, "InvalidProof");
//   if (err.reason == kInvalidProof) { ... }

#include <fmt/format.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace mosaik::transport {

class CloseReason {
 public:
  constexpr CloseReason(std::uint64_t code, std::string_view name) : code_(code), name_(name) {}

  constexpr std::uint64_t code() const { return code_; }
  // The built-in or registered name; a code unknown to this node reads "Unknown".
  constexpr std::string_view name() const { return name_; }

  // Reasons compare by code only: a code that crossed the wire equals the typed constant.
  friend constexpr bool operator==(const CloseReason& a, const CloseReason& b) {
    return a.code_ == b.code_;
  }

 private:
  std::uint64_t code_;
  std::string_view name_;  // always a string literal
};

// A close frame as it arrived: the application code and the peer's reason phrase.
struct ApplicationClose {
  std::uint64_t code = 0;
  std::string reason;
  friend bool operator==(const ApplicationClose&, const ApplicationClose&) = default;
};

constexpr bool operator==(const CloseReason& a, const ApplicationClose& b) {
  return a.code() == b.code;
}

namespace close_reason {
// Built-in reasons (the seed's table). 0-199 is mosaik's range; 200+ belongs to applications,
// except these four that the seed itself places there.
inline constexpr CloseReason Success{200, "Success"};
inline constexpr CloseReason GracefulShutdown{204, "GracefulShutdown"};
inline constexpr CloseReason InvalidAlpn{100, "InvalidAlpn"};
inline constexpr CloseReason DifferentNetwork{101, "DifferentNetwork"};
inline constexpr CloseReason Cancelled{102, "Cancelled"};
inline constexpr CloseReason UnexpectedClose{103, "UnexpectedClose"};
// Not in the seed's table (docs/decisions/0204): the node's receive buffers are full and
// this connection held the most; the peer sent the first message of a link too late.
inline constexpr CloseReason ResourceExhausted{104, "ResourceExhausted"};
inline constexpr CloseReason Timeout{105, "Timeout"};
// Not in the seed's table (docs/decisions/0206): the peer did not prove the network secret
// (it holds none, another one, or holds one this node does not).
inline constexpr CloseReason InvalidNetworkProof{106, "InvalidNetworkProof"};
inline constexpr CloseReason ProtocolViolation{400, "ProtocolViolation"};
inline constexpr CloseReason UnknownPeer{401, "UnknownPeer"};
}  // namespace close_reason

namespace detail {
constexpr bool is_builtin_close_code(std::uint64_t code) {
  return code < 200 || code == 200 || code == 204 || code == 400 || code == 401;
}
// Thrown only during constant evaluation: a compile error, never a runtime exception.
inline void close_code_must_be_at_least_200_and_not_builtin() {}
}  // namespace detail

// Defines an application close reason at compile time; codes below 200 or equal to a built-in
// code do not compile.
consteval CloseReason make_close_reason(std::uint64_t code, std::string_view name) {
  if (detail::is_builtin_close_code(code)) {
    detail::close_code_must_be_at_least_200_and_not_builtin();
  }
  return CloseReason{code, name};
}

// The typed reason for a code read from the wire: a built-in's name when known.
CloseReason close_reason_from_code(std::uint64_t code);

}  // namespace mosaik::transport

template <>
struct fmt::formatter<mosaik::transport::CloseReason> : fmt::formatter<std::string_view> {
  auto format(const mosaik::transport::CloseReason& r, fmt::format_context& ctx) const {
    return fmt::format_to(ctx.out(), "{}({})", r.name(), r.code());
  }
};
