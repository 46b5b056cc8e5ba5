#pragma once
// The input layout of the protocol targets: a sequence of records, each
//   [op: 1 byte][step: 1 byte][length: 2 bytes, big-endian][length bytes]
// so that one input is a conversation (several messages, datagrams, clock steps) and a
// mutation of one message leaves the others intact. A record whose length runs past the
// end takes what is left. Seeds are written with append_record.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace mosaik::fuzz {

struct FuzzRecord {
  std::uint8_t op = 0;    // what to do with the bytes (each target says)
  std::uint8_t step = 0;  // how far to move the target's clock first
  std::span<const std::uint8_t> bytes;
};

// Bounds the work of one input whatever its size.
inline constexpr std::size_t kMaxRecords = 256;  // the gossip capture holds about 110

class RecordReader {
 public:
  explicit RecordReader(std::span<const std::uint8_t> input) : rest_(input) {}

  std::optional<FuzzRecord> next() {
    if (rest_.size() < 4 || taken_ == kMaxRecords) return std::nullopt;
    FuzzRecord r{rest_[0], rest_[1], {}};
    const std::size_t declared = std::size_t{rest_[2]} << 8 | rest_[3];
    rest_ = rest_.subspan(4);
    r.bytes = rest_.first(std::min(declared, rest_.size()));
    rest_ = rest_.subspan(r.bytes.size());
    ++taken_;
    return r;
  }

 private:
  std::span<const std::uint8_t> rest_;
  std::size_t taken_ = 0;
};

inline void append_record(std::vector<std::uint8_t>& out, std::uint8_t op, std::uint8_t step,
                          std::span<const std::uint8_t> bytes) {
  const std::size_t n = std::min<std::size_t>(bytes.size(), 0xffff);
  out.push_back(op);
  out.push_back(step);
  out.push_back(static_cast<std::uint8_t>(n >> 8));
  out.push_back(static_cast<std::uint8_t>(n));
  out.insert(out.end(), bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n));
}

}  // namespace mosaik::fuzz
