#pragma once
// The seed's constructors, the same for every collection: writer(network, store_id),
// writer_with_config(.., SyncConfig), reader(..), reader_with_config(..), and ours:
// *_with_options(.., Options) (consensus timing, store secret) and create() for the seed's
// new() (a keyword in C++).

#include <mosaik/collections/detail/collection.hpp>

namespace mosaik::collections::detail {

template <class Writer, class Reader>
struct Constructors {
  using writer_type = Writer;
  using reader_type = Reader;
  template <NetworkHandle Net>
  static Writer writer(const Net& n, const StoreId& s) { return Writer(n, s, Options{}); }
  template <NetworkHandle Net>
  static Writer writer_with_config(const Net& n, const StoreId& s, SyncConfig c) {
    return Writer(n, s, Options{c, {}, {}});
  }
  template <NetworkHandle Net>
  static Writer writer_with_options(const Net& n, const StoreId& s, const Options& o) { return Writer(n, s, o); }
  template <NetworkHandle Net>
  static Reader reader(const Net& n, const StoreId& s) { return Reader(n, s, Options{}); }
  template <NetworkHandle Net>
  static Reader reader_with_config(const Net& n, const StoreId& s, SyncConfig c) {
    return Reader(n, s, Options{c, {}, {}});
  }
  template <NetworkHandle Net>
  static Reader reader_with_options(const Net& n, const StoreId& s, const Options& o) { return Reader(n, s, o); }
  template <NetworkHandle Net>
  static Writer create(const Net& n, const StoreId& s) { return writer(n, s); }
  template <NetworkHandle Net>
  static Writer create_with_config(const Net& n, const StoreId& s, SyncConfig c) { return writer_with_config(n, s, c); }
};

}  // namespace mosaik::collections::detail
