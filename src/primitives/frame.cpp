#include "mosaik/primitives/frame.hpp"

#include <fmt/format.h>

#include <stdexcept>

namespace mosaik::wire {

std::string FrameError::message() const {
  return fmt::format("frame of {} bytes exceeds the maximum of {} bytes", declared_size, max_size);
}

void append_frame(Bytes& out, std::span<const std::uint8_t> payload) {
  if (payload.size() > UINT32_MAX) throw std::length_error("frame payload exceeds 4 GiB");
  const auto size = static_cast<std::uint32_t>(payload.size());
  out.push_back(static_cast<std::uint8_t>(size >> 24));
  out.push_back(static_cast<std::uint8_t>(size >> 16));
  out.push_back(static_cast<std::uint8_t>(size >> 8));
  out.push_back(static_cast<std::uint8_t>(size));
  out.insert(out.end(), payload.begin(), payload.end());
}

void FrameDecoder::feed(std::span<const std::uint8_t> bytes) {
  // Drop what was already returned before growing, so the buffer stays one frame deep.
  if (consumed_ > 0) {
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(consumed_));
    consumed_ = 0;
  }
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
}

namespace {

std::size_t declared_size(const std::uint8_t* header) {
  return static_cast<std::size_t>(header[0]) << 24 | static_cast<std::size_t>(header[1]) << 16 |
         static_cast<std::size_t>(header[2]) << 8 | static_cast<std::size_t>(header[3]);
}

}  // namespace

std::expected<FrameBatch, FrameError> FrameDecoder::take(std::size_t max_frames) {
  FrameBatch batch;
  std::size_t pos = consumed_;
  while (batch.frames_.size() < max_frames && buffer_.size() - pos >= kFrameHeaderSize) {
    const std::size_t size = declared_size(buffer_.data() + pos);
    if (size > max_frame_size_) {
      if (batch.empty()) return std::unexpected(FrameError{size, max_frame_size_});
      break;
    }
    if (buffer_.size() - pos < kFrameHeaderSize + size) break;
    batch.frames_.push_back({pos + kFrameHeaderSize, size});
    batch.payload_bytes_ += size;
    pos += kFrameHeaderSize + size;
  }
  if (batch.empty()) return batch;
  // Hand the buffer over; only the incomplete tail (at most one frame) is copied back.
  Bytes tail(buffer_.begin() + static_cast<std::ptrdiff_t>(pos), buffer_.end());
  batch.buffer_ = std::move(buffer_);
  buffer_ = std::move(tail);
  consumed_ = 0;
  return batch;
}

std::expected<std::optional<Bytes>, FrameError> FrameDecoder::next() {
  const std::size_t available = buffer_.size() - consumed_;
  if (available < kFrameHeaderSize) return std::nullopt;
  const std::size_t size = declared_size(buffer_.data() + consumed_);
  if (size > max_frame_size_) return std::unexpected(FrameError{size, max_frame_size_});
  if (available < kFrameHeaderSize + size) return std::nullopt;
  const auto begin = buffer_.begin() + static_cast<std::ptrdiff_t>(consumed_ + kFrameHeaderSize);
  Bytes payload(begin, begin + static_cast<std::ptrdiff_t>(size));
  consumed_ += kFrameHeaderSize + size;
  if (consumed_ == buffer_.size()) {
    buffer_.clear();
    consumed_ = 0;
  }
  return payload;
}

}  // namespace mosaik::wire
