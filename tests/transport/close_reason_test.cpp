// Close reasons: the seed's codes, lookup of codes read from the wire, and equality with
// what arrives in a close frame.
#include <gtest/gtest.h>

#include "mosaik/transport/close_reason.hpp"

namespace mosaik::transport {
namespace close_reason_test {
namespace {

inline constexpr CloseReason kGroupNotFound = make_close_reason(30404, "GroupNotFound");

TEST(CloseReason, builtin_reasons_carry_the_seeds_codes) {
  EXPECT_EQ(close_reason::Success.code(), 200u);
  EXPECT_EQ(close_reason::GracefulShutdown.code(), 204u);
  EXPECT_EQ(close_reason::InvalidAlpn.code(), 100u);
  EXPECT_EQ(close_reason::DifferentNetwork.code(), 101u);
  EXPECT_EQ(close_reason::Cancelled.code(), 102u);
  EXPECT_EQ(close_reason::UnexpectedClose.code(), 103u);
  EXPECT_EQ(close_reason::ProtocolViolation.code(), 400u);
  EXPECT_EQ(close_reason::UnknownPeer.code(), 401u);
}

TEST(CloseReason, a_code_from_the_wire_maps_back_to_its_builtin_name) {
  EXPECT_EQ(close_reason_from_code(204).name(), "GracefulShutdown");
  EXPECT_EQ(close_reason_from_code(400), close_reason::ProtocolViolation);
  EXPECT_EQ(close_reason_from_code(106), close_reason::InvalidNetworkProof);
  EXPECT_EQ(close_reason_from_code(106).name(), "InvalidNetworkProof");
  EXPECT_EQ(close_reason_from_code(999).name(), "Unknown");
}

TEST(CloseReason, an_application_reason_equals_the_close_frame_that_carries_its_code) {
  EXPECT_TRUE((kGroupNotFound == ApplicationClose{30404, "whatever the peer wrote"}));
  EXPECT_FALSE((kGroupNotFound == ApplicationClose{30405, ""}));
  EXPECT_EQ(close_reason_from_code(30404), kGroupNotFound);
  EXPECT_NE(kGroupNotFound, close_reason::Success);
  EXPECT_EQ(fmt::format("{}", kGroupNotFound), "GroupNotFound(30404)");
}

// make_close_reason(150, ...) or make_close_reason(204, ...) does not compile: the check is
// consteval. (Not expressible as a runtime test; kept here as documentation.)

}  // namespace
}  // namespace close_reason_test
}  // namespace mosaik::transport
