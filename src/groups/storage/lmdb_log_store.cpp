#include "lmdb_log_store.hpp"

#include <fcntl.h>
#include <lmdb.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <condition_variable>
#include <cstring>
#include <deque>
#include <future>
#include <mutex>
#include <random>
#include <thread>

#include <fmt/format.h>

#include "crc32c.hpp"
#include "mosaik/primitives/wire.hpp"

namespace mosaik::groups::storage {
namespace {

// One write transaction takes at most this much queued work: bounded memory in the
// transaction and a bounded wait for the jobs queued behind it.
constexpr std::size_t kMaxJobsPerTransaction = 4096;
constexpr std::size_t kMaxBytesPerTransaction = std::size_t{64} << 20;
constexpr std::size_t kEntryHeaderBytes = 4 + 8 + 1;  // crc32c | term | kind
constexpr std::size_t kMetaHeaderBytes = 4;           // crc32c
constexpr std::string_view kHardStateKey = "hard_state";
constexpr std::string_view kBaseKey = "base";
constexpr std::string_view kEpochKey = "epoch";

using Key = std::array<std::uint8_t, 8>;

Key index_key(Index i) {
  Key k{};
  for (int b = 0; b < 8; ++b) k[static_cast<std::size_t>(b)] = static_cast<std::uint8_t>(i.value >> (56 - 8 * b));
  return k;
}

std::uint64_t read_u64(const std::uint8_t* p) {
  std::uint64_t v = 0;
  for (int b = 0; b < 8; ++b) v = (v << 8) | p[b];
  return v;
}

void write_u64(std::uint8_t* p, std::uint64_t v) {
  for (int b = 0; b < 8; ++b) p[b] = static_cast<std::uint8_t>(v >> (56 - 8 * b));
}

std::uint32_t read_u32(const std::uint8_t* p) {
  return std::uint32_t(p[0]) | std::uint32_t(p[1]) << 8 | std::uint32_t(p[2]) << 16 | std::uint32_t(p[3]) << 24;
}

void write_u32(std::uint8_t* p, std::uint32_t v) {
  for (int b = 0; b < 4; ++b) p[b] = static_cast<std::uint8_t>(v >> (8 * b));
}

std::span<const std::uint8_t> bytes_of(const MDB_val& v) {
  return {static_cast<const std::uint8_t*>(v.mv_data), v.mv_size};
}

MDB_val val_of(std::span<const std::uint8_t> s) {
  return MDB_val{s.size(), const_cast<std::uint8_t*>(s.data())};  // LMDB's API is not const-correct
}

std::span<const std::uint8_t> key_bytes(std::string_view k) {
  return {reinterpret_cast<const std::uint8_t*>(k.data()), k.size()};
}

// crc32c over the key and the rest of the record, stored in its first four bytes.
std::uint32_t record_crc(std::span<const std::uint8_t> key, std::span<const std::uint8_t> body) {
  return crc32c(body, crc32c(key));
}

std::string lmdb_error(int rc) { return mdb_strerror(rc); }

// The committed log entries of one group, decoded and checked.
struct DecodedEntry {
  bool ok = false;
  raft::Entry entry;
};

DecodedEntry decode_entry(const MDB_val& key, const MDB_val& value) {
  DecodedEntry d;
  const auto k = bytes_of(key);
  const auto v = bytes_of(value);
  if (k.size() != 8 || v.size() < kEntryHeaderBytes) return d;
  if (read_u32(v.data()) != record_crc(k, v.subspan(4))) return d;
  d.entry.index = Index(read_u64(k.data()));
  d.entry.term = Term(read_u64(v.data() + 4));
  d.entry.kind = v[12];
  d.entry.data = wire::Bytes(v.begin() + kEntryHeaderBytes, v.end());
  d.ok = true;
  return d;
}

}  // namespace

// ---------------------------------------------------------------------------------------
// The environment and its writer thread.

struct LmdbLogStore::Group {
  LmdbStorage::Env* env = nullptr;  // outlives every job: jobs run on its thread
  std::string name;
  MDB_dbi log = 0;
  MDB_dbi meta = 0;

  // What the store holds as of the last commit: written by the writer thread after a commit.
  mutable std::mutex mutex;
  raft::HardState hard;
  raft::SnapshotPoint base;
  Index last;
  std::uint64_t epoch = 0;
  mutable MDB_txn* read_txn = nullptr;  // reused (reset, renewed) for each read; under mutex
};

namespace {

// A write's effect on the cache, published once its transaction committed.
struct Published {
  std::optional<raft::HardState> hard;
  std::optional<raft::SnapshotPoint> base;
  Index last;
};

struct Job {
  std::shared_ptr<LmdbLogStore::Group> group;
  std::function<std::expected<Published, std::string>(MDB_txn*)> apply;
  LmdbLogStore::Done done;
  std::size_t bytes = 0;
  std::shared_ptr<std::promise<void>> flushed;  // a flush marker instead of a write
};

}  // namespace

struct LmdbStorage::Env {
  MDB_env* env = nullptr;
  std::filesystem::path directory;
  std::filesystem::path data_file;
  int lock_fd = -1;      // flock'ed: one node per directory, in this process or another
  std::mutex dbi_mutex;  // mdb_dbi_open: one transaction at a time may call it

  std::mutex mutex;
  std::condition_variable wake;
  std::deque<Job> queue;  // guarded by mutex
  bool stopping = false;  // guarded by mutex
  std::thread writer;

  ~Env() {
    {
      std::lock_guard lock(mutex);
      stopping = true;
    }
    wake.notify_all();
    if (writer.joinable()) writer.join();
    if (env) mdb_env_close(env);
    if (lock_fd >= 0) ::close(lock_fd);
  }

  [[nodiscard]] std::string where(std::string_view what) const {
    return fmt::format("{}: {}", data_file.string(), what);
  }

  void submit(Job job) {
    {
      std::lock_guard lock(mutex);
      queue.push_back(std::move(job));
    }
    wake.notify_one();
  }

  void run() {
    for (;;) {
      std::vector<Job> batch;
      {
        std::unique_lock lock(mutex);
        wake.wait(lock, [&] { return stopping || !queue.empty(); });
        if (queue.empty()) return;  // stopping, and every queued write is done
        std::size_t bytes = 0;
        while (!queue.empty() && batch.size() < kMaxJobsPerTransaction &&
               (batch.empty() || bytes + queue.front().bytes <= kMaxBytesPerTransaction)) {
          bytes += queue.front().bytes;
          batch.push_back(std::move(queue.front()));
          queue.pop_front();
        }
      }
      commit(batch);
    }
  }

  // One transaction for the batch; each job in a nested transaction, so a job that fails
  // (a write that breaks the log's shape) is refused alone.
  void commit(std::vector<Job>& batch) {
    std::vector<std::expected<Published, std::string>> results;
    results.reserve(batch.size());
    MDB_txn* txn = nullptr;
    int rc = mdb_txn_begin(env, nullptr, 0, &txn);
    if (rc == 0) {
      for (auto& job : batch) {
        if (!job.apply) {
          results.emplace_back(Published{});
          continue;
        }
        MDB_txn* child = nullptr;
        rc = mdb_txn_begin(env, txn, 0, &child);
        if (rc != 0) break;
        auto r = job.apply(child);
        if (r) {
          rc = mdb_txn_commit(child);
          if (rc != 0) break;
        } else {
          mdb_txn_abort(child);
        }
        results.push_back(std::move(r));
      }
      if (rc == 0) {
        rc = mdb_txn_commit(txn);  // fsyncs unless MDB_NOSYNC
      } else {
        mdb_txn_abort(txn);
      }
    }
    for (std::size_t i = 0; i < batch.size(); ++i) {
      Job& job = batch[i];
      std::expected<void, StorageError> outcome;
      if (rc != 0) {
        outcome = std::unexpected(StorageError{where(fmt::format("write failed: {}", lmdb_error(rc)))});
      } else if (!results[i]) {
        outcome = std::unexpected(StorageError{where(results[i].error())});
      } else if (job.group) {
        std::lock_guard lock(job.group->mutex);
        if (results[i]->hard) job.group->hard = *results[i]->hard;
        if (results[i]->base) job.group->base = *results[i]->base;
        job.group->last = results[i]->last;
      }
      if (job.done) job.done(std::move(outcome));
      if (job.flushed) job.flushed->set_value();
    }
  }
};

namespace {

std::expected<void, std::string> put_meta(MDB_txn* txn, MDB_dbi meta, std::string_view key,
                                          std::span<const std::uint8_t> bytes) {
  wire::Bytes value(kMetaHeaderBytes + bytes.size());
  std::memcpy(value.data() + kMetaHeaderBytes, bytes.data(), bytes.size());
  write_u32(value.data(), record_crc(key_bytes(key), bytes));
  MDB_val k = val_of(key_bytes(key));
  MDB_val v = val_of(value);
  if (int rc = mdb_put(txn, meta, &k, &v, 0); rc != 0) return std::unexpected(lmdb_error(rc));
  return {};
}

// nullopt: absent; an error: present but damaged.
std::expected<std::optional<wire::Bytes>, std::string> get_meta(MDB_txn* txn, MDB_dbi meta, std::string_view key) {
  MDB_val k = val_of(key_bytes(key));
  MDB_val v{};
  int rc = mdb_get(txn, meta, &k, &v);
  if (rc == MDB_NOTFOUND) return std::optional<wire::Bytes>{};
  if (rc != 0) return std::unexpected(lmdb_error(rc));
  const auto bytes = bytes_of(v);
  if (bytes.size() < kMetaHeaderBytes || read_u32(bytes.data()) != record_crc(key_bytes(key), bytes.subspan(4)))
    return std::unexpected(fmt::format("{}: checksum mismatch", key));
  return std::optional<wire::Bytes>(wire::Bytes(bytes.begin() + kMetaHeaderBytes, bytes.end()));
}

template <class T>
std::expected<std::optional<T>, std::string> get_meta_as(MDB_txn* txn, MDB_dbi meta, std::string_view key) {
  auto raw = get_meta(txn, meta, key);
  if (!raw) return std::unexpected(raw.error());
  if (!*raw) return std::optional<T>{};
  auto decoded = wire::decode<T>(**raw);
  if (!decoded) return std::unexpected(fmt::format("{}: undecodable ({})", key, decoded.error().detail));
  return std::optional<T>(std::move(*decoded));
}

std::optional<Term> stored_term(MDB_txn* txn, MDB_dbi log, Index i) {
  const Key key = index_key(i);
  MDB_val k = val_of(key);
  MDB_val v{};
  if (mdb_get(txn, log, &k, &v) != 0 || v.mv_size < kEntryHeaderBytes) return std::nullopt;
  return Term(read_u64(static_cast<const std::uint8_t*>(v.mv_data) + 4));
}

std::expected<Index, std::string> stored_last(MDB_txn* txn, MDB_dbi log, Index base) {
  MDB_cursor* cursor = nullptr;
  if (int rc = mdb_cursor_open(txn, log, &cursor); rc != 0) return std::unexpected(lmdb_error(rc));
  MDB_val k{}, v{};
  const int rc = mdb_cursor_get(cursor, &k, &v, MDB_LAST);
  mdb_cursor_close(cursor);
  if (rc == MDB_NOTFOUND) return base;
  if (rc != 0) return std::unexpected(lmdb_error(rc));
  if (k.mv_size != 8) return std::unexpected(std::string("a log key of the wrong size"));
  return Index(read_u64(static_cast<const std::uint8_t*>(k.mv_data)));
}

// Deletes the log's entries in [from, to].
std::expected<void, std::string> delete_range(MDB_txn* txn, MDB_dbi log, Index from, Index to) {
  if (to < from) return {};
  MDB_cursor* cursor = nullptr;
  if (int rc = mdb_cursor_open(txn, log, &cursor); rc != 0) return std::unexpected(lmdb_error(rc));
  const Key start = index_key(from);
  int rc = 0;
  for (;;) {  // seek again after each delete: where LMDB leaves the cursor then is subtle
    MDB_val k = val_of(start);
    MDB_val v{};
    rc = mdb_cursor_get(cursor, &k, &v, MDB_SET_RANGE);
    if (rc != 0) break;
    if (k.mv_size != 8 || read_u64(static_cast<const std::uint8_t*>(k.mv_data)) > to.value) break;
    rc = mdb_cursor_del(cursor, 0);
    if (rc != 0) break;
  }
  mdb_cursor_close(cursor);
  if (rc != 0 && rc != MDB_NOTFOUND) return std::unexpected(lmdb_error(rc));
  return {};
}

std::expected<void, std::string> put_entry(MDB_txn* txn, MDB_dbi log, const raft::Entry& e, bool append) {
  const Key key = index_key(e.index);
  wire::Bytes value(kEntryHeaderBytes + e.data.size());
  write_u64(value.data() + 4, e.term.value);
  value[12] = e.kind;
  if (!e.data.empty()) std::memcpy(value.data() + kEntryHeaderBytes, e.data.data(), e.data.size());
  write_u32(value.data(), record_crc(key, std::span<const std::uint8_t>(value).subspan(4)));
  MDB_val k = val_of(key);
  MDB_val v = val_of(value);
  if (int rc = mdb_put(txn, log, &k, &v, append ? MDB_APPEND : 0); rc != 0) return std::unexpected(lmdb_error(rc));
  return {};
}

// MemoryLogStore::save, inside a transaction.
std::expected<Published, std::string> apply_save(MDB_txn* txn, const LmdbLogStore::Group& g,
                                                 const std::optional<raft::SnapshotPoint>& snapshot,
                                                 const std::optional<raft::HardState>& hard,
                                                 const std::vector<raft::Entry>& entries) {
  Published p;
  auto base = get_meta_as<raft::SnapshotPoint>(txn, g.meta, kBaseKey);
  if (!base) return std::unexpected(base.error());
  raft::SnapshotPoint current = base->value_or(raft::SnapshotPoint{});
  auto last = stored_last(txn, g.log, current.cursor.index);
  if (!last) return std::unexpected(last.error());
  if (snapshot) {
    const Index at = snapshot->cursor.index;
    const bool keep = at > current.cursor.index && at <= *last && stored_term(txn, g.log, at) == snapshot->cursor.term;
    auto dropped = delete_range(txn, g.log, Index(0), keep ? at : *last);
    if (!dropped) return std::unexpected(dropped.error());
    if (auto r = put_meta(txn, g.meta, kBaseKey, wire::encode(*snapshot)); !r) return std::unexpected(r.error());
    current = *snapshot;
    last = keep ? *last : at;
    p.base = *snapshot;
  }
  if (hard) {
    if (auto r = put_meta(txn, g.meta, kHardStateKey, wire::encode(*hard)); !r) return std::unexpected(r.error());
    p.hard = *hard;
  }
  if (!entries.empty()) {
    const Index first = entries.front().index;
    if (first <= current.cursor.index || first > last->next())
      return std::unexpected(fmt::format("group {}: entries from {} do not continue the log ({}, {}]", g.name,
                                         first.value, current.cursor.index.value, last->value));
    if (auto r = delete_range(txn, g.log, first, *last); !r) return std::unexpected(r.error());
    Index expect = first;
    for (const auto& e : entries) {
      if (e.index != expect) return std::unexpected(fmt::format("group {}: entries not contiguous", g.name));
      if (auto r = put_entry(txn, g.log, e, true); !r) return std::unexpected(r.error());
      expect = expect.next();
    }
    last = entries.back().index;
  }
  p.last = *last;
  return p;
}

std::expected<Published, std::string> apply_compact(MDB_txn* txn, const LmdbLogStore::Group& g,
                                                    const raft::SnapshotPoint& point) {
  auto base = get_meta_as<raft::SnapshotPoint>(txn, g.meta, kBaseKey);
  if (!base) return std::unexpected(base.error());
  const raft::SnapshotPoint current = base->value_or(raft::SnapshotPoint{});
  auto last = stored_last(txn, g.log, current.cursor.index);
  if (!last) return std::unexpected(last.error());
  Published p;
  p.last = *last;
  if (point.cursor.index <= current.cursor.index) return p;
  if (stored_term(txn, g.log, point.cursor.index) != point.cursor.term)
    return std::unexpected(fmt::format("group {}: compaction point {} is not in the stored log", g.name,
                                       point.cursor.index.value));
  if (auto r = delete_range(txn, g.log, Index(0), point.cursor.index); !r) return std::unexpected(r.error());
  if (auto r = put_meta(txn, g.meta, kBaseKey, wire::encode(point)); !r) return std::unexpected(r.error());
  p.base = point;
  return p;
}

std::uint64_t draw_epoch() {
  std::random_device rd;
  std::uint64_t e = 0;
  while (e == 0) e = (std::uint64_t(rd()) << 32) | rd();
  return e;
}

}  // namespace

LmdbStorage::LmdbStorage(std::unique_ptr<Env> env) : env_(std::move(env)) {}

LmdbStorage::~LmdbStorage() = default;

const std::filesystem::path& LmdbStorage::data_file() const { return env_->data_file; }

std::expected<std::shared_ptr<LmdbStorage>, StorageError> LmdbStorage::open(LmdbOptions options) {
  auto env = std::make_unique<Env>();
  env->directory = options.directory;
  env->data_file = options.directory / "data.mdb";
  std::error_code ec;
  std::filesystem::create_directories(options.directory, ec);
  if (ec) return std::unexpected(StorageError{fmt::format("{}: cannot create: {}", options.directory.string(), ec.message())});
  std::filesystem::permissions(options.directory, std::filesystem::perms::owner_all, ec);
  // Two nodes on one directory would write one log as two members: the second is refused.
  // (LMDB itself must not be opened twice in one process either.)
  const auto lock_file = options.directory / "node.lock";
  env->lock_fd = ::open(lock_file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (env->lock_fd < 0)
    return std::unexpected(StorageError{fmt::format("{}: cannot open: {}", lock_file.string(), std::strerror(errno))});
  if (::flock(env->lock_fd, LOCK_EX | LOCK_NB) != 0)
    return std::unexpected(StorageError{fmt::format("{}: in use by another node", options.directory.string())});
  // LMDB would take an empty data file for a new database: an empty file where a database
  // was is a truncation, not a fresh start.
  struct stat st {};
  const bool existed = ::stat(env->data_file.c_str(), &st) == 0;
  if (existed && st.st_size == 0) return std::unexpected(StorageError{env->where("truncated (empty)")});

  if (int rc = mdb_env_create(&env->env); rc != 0) return std::unexpected(StorageError{env->where(lmdb_error(rc))});
  (void)mdb_env_set_mapsize(env->env, options.map_size_bytes);
  (void)mdb_env_set_maxdbs(env->env, options.max_groups * 2);
  unsigned flags = MDB_NOTLS;  // read transactions are not tied to a thread
  if (options.unsafe_skip_fsync) flags |= MDB_NOSYNC;
  if (int rc = mdb_env_open(env->env, options.directory.c_str(), flags, 0600); rc != 0) {
    return std::unexpected(StorageError{env->where(fmt::format("cannot open: {}", lmdb_error(rc)))});
  }
  // A file shorter than the pages its meta page names is truncated; reading those pages
  // through the map would raise SIGBUS.
  MDB_envinfo info{};
  MDB_stat est{};
  mdb_env_info(env->env, &info);
  mdb_env_stat(env->env, &est);
  if (::stat(env->data_file.c_str(), &st) != 0)
    return std::unexpected(StorageError{env->where("missing after open")});
  const auto needed = (static_cast<std::uint64_t>(info.me_last_pgno) + 1) * est.ms_psize;
  if (static_cast<std::uint64_t>(st.st_size) < needed)
    return std::unexpected(StorageError{env->where(fmt::format("truncated: {} bytes, its last page ends at {}", st.st_size, needed))});
  auto storage = std::shared_ptr<LmdbStorage>(new LmdbStorage(std::move(env)));
  storage->env_->writer = std::thread([e = storage->env_.get()] { e->run(); });
  return storage;
}

void LmdbStorage::flush() {
  auto marker = std::make_shared<std::promise<void>>();
  auto done = marker->get_future();
  Job job;
  job.flushed = marker;
  env_->submit(std::move(job));
  done.wait();
}

std::expected<void, StorageError> LmdbStorage::drop_group(std::string_view name) {
  flush();
  std::lock_guard dbis(env_->dbi_mutex);
  MDB_txn* txn = nullptr;
  if (int rc = mdb_txn_begin(env_->env, nullptr, 0, &txn); rc != 0)
    return std::unexpected(StorageError{env_->where(lmdb_error(rc))});
  for (const char* part : {"/log", "/meta"}) {
    MDB_dbi dbi = 0;
    const std::string db_name = std::string(name) + part;
    int rc = mdb_dbi_open(txn, db_name.c_str(), 0, &dbi);
    if (rc == MDB_NOTFOUND) continue;
    if (rc == 0) rc = mdb_drop(txn, dbi, 1);
    if (rc != 0) {
      mdb_txn_abort(txn);
      return std::unexpected(StorageError{env_->where(fmt::format("group {}: cannot drop: {}", name, lmdb_error(rc)))});
    }
  }
  if (int rc = mdb_txn_commit(txn); rc != 0) return std::unexpected(StorageError{env_->where(lmdb_error(rc))});
  return {};
}

std::expected<std::unique_ptr<LmdbLogStore>, StorageError> LmdbStorage::open_group(std::string_view name) {
  flush();  // a store of an earlier membership may still have writes queued
  auto fail = [&](std::string what) {
    return std::unexpected(StorageError{env_->where(fmt::format("group {}: {}", name, what))});
  };
  auto group = std::make_shared<LmdbLogStore::Group>();
  group->env = env_.get();
  group->name = std::string(name);
  {
    std::lock_guard dbis(env_->dbi_mutex);
    MDB_txn* txn = nullptr;
    if (int rc = mdb_txn_begin(env_->env, nullptr, 0, &txn); rc != 0) return fail(lmdb_error(rc));
    const std::string log_name = group->name + "/log", meta_name = group->name + "/meta";
    int rc = mdb_dbi_open(txn, log_name.c_str(), MDB_CREATE, &group->log);
    if (rc == 0) rc = mdb_dbi_open(txn, meta_name.c_str(), MDB_CREATE, &group->meta);
    if (rc != 0) {
      mdb_txn_abort(txn);
      return fail(lmdb_error(rc));
    }
    auto epoch = get_meta(txn, group->meta, kEpochKey);
    if (!epoch) {
      mdb_txn_abort(txn);
      return fail(epoch.error());
    }
    if (!*epoch) {  // a new store: its epoch makes this node a new member of the group
      wire::Bytes fresh(8);
      write_u64(fresh.data(), draw_epoch());
      if (auto r = put_meta(txn, group->meta, kEpochKey, fresh); !r) {
        mdb_txn_abort(txn);
        return fail(r.error());
      }
      *epoch = fresh;
    }
    if ((*epoch)->size() != 8) {
      mdb_txn_abort(txn);
      return fail("epoch: wrong size");
    }
    group->epoch = read_u64((*epoch)->data());
    if (rc = mdb_txn_commit(txn); rc != 0) return fail(lmdb_error(rc));
  }
  // Verify everything once: meta checksums, then every entry's checksum, key and place.
  MDB_txn* txn = nullptr;
  if (int rc = mdb_txn_begin(env_->env, nullptr, MDB_RDONLY, &txn); rc != 0) return fail(lmdb_error(rc));
  auto end = [&](auto result) {
    mdb_txn_abort(txn);
    return result;
  };
  auto hard = get_meta_as<raft::HardState>(txn, group->meta, kHardStateKey);
  if (!hard) return end(fail(hard.error()));
  auto base = get_meta_as<raft::SnapshotPoint>(txn, group->meta, kBaseKey);
  if (!base) return end(fail(base.error()));
  group->hard = hard->value_or(raft::HardState{});
  group->base = base->value_or(raft::SnapshotPoint{});
  MDB_cursor* cursor = nullptr;
  if (int rc = mdb_cursor_open(txn, group->log, &cursor); rc != 0) return end(fail(lmdb_error(rc)));
  Index expect = group->base.cursor.index.next();
  MDB_val k{}, v{};
  int rc = mdb_cursor_get(cursor, &k, &v, MDB_FIRST);
  std::string damage;
  for (; rc == 0; rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT)) {
    const auto d = decode_entry(k, v);
    if (!d.ok) {
      damage = fmt::format("entry {}: checksum mismatch",
                           k.mv_size == 8 ? read_u64(static_cast<const std::uint8_t*>(k.mv_data)) : 0);
      break;
    }
    if (d.entry.index != expect) {
      damage = fmt::format("entry {} where entry {} should be", d.entry.index.value, expect.value);
      break;
    }
    expect = expect.next();
  }
  mdb_cursor_close(cursor);
  if (damage.empty() && rc != MDB_NOTFOUND) damage = lmdb_error(rc);
  if (!damage.empty()) return end(fail(damage));
  group->last = expect.prev();
  mdb_txn_abort(txn);
  return std::unique_ptr<LmdbLogStore>(new LmdbLogStore(shared_from_this(), std::move(group)));
}

// ---------------------------------------------------------------------------------------
// The store of one group.

LmdbLogStore::LmdbLogStore(std::shared_ptr<LmdbStorage> storage, std::shared_ptr<Group> group)
    : storage_(std::move(storage)), group_(std::move(group)) {}

LmdbLogStore::~LmdbLogStore() {
  std::lock_guard lock(group_->mutex);
  if (group_->read_txn) mdb_txn_abort(group_->read_txn);
  group_->read_txn = nullptr;
}

raft::HardState LmdbLogStore::hard_state() const {
  std::lock_guard lock(group_->mutex);
  return group_->hard;
}

raft::SnapshotPoint LmdbLogStore::base() const {
  std::lock_guard lock(group_->mutex);
  return group_->base;
}

Index LmdbLogStore::last_index() const {
  std::lock_guard lock(group_->mutex);
  return group_->last;
}

std::uint64_t LmdbLogStore::epoch() const { return group_->epoch; }

const std::string& LmdbLogStore::name() const { return group_->name; }

namespace {

// A read transaction for one read: the group's reused one, renewed. Reset on destruction
// so it does not pin old pages between reads.
class ReadTxn {
 public:
  ReadTxn(MDB_env* env, MDB_txn*& cached, const std::filesystem::path& file) : cached_(cached) {
    const int rc = cached_ ? mdb_txn_renew(cached_) : mdb_txn_begin(env, nullptr, MDB_RDONLY, &cached_);
    if (rc != 0) throw StoreCorrupted(fmt::format("{}: cannot read: {}", file.string(), lmdb_error(rc)));
  }
  ~ReadTxn() { mdb_txn_reset(cached_); }
  ReadTxn(const ReadTxn&) = delete;
  ReadTxn& operator=(const ReadTxn&) = delete;
  [[nodiscard]] MDB_txn* get() const { return cached_; }

 private:
  MDB_txn*& cached_;
};

}  // namespace

std::optional<Term> LmdbLogStore::term(Index i) const {
  std::lock_guard lock(group_->mutex);
  if (i <= group_->base.cursor.index || i > group_->last) return std::nullopt;
  ReadTxn txn(group_->env->env, group_->read_txn, group_->env->data_file);
  return stored_term(txn.get(), group_->log, i);
}

std::vector<raft::Entry> LmdbLogStore::entries(Index from, Index to, std::size_t max_bytes) const {
  std::vector<raft::Entry> out;
  std::lock_guard lock(group_->mutex);
  if (from <= group_->base.cursor.index || from > group_->last) return out;
  if (to > group_->last) to = group_->last;
  ReadTxn txn(group_->env->env, group_->read_txn, group_->env->data_file);
  MDB_cursor* cursor = nullptr;
  if (mdb_cursor_open(txn.get(), group_->log, &cursor) != 0) return out;
  Key start = index_key(from);
  MDB_val k = val_of(start);
  MDB_val v{};
  std::size_t bytes = 0;
  Index expect = from;
  std::string damage;
  for (int rc = mdb_cursor_get(cursor, &k, &v, MDB_SET_KEY); rc == 0 && expect <= to;
       rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT)) {
    auto d = decode_entry(k, v);
    if (!d.ok || d.entry.index != expect) {
      damage = fmt::format("group {}: entry {} damaged", group_->name, expect.value);
      break;
    }
    bytes += raft::encoded_size(d.entry);
    if (!out.empty() && bytes > max_bytes) break;
    out.push_back(std::move(d.entry));
    expect = expect.next();
  }
  mdb_cursor_close(cursor);
  if (!damage.empty()) throw StoreCorrupted(group_->env->where(damage));
  return out;
}

void LmdbLogStore::save(std::optional<raft::SnapshotPoint> snapshot, std::optional<raft::HardState> hard,
                        std::vector<raft::Entry> entries, Done done) {
  Job job;
  job.group = group_;
  job.done = std::move(done);
  for (const auto& e : entries) job.bytes += e.data.size() + kEntryHeaderBytes;
  job.apply = [g = group_.get(), snapshot = std::move(snapshot), hard = std::move(hard),
               entries = std::move(entries)](MDB_txn* txn) { return apply_save(txn, *g, snapshot, hard, entries); };
  group_->env->submit(std::move(job));
}

void LmdbLogStore::compact(raft::SnapshotPoint point, Done done) {
  Job job;
  job.group = group_;
  job.done = std::move(done);
  job.apply = [g = group_.get(), point = std::move(point)](MDB_txn* txn) { return apply_compact(txn, *g, point); };
  group_->env->submit(std::move(job));
}

}  // namespace mosaik::groups::storage
