#pragma once
// Immutable bytes shared by reference count. A Raft entry's payload sits in the log, in the
// Append to each follower, in the run handed to storage and in the committed run applied to
// the machine at once: copying a SharedBytes bumps a count where copying a vector allocated
// and copied the payload each time. Encoded exactly as wire::Bytes (a msgpack bin).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <utility>

#include <msgpack.hpp>

#include "mosaik/primitives/wire.hpp"

namespace mosaik::wire {

class SharedBytes {
 public:
  SharedBytes() = default;
  // Takes the vector's buffer (no copy of the bytes).
  SharedBytes(Bytes bytes)  // NOLINT(google-explicit-constructor): a payload is its bytes
      : bytes_(bytes.empty() ? nullptr : std::make_shared<const Bytes>(std::move(bytes))) {}
  SharedBytes(std::initializer_list<std::uint8_t> bytes) : SharedBytes(Bytes(bytes)) {}

  [[nodiscard]] std::size_t size() const { return bytes_ ? bytes_->size() : 0; }
  [[nodiscard]] bool empty() const { return size() == 0; }
  [[nodiscard]] const std::uint8_t* data() const { return bytes_ ? bytes_->data() : nullptr; }
  [[nodiscard]] const std::uint8_t* begin() const { return data(); }
  [[nodiscard]] const std::uint8_t* end() const { return data() + size(); }
  [[nodiscard]] std::span<const std::uint8_t> span() const { return {data(), size()}; }
  operator std::span<const std::uint8_t>() const { return span(); }  // NOLINT: reads as bytes
  [[nodiscard]] Bytes to_vector() const { return Bytes(begin(), end()); }

  friend bool operator==(const SharedBytes& a, const SharedBytes& b) {
    return a.bytes_ == b.bytes_ || std::ranges::equal(a.span(), b.span());
  }
  friend bool operator==(const SharedBytes& a, const Bytes& b) { return std::ranges::equal(a.span(), b); }

 private:
  std::shared_ptr<const Bytes> bytes_;
};

}  // namespace mosaik::wire

namespace msgpack {
MSGPACK_API_VERSION_NAMESPACE(MSGPACK_DEFAULT_API_NS) {
namespace adaptor {

template <>
struct pack<mosaik::wire::SharedBytes> {
  template <class Stream>
  packer<Stream>& operator()(packer<Stream>& o, const mosaik::wire::SharedBytes& v) const {
    o.pack_bin(static_cast<std::uint32_t>(v.size()));
    o.pack_bin_body(reinterpret_cast<const char*>(v.data()), static_cast<std::uint32_t>(v.size()));
    return o;
  }
};

// Decoded by wire::Bytes' own adaptor (a bin, or a str; anything else is a type error).
template <>
struct convert<mosaik::wire::SharedBytes> {
  const msgpack::object& operator()(const msgpack::object& o, mosaik::wire::SharedBytes& v) const {
    v = mosaik::wire::SharedBytes(o.as<mosaik::wire::Bytes>());
    return o;
  }
};

}  // namespace adaptor
}  // MSGPACK_API_VERSION_NAMESPACE(MSGPACK_DEFAULT_API_NS)
}  // namespace msgpack
