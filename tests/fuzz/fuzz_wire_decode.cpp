// libFuzzer target: wire::decode on arbitrary bytes, into every shape of wire_shapes.hpp.
// It must never crash, throw or allocate without bound; whatever it accepts must survive
// encode -> decode unchanged.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <span>

#include "fuzz_check.hpp"
#include "wire_shapes.hpp"

namespace {

using namespace mosaik;

template <class T>
void decode_as(std::span<const std::uint8_t> input) {
  auto value = wire::decode<T>(input);
  if (!value) {
    MOSAIK_FUZZ_CHECK(!value.error().message().empty());
    return;
  }
  wire::Bytes again = wire::encode(*value);
  auto back = wire::decode<T>(again);
  if (!back) {
    std::fprintf(stderr, "re-encoded value does not decode (%s): %s\n", __PRETTY_FUNCTION__,
                 back.error().message().c_str());
  }
  MOSAIK_FUZZ_CHECK(back.has_value());
  MOSAIK_FUZZ_CHECK(*back == *value);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::uint8_t> input(data, size);
  decode_as<fuzz::Nested>(input);
  decode_as<fuzz::Index>(input);
  decode_as<std::string>(input);
  decode_as<fuzz::MaybeText>(input);
  decode_as<fuzz::Tagged>(input);
  decode_as<fuzz::Envelope>(input);
  decode_as<std::vector<std::uint8_t>>(input);
  decode_as<Digest>(input);
  decode_as<PeerId>(input);
  decode_as<Signature>(input);
  decode_as<fuzz::Announcement>(input);
  decode_as<std::vector<fuzz::Announcement>>(input);
  return 0;
}
