#include "attest/evidence.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "attest/cbor.h"
#include "common/encoding.h"
#include "crypto/random.h"

namespace t3n::attest {
namespace {

std::string errno_text(int err) { return std::strerror(err); }

// RAII file descriptor.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

class PosixTsmFilesystem final : public TsmFilesystem {
 public:
  Status make_dir(const std::filesystem::path& dir) override {
    if (::mkdir(dir.c_str(), 0700) == 0 || errno == EEXIST) return {};
    if (errno == ENOENT)
      return Status(ErrorCode::kUnavailable, "configfs-tsm is absent (" + dir.parent_path().string() +
                                                 "): not a TDX or SEV-SNP guest, a kernel before 6.7, or configfs not mounted");
    return common::failed_precondition("configfs-tsm: cannot create " + dir.string() + ": " + errno_text(errno));
  }
  Status remove_dir(const std::filesystem::path& dir) override {
    if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) return {};
    return common::internal_error("configfs-tsm: cannot remove " + dir.string() + ": " + errno_text(errno));
  }
  Result<Bytes> read(const std::filesystem::path& file) override {
    Fd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) return busy_or(errno, "open " + file.string());
    Bytes out;
    std::uint8_t buf[16384];
    for (;;) {
      const ssize_t n = ::read(fd.get(), buf, sizeof buf);
      if (n < 0) {
        if (errno == EINTR) continue;
        return busy_or(errno, "read " + file.string());
      }
      if (n == 0) break;
      out.insert(out.end(), buf, buf + n);
      if (out.size() > (1u << 20)) return Status(ErrorCode::kResourceExhausted, "configfs-tsm: " + file.string() + " exceeds 1 MiB");
    }
    return out;
  }
  Status write(const std::filesystem::path& file, ByteView data) override {
    Fd fd(::open(file.c_str(), O_WRONLY | O_CLOEXEC));
    if (fd.get() < 0) return busy_or(errno, "open " + file.string()).status();
    // configfs binary attributes take the whole blob in one write.
    const ssize_t n = ::write(fd.get(), data.data(), data.size());
    if (n < 0) return busy_or(errno, "write " + file.string()).status();
    if (static_cast<std::size_t>(n) != data.size()) return common::internal_error("configfs-tsm: short write to " + file.string());
    return {};
  }

 private:
  static Result<Bytes> busy_or(int err, const std::string& what) {
    if (err == EBUSY || err == EAGAIN) return Status(ErrorCode::kUnavailable, "configfs-tsm: " + what + ": busy");
    return Status(err == ENOENT ? ErrorCode::kNotFound : ErrorCode::kFailedPrecondition,
                  "configfs-tsm: " + what + ": " + errno_text(err));
  }
};

std::string trimmed(const Bytes& b) {
  std::string s(b.begin(), b.end());
  while (!s.empty() && (s.back() == '\n' || s.back() == '\0' || s.back() == ' ')) s.pop_back();
  return s;
}

Result<std::uint64_t> generation(TsmFilesystem& fs, const std::filesystem::path& entry) {
  T3N_ASSIGN_OR_RETURN(Bytes raw, fs.read(entry / "generation"));
  const std::string text = trimmed(raw);
  if (text.empty() || text.size() > 19 || text.find_first_not_of("0123456789") != std::string::npos)
    return common::internal_error("configfs-tsm: unreadable generation '" + text + "'");
  return std::stoull(text);
}


}  // namespace

std::unique_ptr<TsmFilesystem> posix_tsm_filesystem() { return std::make_unique<PosixTsmFilesystem>(); }

Result<std::unique_ptr<ConfigfsTsmProvider>> ConfigfsTsmProvider::create(std::string kind, std::filesystem::path report_dir,
                                                                         std::unique_ptr<TsmFilesystem> fs) {
  std::string expected;
  if (kind == "IntelTdx") expected = "tdx_guest";
  else if (kind == "AmdSevSnp") expected = "sev_guest";
  else return common::invalid_argument("configfs-tsm provides IntelTdx or AmdSevSnp evidence, not '" + kind + "'");
  if (!fs) return common::invalid_argument("configfs-tsm: no filesystem");
  T3N_ASSIGN_OR_RETURN(Bytes instance, crypto::random_vector(4));
  return std::unique_ptr<ConfigfsTsmProvider>(new ConfigfsTsmProvider(  // NOLINT: private constructor
      std::move(kind), std::move(expected), std::move(report_dir), std::move(fs), common::hex_encode(instance)));
}

Result<Bytes> ConfigfsTsmProvider::attempt(const std::filesystem::path& entry, const ReportData& report_data) {
  T3N_ASSIGN_OR_RETURN(Bytes provider, fs_->read(entry / "provider"));
  if (trimmed(provider) != expected_provider_)
    return common::failed_precondition("configfs-tsm: the provider is '" + trimmed(provider) + "', expected '" +
                                       expected_provider_ + "' for " + kind_);
  T3N_ASSIGN_OR_RETURN(std::uint64_t before, generation(*fs_, entry));
  T3N_RETURN_IF_ERROR(fs_->write(entry / "inblob", report_data));
  T3N_ASSIGN_OR_RETURN(Bytes out, fs_->read(entry / "outblob"));
  T3N_ASSIGN_OR_RETURN(std::uint64_t after, generation(*fs_, entry));
  // Exactly our one write happened in between; anything else means another
  // writer changed inblob and outblob may answer their report data.
  if (after != before + 1)
    return Status(ErrorCode::kUnavailable, "configfs-tsm: the entry changed under us (generation " + std::to_string(before) +
                                               " → " + std::to_string(after) + ")");
  if (out.empty()) return common::internal_error("configfs-tsm: empty outblob");
  return out;
}

Result<Bytes> ConfigfsTsmProvider::evidence(const ReportData& report_data) {
  std::lock_guard lock(mu_);
  // Unique per process, provider and request: two nodes never share an entry.
  const auto entry = report_dir_ / ("t3n-" + std::to_string(::getpid()) + "-" + instance_ + "-" + std::to_string(requests_++));
  T3N_RETURN_IF_ERROR(fs_->make_dir(entry));
  Status last;
  for (int i = 0; i < kMaxAttempts; ++i) {
    auto out = attempt(entry, report_data);
    if (out.ok() || out.status().code() != ErrorCode::kUnavailable) {
      (void)fs_->remove_dir(entry);
      return out;
    }
    last = out.status();
    if (i + 1 < kMaxAttempts) std::this_thread::sleep_for(std::chrono::milliseconds(5 << i));  // 5, 10, 20, 40 ms
  }
  (void)fs_->remove_dir(entry);
  return Status(ErrorCode::kUnavailable, last.message() + " (gave up after " + std::to_string(kMaxAttempts) + " attempts)");
}

namespace {

// <linux/tdx-guest.h> (Linux ≥ 6.2; Debian bookworm's headers predate it).
struct TdxReportRequest {
  std::uint8_t reportdata[64];
  std::uint8_t tdreport[1024];
};
constexpr unsigned long kTdxCmdGetReport0 = _IOWR('T', 1, TdxReportRequest);  // NOLINT: kernel ABI macro

}  // namespace

Result<Bytes> tdx_local_report(const ReportData& report_data, const std::filesystem::path& device) {
  Fd fd(::open(device.c_str(), O_RDWR | O_CLOEXEC));
  if (fd.get() < 0)
    return Status(ErrorCode::kUnavailable, "cannot open " + device.string() + ": " + errno_text(errno) + " (not a TDX guest?)");
  TdxReportRequest req{};
  std::memcpy(req.reportdata, report_data.data(), report_data.size());
  if (::ioctl(fd.get(), kTdxCmdGetReport0, &req) != 0)
    return common::failed_precondition("TDX_CMD_GET_REPORT0 failed: " + errno_text(errno));
  return Bytes(std::begin(req.tdreport), std::end(req.tdreport));
}

namespace {

// <linux/nsm.h>: two (address, length) pairs; the driver sets response.len.
struct NsmIovec {
  std::uint64_t addr;
  std::uint64_t len;
};
struct NsmRaw {
  NsmIovec request;
  NsmIovec response;
};
constexpr unsigned long kNsmIoctlRaw = _IOWR(0x0A, 0, NsmRaw);  // NOLINT: kernel ABI macro
constexpr std::size_t kNsmResponseMax = 0x3000;

void cbor_head(Bytes& out, std::uint8_t major, std::size_t n) {
  if (n < 24) {
    out.push_back(static_cast<std::uint8_t>(major << 5 | n));
  } else if (n < 256) {
    out.push_back(static_cast<std::uint8_t>(major << 5 | 24));
    out.push_back(static_cast<std::uint8_t>(n));
  } else {
    out.push_back(static_cast<std::uint8_t>(major << 5 | 25));
    out.push_back(static_cast<std::uint8_t>(n >> 8));
    out.push_back(static_cast<std::uint8_t>(n));
  }
}
void cbor_text(Bytes& out, std::string_view s) {
  cbor_head(out, 3, s.size());
  common::append(out, common::as_bytes(s));
}

}  // namespace

Bytes nsm_attestation_request(ByteView user_data) {
  Bytes out;
  cbor_head(out, 5, 1);
  cbor_text(out, "Attestation");
  cbor_head(out, 5, 3);
  cbor_text(out, "user_data");
  cbor_head(out, 2, user_data.size());
  common::append(out, user_data);
  cbor_text(out, "nonce");
  out.push_back(0xF6);  // null
  cbor_text(out, "public_key");
  out.push_back(0xF6);
  return out;
}

Result<Bytes> nsm_attestation_document(ByteView response) {
  T3N_ASSIGN_OR_RETURN(cbor::Item root, cbor::decode(response, "NSM response"));
  if (root.kind != cbor::Kind::kMap) return common::invalid_argument("NSM response: not a map");
  if (const cbor::Item* error = root.find("Error"))
    return common::failed_precondition("NSM refused the attestation request: " +
                                       std::string(error->kind == cbor::Kind::kText ? error->text() : "(no reason)"));
  const cbor::Item* attestation = root.find("Attestation");
  const cbor::Item* document = attestation != nullptr && attestation->kind == cbor::Kind::kMap ? attestation->find("document") : nullptr;
  if (document == nullptr || document->kind != cbor::Kind::kBytes || document->bytes.empty())
    return common::invalid_argument("NSM response: no Attestation.document");
  return common::to_bytes(document->bytes);
}

Result<Bytes> NitroNsmProvider::evidence(const ReportData& report_data) {
  Fd fd(::open(device_.c_str(), O_RDWR | O_CLOEXEC));
  if (fd.get() < 0)
    return Status(ErrorCode::kUnavailable, "cannot open " + device_.string() + ": " + errno_text(errno) + " (not a Nitro enclave?)");
  Bytes request = nsm_attestation_request(report_data);
  Bytes response(kNsmResponseMax);
  NsmRaw raw{{reinterpret_cast<std::uintptr_t>(request.data()), request.size()},
             {reinterpret_cast<std::uintptr_t>(response.data()), response.size()}};
  if (::ioctl(fd.get(), kNsmIoctlRaw, &raw) != 0)
    return common::failed_precondition("NSM ioctl failed: " + errno_text(errno));
  if (raw.response.len > response.size()) return common::internal_error("NSM: response longer than its buffer");
  response.resize(static_cast<std::size_t>(raw.response.len));
  return nsm_attestation_document(response);
}

}  // namespace t3n::attest
