#include "app/secret.hpp"

#include "core/ids.hpp"

#include <cerrno>
#include <cstdio>
#include <fcntl.h>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>

namespace herald::app {
namespace {

namespace fs = std::filesystem;

// A secret file larger than this is not one Herald wrote: refuse rather than read it all.
constexpr std::size_t kMaxSecretBytes = 64 * 1024;

std::system_error os_error(int err, std::string_view what, const fs::path& file) {
  return std::system_error(err, std::generic_category(), std::string(what) + " " + file.string());
}

// Closes a descriptor on every path out of a scope.
class FileDescriptor {
public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

private:
  int fd_;
};

// Removes the temporary file unless it was published under its final name.
class TempFile {
public:
  explicit TempFile(fs::path path) : path_(std::move(path)) {}
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile() {
    if (!published_) ::unlink(path_.c_str());
  }
  const fs::path& path() const { return path_; }
  void mark_published() { published_ = true; }

private:
  fs::path path_;
  bool published_ = false;
};

// The trimmed content of `file`; nullopt when it does not exist.
std::optional<std::string> read_secret(const fs::path& file) {
  const FileDescriptor fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return std::nullopt;
    throw os_error(errno, "cannot open", file);
  }
  std::string content;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw os_error(errno, "cannot read", file);
    if (n == 0) break;
    content.append(buffer, static_cast<std::size_t>(n));
    if (content.size() > kMaxSecretBytes)
      throw std::runtime_error(file.string() + " is too large to be a secret");
  }
  constexpr std::string_view white_space = " \t\r\n";
  const auto begin = content.find_first_not_of(white_space);
  if (begin == std::string::npos)
    throw std::runtime_error(file.string() + " is empty; delete it to have a new secret generated");
  return content.substr(begin, content.find_last_not_of(white_space) - begin + 1);
}

void write_all(int fd, std::string_view data, const fs::path& file) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw os_error(errno, "cannot write", file);
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

// Gives `from` the name `to` unless `to` exists. Returns false when it exists (another
// process won the race); its content is then the secret everyone uses.
bool publish_once(const fs::path& from, const fs::path& to) {
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) return true;
  if (errno == EEXIST) return false;
  if (errno != EINVAL && errno != ENOSYS) throw os_error(errno, "cannot create", to);
  // The file system lacks RENAME_NOREPLACE; a hard link is just as exclusive.
  if (::link(from.c_str(), to.c_str()) == 0) {
    ::unlink(from.c_str());
    return true;
  }
  if (errno == EEXIST) return false;
  if (errno != EPERM && errno != EOPNOTSUPP) throw os_error(errno, "cannot create", to);
  // Nor hard links: a plain rename, where a racing process could replace our file.
  if (::rename(from.c_str(), to.c_str()) != 0) throw os_error(errno, "cannot create", to);
  return true;
}

// Makes a new directory entry durable; best effort, as the secret is already in place.
void sync_directory(const fs::path& dir) {
  const FileDescriptor fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() >= 0) ::fsync(fd.get());
}

} // namespace

std::string load_or_create_secret(const fs::path& file) {
  if (auto existing = read_secret(file)) return *existing;

  const std::string secret = core::random_token(32);
  fs::path temp_path = file;
  temp_path += ".tmp-" + core::random_token(6);
  TempFile temp(std::move(temp_path));
  {
    const FileDescriptor fd(::open(temp.path().c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (fd.get() < 0) throw os_error(errno, "cannot create", temp.path());
    // The umask can only take permission bits away; fchmod states the mode outright.
    if (::fchmod(fd.get(), 0600) != 0) throw os_error(errno, "cannot set the mode of", temp.path());
    write_all(fd.get(), secret + "\n", temp.path());
    // On disk before it has its name: a crash must not leave an empty secret file behind.
    if (::fsync(fd.get()) != 0) throw os_error(errno, "cannot write", temp.path());
  }
  if (!publish_once(temp.path(), file)) {
    if (auto winner = read_secret(file)) return *winner;
    throw os_error(ENOENT, "cannot read", file);
  }
  temp.mark_published();
  sync_directory(file.has_parent_path() ? file.parent_path() : fs::path("."));
  return secret;
}

fs::path default_secret_path(const std::string& store_url) {
  constexpr std::string_view sqlite = "sqlite://";
  const fs::path name = "herald.secret";
  std::string_view url = store_url;
  if (!url.starts_with(sqlite)) return fs::path(".") / name;
  url.remove_prefix(sqlite.size());
  url = url.substr(0, url.find('?')); // SQLite URI parameters are not part of the file name
  if (url.empty() || url == ":memory:") return fs::path(".") / name;
  const fs::path directory = fs::path(url).parent_path();
  return (directory.empty() ? fs::path(".") : directory) / name;
}

} // namespace herald::app
