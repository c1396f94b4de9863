#include "tane/auth/secret_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "encoding.h"

namespace tane::auth {
namespace {

constexpr size_t kSecretBytes = 32;

absl::Status Errno(const char* what, const std::string& path) {
  return absl::InternalError(absl::StrCat("cannot ", what, " ", path, ": ", std::strerror(errno)));
}

absl::Status WriteAll(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return absl::InternalError(absl::StrCat("write failed: ", std::strerror(errno)));
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

absl::Status CreateSecretFile(const std::string& path) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(path).parent_path();
  if (!dir.empty() && !fs::exists(dir)) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return absl::InternalError(absl::StrCat("cannot create ", dir.string(), ": ", ec.message()));
    fs::permissions(dir, fs::perms::owner_all, ec);
  }
  auto random = internal::RandomBytes(kSecretBytes);
  if (!random.ok()) return random.status();
  const std::string content = internal::HexEncode(*random) + "\n";
  auto suffix = internal::RandomBytes(8);
  if (!suffix.ok()) return suffix.status();
  const std::string temp = absl::StrCat(path, ".tmp.", internal::HexEncode(*suffix));
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("create", temp);
  absl::Status written = WriteAll(fd, content);
  if (written.ok() && ::fsync(fd) != 0) written = Errno("fsync", temp);
  ::close(fd);
  // link() fails with EEXIST when another process won the race: its secret stands.
  if (written.ok() && ::link(temp.c_str(), path.c_str()) != 0 && errno != EEXIST) written = Errno("create", path);
  ::unlink(temp.c_str());
  return written;
}

}  // namespace

absl::StatusOr<std::string> ReadSecretFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read the secret file ", path));
  std::ostringstream text;
  text << in.rdbuf();
  std::string secret = text.str();
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
  if (secret.empty()) return absl::InvalidArgumentError(absl::StrCat("the secret file ", path, " is empty"));
  return secret;
}

absl::StatusOr<std::string> LoadOrCreateSecretFile(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    if (errno != ENOENT) return Errno("stat", path);
    if (auto status = CreateSecretFile(path); !status.ok()) return status;
  }
  return ReadSecretFile(path);
}

}  // namespace tane::auth
