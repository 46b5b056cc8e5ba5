// libFuzzer target: the frame codec on an arbitrary byte stream fed in arbitrary chunks.
//
// Input layout: byte 0 picks the maximum frame size (0..64, small so that both whole and
// oversized frames are common), byte 1 seeds the chunk sizes, byte 2 bounds them; the rest
// is the stream. Invariants: no frame exceeds the maximum; every frame is exactly the bytes
// its header announced at that point of the stream, and re-encoding it gives those bytes
// back; an error names a header that really is oversized; "need more" only when the
// buffered bytes hold no complete frame.

#include <mosaik/primitives/frame.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>

#include "fuzz_check.hpp"

namespace {

using namespace mosaik;

std::size_t read_header(std::span<const std::uint8_t> at) {
  return std::size_t{at[0]} << 24 | std::size_t{at[1]} << 16 | std::size_t{at[2]} << 8 | at[3];
}

// The frame re-encoded must be the original bytes, and decode again to itself.
void check_round_trip(const wire::Bytes& frame, std::span<const std::uint8_t> original,
                      std::size_t max_size) {
  wire::Bytes encoded;
  wire::append_frame(encoded, frame);
  MOSAIK_FUZZ_CHECK(std::ranges::equal(encoded, original));

  wire::FrameDecoder again(max_size);
  again.feed(encoded);
  auto first = again.next();
  MOSAIK_FUZZ_CHECK(first.has_value() && first->has_value());
  MOSAIK_FUZZ_CHECK(**first == frame);
  auto second = again.next();
  MOSAIK_FUZZ_CHECK(second.has_value() && !second->has_value());
  MOSAIK_FUZZ_CHECK(again.buffered() == 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 3) return 0;
  const std::size_t max_size = data[0] % 65;
  std::uint32_t chunk_state = data[1] | 0x100u;  // never zero
  const std::size_t max_chunk = 1 + data[2] % 32;
  std::span<const std::uint8_t> stream(data + 3, size - 3);

  wire::FrameDecoder decoder(max_size);
  MOSAIK_FUZZ_CHECK(decoder.max_frame_size() == max_size);
  std::size_t fed = 0;     // stream bytes given to the decoder
  std::size_t offset = 0;  // stream position of the next frame's header

  while (fed < stream.size()) {
    chunk_state ^= chunk_state << 13;
    chunk_state ^= chunk_state >> 17;
    chunk_state ^= chunk_state << 5;
    const std::size_t chunk = std::min<std::size_t>(1 + chunk_state % max_chunk, stream.size() - fed);
    decoder.feed(stream.subspan(fed, chunk));
    fed += chunk;

    // Each frame takes at least a header's worth of bytes, which bounds this loop.
    for (std::size_t round = 0;; ++round) {
      MOSAIK_FUZZ_CHECK(round <= fed / wire::kFrameHeaderSize + 1);
      auto next = decoder.next();
      if (!next) {
        MOSAIK_FUZZ_CHECK(fed - offset >= wire::kFrameHeaderSize);
        const std::size_t declared = read_header(stream.subspan(offset));
        MOSAIK_FUZZ_CHECK(next.error().declared_size == declared);
        MOSAIK_FUZZ_CHECK(next.error().max_size == max_size);
        MOSAIK_FUZZ_CHECK(declared > max_size);
        MOSAIK_FUZZ_CHECK(!next.error().message().empty());
        return 0;  // the stream is unusable after an oversized header
      }
      if (!next->has_value()) {
        // Nothing complete is buffered: the decoder holds exactly the unread tail.
        MOSAIK_FUZZ_CHECK(decoder.buffered() == fed - offset);
        if (fed - offset >= wire::kFrameHeaderSize) {
          const std::size_t declared = read_header(stream.subspan(offset));
          MOSAIK_FUZZ_CHECK(declared <= max_size);
          MOSAIK_FUZZ_CHECK(fed - offset < wire::kFrameHeaderSize + declared);
        }
        break;
      }
      const wire::Bytes& frame = **next;
      MOSAIK_FUZZ_CHECK(frame.size() <= max_size);
      MOSAIK_FUZZ_CHECK(fed - offset >= wire::kFrameHeaderSize + frame.size());
      MOSAIK_FUZZ_CHECK(read_header(stream.subspan(offset)) == frame.size());
      check_round_trip(frame, stream.subspan(offset, wire::kFrameHeaderSize + frame.size()),
                       max_size);
      offset += wire::kFrameHeaderSize + frame.size();
    }
  }
  return 0;
}
