#include "cli/private_file.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "common/encoding.h"
#include "crypto/random.h"

namespace t3n::cli {

namespace {

Status io_error(const std::string& what, const std::filesystem::path& p) {
  return common::internal_error(what + " " + p.string() + ": " + std::strerror(errno));
}

// Closes the descriptor and removes the temporary file unless released.
class TempFile {
 public:
  TempFile(std::filesystem::path path, int fd) : path_(std::move(path)), fd_(fd) {}
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile() {
    close();
    if (!released_) ::unlink(path_.c_str());
  }
  int fd() const { return fd_; }
  int close() {
    const int r = fd_ >= 0 ? ::close(fd_) : 0;
    fd_ = -1;
    return r;
  }
  void release() { released_ = true; }

 private:
  std::filesystem::path path_;
  int fd_;
  bool released_ = false;
};

void sync_directory(const std::filesystem::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  (void)::fsync(fd);  // best effort: the file itself is already durable
  ::close(fd);
}

}  // namespace

Status write_private_file(const std::filesystem::path& path, ByteView contents, bool replace) {
  const std::filesystem::path dir = path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path();
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) {
    if (dir.has_parent_path()) std::filesystem::create_directories(dir.parent_path(), ec);
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return io_error("cannot create", dir);
  }
  Bytes suffix(8);
  T3N_RETURN_IF_ERROR(crypto::random_bytes(suffix));
  const std::filesystem::path tmp = dir / ("." + path.filename().string() + ".tmp-" + common::hex_encode(suffix));
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return io_error("cannot create", tmp);
  TempFile file(tmp, fd);
  std::size_t off = 0;
  while (off < contents.size()) {
    const ssize_t n = ::write(file.fd(), contents.data() + off, contents.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return io_error("cannot write", tmp);
    off += static_cast<std::size_t>(n);
  }
  if (::fsync(file.fd()) != 0) return io_error("cannot sync", tmp);
  if (file.close() != 0) return io_error("cannot write", tmp);
  if (replace) {
    if (::rename(tmp.c_str(), path.c_str()) != 0) return io_error("cannot move the new file to", path);
  } else if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE) != 0) {
    if (errno == EEXIST) return Status(ErrorCode::kAlreadyExists, path.string() + " exists");
    if (errno != EINVAL && errno != ENOSYS) return io_error("cannot move the new file to", path);
    // A filesystem without RENAME_NOREPLACE: link() refuses an existing name too.
    if (::link(tmp.c_str(), path.c_str()) != 0)
      return errno == EEXIST ? Status(ErrorCode::kAlreadyExists, path.string() + " exists") : io_error("cannot create", path);
    ::unlink(tmp.c_str());
  }
  file.release();
  sync_directory(dir);
  return {};
}

}  // namespace t3n::cli
