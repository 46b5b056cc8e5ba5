#pragma once
// Frames on a byte stream: a 4-byte big-endian length, then that many payload bytes
// (a msgpack value). A length over the maximum is refused as soon as its 4 bytes arrive,
// before anything of that size is allocated.
//
//   wire::append_frame(out, wire::encode(msg));
//   wire::FrameDecoder dec(max);  dec.feed(chunk);
//   while (auto f = dec.next(); f && *f) handle(**f);   // f.error() -> close the link

#include <cstddef>
#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "mosaik/primitives/wire.hpp"

namespace mosaik::wire {

inline constexpr std::size_t kFrameHeaderSize = 4;
inline constexpr std::size_t kDefaultMaxFrameSize = 16 * 1024 * 1024;

struct FrameError {
  std::size_t declared_size;  // what the header claimed
  std::size_t max_size;       // what this decoder accepts

  [[nodiscard]] std::string message() const;
};

// Appends one frame holding `payload`. The payload must not exceed 4 GiB - 1.
void append_frame(Bytes& out, std::span<const std::uint8_t> payload);

// Appends the frame of an encoded value in one pass (no intermediate payload buffer).
template <class T>
void append_encoded_frame(Bytes& out, const T& value) {
  const std::size_t header_at = out.size();
  out.resize(header_at + kFrameHeaderSize);
  encode_into(out, value);
  const auto size = static_cast<std::uint32_t>(out.size() - header_at - kFrameHeaderSize);
  for (std::size_t i = 0; i < kFrameHeaderSize; ++i) {
    out[header_at + i] = static_cast<std::uint8_t>(size >> (8 * (kFrameHeaderSize - 1 - i)));
  }
}

// Complete frames taken from a decoder at once: they share one buffer (the decoder's own,
// handed over), so a batch costs one allocation however many frames it holds.
class FrameBatch {
 public:
  std::size_t size() const { return frames_.size(); }
  bool empty() const { return frames_.empty(); }
  // The payload of frame `i` (header excluded); valid while the batch lives.
  std::span<const std::uint8_t> operator[](std::size_t i) const {
    return {buffer_.data() + frames_[i].offset, frames_[i].size};
  }
  // Payload bytes of every frame, headers excluded.
  std::size_t payload_bytes() const { return payload_bytes_; }

 private:
  friend class FrameDecoder;
  struct Span {
    std::size_t offset;
    std::size_t size;
  };
  Bytes buffer_;
  std::vector<Span> frames_;
  std::size_t payload_bytes_ = 0;
};

// Splits a byte stream, fed in arbitrary chunks, back into frames.
class FrameDecoder {
 public:
  explicit FrameDecoder(std::size_t max_frame_size = kDefaultMaxFrameSize)
      : max_frame_size_(max_frame_size) {}

  // Buffers more input. Drain it (next() until nothing, or take()) before feeding again,
  // so the buffer holds at most one incomplete frame plus what was fed since.
  void feed(std::span<const std::uint8_t> bytes);

  // The next complete frame's payload, nullopt when more input is needed, or an error when
  // the header declares an oversized frame (the stream is unusable after that).
  [[nodiscard]] std::expected<std::optional<Bytes>, FrameError> next();

  // Up to `max_frames` complete frames at once (an empty batch when none is complete), or
  // the error of an oversized frame when it comes first; frames before an oversized one are
  // returned, the error comes with the next call.
  [[nodiscard]] std::expected<FrameBatch, FrameError> take(std::size_t max_frames);

  std::size_t buffered() const { return buffer_.size() - consumed_; }
  std::size_t max_frame_size() const { return max_frame_size_; }
  // A protocol whose first message is smaller than the rest raises the limit after it.
  void set_max_frame_size(std::size_t max) { max_frame_size_ = max; }

 private:
  std::size_t max_frame_size_;
  Bytes buffer_;
  std::size_t consumed_ = 0;  // bytes at the front of buffer_ already returned
};

}  // namespace mosaik::wire
