#include "snapshot_files.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>

#include "crc32c.hpp"
#include "mosaik/primitives/wire.hpp"

namespace mosaik::groups::storage {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kMagic = "MSKSNAP1";
constexpr std::string_view kPrefix = "snapshot-";
constexpr std::string_view kSuffix = ".snap";
constexpr std::string_view kTempSuffix = ".snap.tmp";       // kSuffix + ".tmp"
constexpr std::size_t kWriteBuffer = std::size_t{1} << 20;  // bytes handed to write() at once
// magic, epoch, point length, (point), item count, (items), crc
constexpr std::size_t kFixedBytes = kMagic.size() + 8 + 4 + 8 + 4;

std::string errno_text() {
  return std::strerror(errno);
}

std::string file_name(Index index) {
  return fmt::format("{}{:020}{}", kPrefix, index.value, kSuffix);
}

// The index a file's name says, if it is a snapshot file's name.
std::optional<std::uint64_t> index_of(std::string_view name) {
  if (!name.starts_with(kPrefix) || !name.ends_with(kSuffix)) return std::nullopt;
  const auto digits = name.substr(kPrefix.size(), name.size() - kPrefix.size() - kSuffix.size());
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc{} || end != digits.data() + digits.size() || digits.size() != 20)
    return std::nullopt;
  return value;
}

std::expected<void, std::string> fsync_directory(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return std::unexpected(fmt::format("{}: cannot open: {}", dir.string(), errno_text()));
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0)
    return std::unexpected(fmt::format("{}: fsync failed: {}", dir.string(), errno_text()));
  return {};
}

// Creates `dir` (0700) and makes its entry in the parent durable.
std::expected<void, std::string> make_directory(const fs::path& dir) {
  std::error_code ec;
  if (fs::is_directory(dir, ec)) return {};
  if (!fs::create_directories(dir, ec) && ec)
    return std::unexpected(fmt::format("{}: cannot create: {}", dir.string(), ec.message()));
  fs::permissions(dir, fs::perms::owner_all, ec);
  return fsync_directory(dir.parent_path());
}

// Buffered writes to one file with a running checksum of everything written.
class FileWriter {
 public:
  explicit FileWriter(int fd) : fd_(fd) { buffer_.reserve(kWriteBuffer); }
  void u32(std::uint32_t v) { little_endian<4>(v); }
  void u64(std::uint64_t v) { little_endian<8>(v); }
  void bytes(std::span<const std::uint8_t> data) {
    crc_ = crc32c(data, crc_);
    if (buffer_.size() + data.size() > kWriteBuffer) flush();
    if (data.size() >= kWriteBuffer) {
      write_all(data);
    } else {
      buffer_.insert(buffer_.end(), data.begin(), data.end());
    }
  }
  // The checksum (itself not checksummed), then everything to the file; false on an error.
  [[nodiscard]] bool finish() {
    const std::uint32_t crc = crc_;
    u32(crc);
    flush();
    return ok_;
  }

 private:
  template <std::size_t N>
  void little_endian(std::uint64_t v) {
    std::array<std::uint8_t, N> b{};
    for (std::size_t i = 0; i < N; ++i) b[i] = static_cast<std::uint8_t>(v >> (8 * i));
    bytes(b);
  }
  void flush() {
    write_all(buffer_);
    buffer_.clear();
  }
  void write_all(std::span<const std::uint8_t> data) {
    while (ok_ && !data.empty()) {
      const auto n = ::write(fd_, data.data(), data.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        ok_ = false;
        break;
      }
      data = data.subspan(static_cast<std::size_t>(n));
    }
  }

  int fd_;
  std::vector<std::uint8_t> buffer_;
  std::uint32_t crc_ = 0;
  bool ok_ = true;
};

// Reads a whole file back, checking each length against what is left.
class FileReader {
 public:
  explicit FileReader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}
  [[nodiscard]] std::optional<std::uint32_t> u32() {
    auto v = little_endian(4);
    if (!v) return std::nullopt;
    return static_cast<std::uint32_t>(*v);
  }
  [[nodiscard]] std::optional<std::uint64_t> u64() { return little_endian(8); }
  [[nodiscard]] std::optional<std::span<const std::uint8_t>> take(std::size_t n) {
    if (n > bytes_.size() - at_) return std::nullopt;
    auto out = bytes_.subspan(at_, n);
    at_ += n;
    return out;
  }
  [[nodiscard]] std::size_t left() const { return bytes_.size() - at_; }

 private:
  [[nodiscard]] std::optional<std::uint64_t> little_endian(std::size_t n) {
    auto b = take(n);
    if (!b) return std::nullopt;
    std::uint64_t v = 0;
    for (std::size_t i = n; i > 0; --i) v = (v << 8) | (*b)[i - 1];
    return v;
  }

  std::span<const std::uint8_t> bytes_;
  std::size_t at_ = 0;
};

std::expected<std::vector<std::uint8_t>, std::string> read_file(const fs::path& file) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return std::unexpected(fmt::format("{}: cannot open: {}", file.string(), errno_text()));
  struct stat st {};
  std::vector<std::uint8_t> bytes;
  bool ok = ::fstat(fd, &st) == 0;
  if (ok) bytes.resize(static_cast<std::size_t>(st.st_size));
  for (std::size_t at = 0; ok && at < bytes.size();) {
    const auto n = ::read(fd, bytes.data() + at, bytes.size() - at);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) at += static_cast<std::size_t>(n);
  }
  ::close(fd);
  if (!ok) return std::unexpected(fmt::format("{}: cannot read: {}", file.string(), errno_text()));
  return bytes;
}

// The snapshot in `bytes` (the file `file`), with the epoch it was written under.
std::expected<std::pair<std::uint64_t, StoredSnapshot>, std::string> decode_file(
    const fs::path& file, std::span<const std::uint8_t> bytes, std::uint64_t named_index) {
  auto damaged = [&](std::string_view what) {
    return std::unexpected(fmt::format("{}: {}", file.string(), what));
  };
  if (bytes.size() < kFixedBytes) return damaged(fmt::format("truncated ({} bytes)", bytes.size()));
  const auto body = bytes.first(bytes.size() - 4);
  FileReader trailer(bytes.last(4));
  if (crc32c(body) != *trailer.u32()) return damaged("checksum mismatch (damaged or truncated)");
  FileReader in(body);
  auto magic = in.take(kMagic.size());
  if (!std::equal(magic->begin(), magic->end(), kMagic.begin()))
    return damaged("not a snapshot file");
  const auto epoch = in.u64();
  const auto point_size = in.u32();
  auto point_bytes = point_size ? in.take(*point_size) : std::nullopt;
  if (!point_bytes) return damaged("snapshot point cut off");
  auto point = wire::decode<raft::SnapshotPoint>(*point_bytes);
  if (!point) return damaged(fmt::format("snapshot point undecodable ({})", point.error().detail));
  if (point->cursor.index.value != named_index)
    return damaged(fmt::format("holds the snapshot at {}, not the one its name says",
                               point->cursor.index.value));
  StoredSnapshot s{std::move(*point), {}, file};
  const auto count = in.u64();
  if (!count || *count > in.left() / 8) return damaged("item count beyond the file");
  s.items.reserve(static_cast<std::size_t>(*count));
  for (std::uint64_t i = 0; i < *count; ++i) {
    SnapshotItem item;
    for (wire::Bytes* part : {&item.key, &item.value}) {
      const auto size = in.u32();
      auto data = size ? in.take(*size) : std::nullopt;
      if (!data) return damaged(fmt::format("item {} cut off", i));
      part->assign(data->begin(), data->end());
    }
    s.items.push_back(std::move(item));
  }
  if (in.left() != 0) return damaged(fmt::format("{} bytes after the last item", in.left()));
  return std::pair{*epoch, std::move(s)};
}

}  // namespace

SnapshotFiles::SnapshotFiles(fs::path directory) : directory_(std::move(directory)) {}

SnapshotFiles::~SnapshotFiles() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  if (writer_.joinable()) writer_.join();
}

std::expected<std::shared_ptr<SnapshotFiles>, StorageError> SnapshotFiles::open(
    fs::path directory) {
  if (auto made = make_directory(directory); !made)
    return std::unexpected(StorageError{made.error()});
  auto files = std::shared_ptr<SnapshotFiles>(new SnapshotFiles(std::move(directory)));
  files->writer_ = std::thread([f = files.get()] { f->run(); });
  return files;
}

fs::path SnapshotFiles::group_directory(std::string_view group) const {
  return directory_ / std::string(group);
}

void SnapshotFiles::write(std::string_view group, std::uint64_t epoch, raft::SnapshotPoint point,
                          SnapshotCapture capture, Done done) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(
        Job{std::string(group), epoch, std::move(point), std::move(capture), std::move(done)});
    ++queued_;
  }
  changed_.notify_all();
}

void SnapshotFiles::flush() {
  std::unique_lock lock(mutex_);
  const auto target = queued_;
  changed_.wait(lock, [&] { return completed_ >= target; });
}

void SnapshotFiles::run() {
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and every queued write is done
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    auto result = write_now(job);
    if (job.done) job.done(std::move(result));
    job =
        Job{};  // the capture (a version of the machine's state) goes before the next one is taken
    {
      std::lock_guard lock(mutex_);
      ++completed_;
    }
    changed_.notify_all();
  }
}

std::expected<void, StorageError> SnapshotFiles::write_now(const Job& job) {
  const fs::path dir = group_directory(job.group);
  if (auto made = make_directory(dir); !made) return std::unexpected(StorageError{made.error()});
  const fs::path file = dir / file_name(job.point.cursor.index);
  const fs::path tmp = file.string() + ".tmp";
  auto fail = [](const fs::path& f, std::string_view what, std::string why = errno_text()) {
    return std::unexpected(StorageError{fmt::format("{}: {}: {}", f.string(), what, why)});
  };
  const auto items =
      job.capture.items();  // the O(state) encoding, here rather than on the executor
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return fail(tmp, "cannot create");
  FileWriter out(fd);
  out.bytes({reinterpret_cast<const std::uint8_t*>(kMagic.data()), kMagic.size()});
  out.u64(job.epoch);
  const auto point = wire::encode(job.point);
  out.u32(static_cast<std::uint32_t>(point.size()));
  out.bytes(point);
  out.u64(items->size());
  for (const auto& item : *items) {
    out.u32(static_cast<std::uint32_t>(item.key.size()));
    out.bytes(item.key);
    out.u32(static_cast<std::uint32_t>(item.value.size()));
    out.bytes(item.value);
  }
  const bool written = out.finish() && ::fsync(fd) == 0;
  const std::string why = written ? std::string() : errno_text();
  ::close(fd);
  if (!written) return fail(tmp, "cannot write", why);
  if (::rename(tmp.c_str(), file.c_str()) != 0) return fail(file, "cannot rename into place");
  if (auto synced = fsync_directory(dir); !synced)
    return std::unexpected(StorageError{synced.error()});
  // Only the newest is kept: the log is never compacted past it, so nothing needs an older one.
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const auto index = index_of(entry.path().filename().string());
    if (index && *index < job.point.cursor.index.value) fs::remove(entry.path(), ec);
  }
  return {};
}

std::expected<std::optional<StoredSnapshot>, StorageError> SnapshotFiles::load(
    std::string_view group, std::uint64_t epoch) {
  flush();
  const fs::path dir = group_directory(group);
  std::error_code ec;
  if (!fs::exists(dir, ec)) return std::optional<StoredSnapshot>{};
  std::optional<std::uint64_t> newest;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const auto name = entry.path().filename().string();
    if (name.ends_with(kTempSuffix)) {
      fs::remove(entry.path(), ec);  // a write a crash cut short: never renamed, never used
    } else if (const auto index = index_of(name); index && (!newest || *index > *newest)) {
      newest = index;
    }
  }
  if (ec)
    return std::unexpected(
        StorageError{fmt::format("{}: cannot list: {}", dir.string(), ec.message())});
  if (!newest) return std::optional<StoredSnapshot>{};
  const fs::path file = dir / file_name(Index(*newest));
  auto bytes = read_file(file);
  if (!bytes) return std::unexpected(StorageError{bytes.error()});
  auto decoded = decode_file(file, *bytes, *newest);
  if (!decoded) return std::unexpected(StorageError{decoded.error()});
  if (decoded->first != epoch) {  // left by a store since dropped: not this member's state
    if (auto dropped = drop(group); !dropped) return std::unexpected(dropped.error());
    return std::optional<StoredSnapshot>{};
  }
  return std::optional<StoredSnapshot>(std::move(decoded->second));
}

std::expected<void, StorageError> SnapshotFiles::drop(std::string_view group) {
  flush();
  std::error_code ec;
  fs::remove_all(group_directory(group), ec);
  if (ec)
    return std::unexpected(StorageError{
        fmt::format("{}: cannot remove: {}", group_directory(group).string(), ec.message())});
  return {};
}

}  // namespace mosaik::groups::storage
