#pragma once
// Stats: live counters of one channel (or of a whole consumer): datums, bytes, and how long
// it has been connected. Cheap to copy (a shared view); safe to read from any thread.
//
//   fmt::print("{}", info.stats());   // "uptime: 2m 30s, datums: 15432, bytes: 1.23 MB"

#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace mosaik::streams {

namespace detail {
// Written by the subsystem, read by Stats handles.
struct StatsCounters {
  std::atomic<std::uint64_t> datums{0};
  std::atomic<std::uint64_t> bytes{0};
  // steady_clock nanoseconds of the current connection's start; -1 while disconnected.
  std::atomic<std::int64_t> connected_since_ns{-1};

  void record(std::size_t size) { record(1, size); }
  void record(std::uint64_t count, std::size_t size) {
    datums.fetch_add(count, std::memory_order_relaxed);
    bytes.fetch_add(size, std::memory_order_relaxed);
  }
  void mark_connected();
  void mark_disconnected() { connected_since_ns.store(-1); }
};
}  // namespace detail

class Stats {
 public:
  Stats() : counters_(std::make_shared<detail::StatsCounters>()) {}
  explicit Stats(std::shared_ptr<const detail::StatsCounters> c) : counters_(std::move(c)) {}

  std::uint64_t datums() const { return counters_->datums.load(std::memory_order_relaxed); }
  std::uint64_t bytes() const { return counters_->bytes.load(std::memory_order_relaxed); }
  // Time since the (last) connection was established; nullopt while disconnected.
  std::optional<std::chrono::nanoseconds> uptime() const;

  // The seed's Display: "uptime: 2m 30s, datums: 15432, bytes: 1.23 MB".
  std::string to_string() const;

 private:
  std::shared_ptr<const detail::StatsCounters> counters_;
};

// "2m 30s", "1h 2m 3s", "250ms" (as humantime, to the largest two units that matter).
std::string format_duration(std::chrono::nanoseconds d);
// "1.23 MB", "512 B" (decimal units, as humansize).
std::string format_bytes(std::uint64_t bytes);

}  // namespace mosaik::streams

template <>
struct fmt::formatter<mosaik::streams::Stats> : fmt::formatter<std::string_view> {
  auto format(const mosaik::streams::Stats& s, fmt::format_context& ctx) const {
    return fmt::format_to(ctx.out(), "{}", s.to_string());
  }
};
