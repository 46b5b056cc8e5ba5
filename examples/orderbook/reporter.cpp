#include "reporter.hpp"

#include "fill_dedup.hpp"

namespace orderbook {

asio::awaitable<std::uint64_t> report_fills(mosaik::streams::Consumer<Fill> fills, std::uint64_t count) {
  FillDedup seen;
  while (count == 0 || seen.count() < count) {  // bounded by `count`, or by the stream
    std::optional<Fill> fill = co_await fills.recv();
    if (!fill) break;
    if (seen.first_time(fill->seq)) {
      fmt::print("reporter: {}\n", *fill);
    } else {
      fmt::print("reporter: fill #{} again (resent after a leader change): dropped\n", fill->seq);
    }
  }
  co_return seen.count();
}

}  // namespace orderbook
