#include "data_dir.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <iterator>

#include <fmt/format.h>

namespace mosaik::network::detail {
namespace {

namespace fs = std::filesystem;

std::expected<void, std::string> fsync_path(const fs::path& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return std::unexpected(fmt::format("{}: cannot open: {}", path.string(), std::strerror(errno)));
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return std::unexpected(fmt::format("{}: fsync failed: {}", path.string(), std::strerror(errno)));
  return {};
}

// Written whole or not at all: a temporary file (0600), fsynced, renamed over, the
// directory fsynced, so a crash never leaves a half-written key.
std::expected<void, std::string> write_key(const fs::path& file, const SecretKey& key) {
  const fs::path tmp = file.string() + ".tmp";
  ::unlink(tmp.c_str());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return std::unexpected(fmt::format("{}: cannot create: {}", tmp.string(), std::strerror(errno)));
  const std::string text = key.expose_secret_hex() + "\n";
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!written) return std::unexpected(fmt::format("{}: cannot write: {}", tmp.string(), std::strerror(errno)));
  if (::rename(tmp.c_str(), file.c_str()) != 0)
    return std::unexpected(fmt::format("{}: cannot rename into place: {}", file.string(), std::strerror(errno)));
  return fsync_path(file.parent_path(), O_RDONLY | O_DIRECTORY);
}

std::expected<SecretKey, std::string> read_key(const fs::path& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) return std::unexpected(fmt::format("{}: {}", file.string(), std::strerror(errno)));
  if ((st.st_mode & 077) != 0)  // as ssh does: a key others can read is not secret any more
    return std::unexpected(fmt::format("{}: permissions {:04o} are too open (0600 expected)", file.string(),
                                       st.st_mode & 0777));
  std::ifstream in(file);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
  auto key = SecretKey::parse(text);
  if (!key) return std::unexpected(fmt::format("{}: not a secret key (64 hex characters expected)", file.string()));
  return *key;
}

}  // namespace

std::expected<NodeData, std::string> open_data_dir(const fs::path& directory, const std::optional<SecretKey>& given) {
  std::error_code ec;
  fs::create_directories(directory, ec);
  if (ec) return std::unexpected(fmt::format("{}: cannot create: {}", directory.string(), ec.message()));
  fs::permissions(directory, fs::perms::owner_all, ec);  // others read no key and no log
  if (ec) return std::unexpected(fmt::format("{}: cannot restrict to its owner: {}", directory.string(), ec.message()));

  const fs::path key_file = directory / "secret_key";
  std::optional<SecretKey> key;
  if (fs::exists(key_file, ec)) {
    auto stored = read_key(key_file);
    if (!stored) return std::unexpected(stored.error());
    if (given && !(*given == *stored))
      return std::unexpected(fmt::format("{}: holds the key of peer {}, not of the given key's peer {}",
                                         key_file.string(), stored->public_key(), given->public_key()));
    key = std::move(*stored);
  } else {
    key = given ? *given : SecretKey::generate();
    if (auto w = write_key(key_file, *key); !w) return std::unexpected(w.error());
  }

  groups::storage::LmdbOptions options;
  options.directory = directory / "groups";
  auto storage = groups::storage::LmdbStorage::open(std::move(options));
  if (!storage) return std::unexpected(storage.error().message);
  // Inside groups/, whose node.lock the storage holds: one node per directory for both.
  auto snapshots = groups::storage::SnapshotFiles::open(directory / "groups" / "snapshots");
  if (!snapshots) return std::unexpected(snapshots.error().message);
  return NodeData{std::move(*key), std::move(*storage), std::move(*snapshots)};
}

}  // namespace mosaik::network::detail
