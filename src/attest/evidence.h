// Evidence providers: where a node gets hardware evidence that binds 64
// bytes of report data (the hash of its keys, see node_key_binding).
//
// - configfs-tsm (Linux ≥ 6.7, Documentation/ABI/testing/configfs-tsm-report):
//   TDX quotes (provider `tdx_guest`) and SEV-SNP reports (`sev_guest`)
//   through /sys/kernel/config/tsm/report/<entry>/{inblob,outblob,generation}.
//   The generation counter detects another writer between our inblob write
//   and outblob read; EBUSY/EAGAIN are retried with backoff.
// - /dev/tdx_guest: the local TDREPORT (TDX_CMD_GET_REPORT0), not remotely
//   verifiable on its own but useful to read measurements in the guest.
// - the simulated TDX platform (tdx_sim.h) for dev nodes and tests.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>

#include "attest/policy.h"
#include "attest/tdx_sim.h"
#include "common/bytes.h"
#include "common/status.h"

namespace t3n::attest {

class EvidenceProvider {
 public:
  virtual ~EvidenceProvider() = default;
  virtual std::string kind() const = 0;  // "IntelTdx", "AmdSevSnp", "AwsNitro"
  virtual bool simulated() const { return false; }
  // Evidence whose report data field equals `report_data`.
  virtual Result<Bytes> evidence(const ReportData& report_data) = 0;
};

// The few file operations configfs-tsm needs; tests substitute a fake kernel.
class TsmFilesystem {
 public:
  virtual ~TsmFilesystem() = default;
  virtual Status make_dir(const std::filesystem::path& dir) = 0;  // an existing entry is fine
  virtual Status remove_dir(const std::filesystem::path& dir) = 0;
  // kUnavailable when the kernel says EBUSY or EAGAIN.
  virtual Result<Bytes> read(const std::filesystem::path& file) = 0;
  virtual Status write(const std::filesystem::path& file, ByteView data) = 0;
};
std::unique_ptr<TsmFilesystem> posix_tsm_filesystem();

inline constexpr const char* kTsmReportDir = "/sys/kernel/config/tsm/report";

class ConfigfsTsmProvider final : public EvidenceProvider {
 public:
  // `kind` IntelTdx (expects provider tdx_guest) or AmdSevSnp (sev_guest).
  static Result<std::unique_ptr<ConfigfsTsmProvider>> create(std::string kind,
                                                             std::filesystem::path report_dir = kTsmReportDir,
                                                             std::unique_ptr<TsmFilesystem> fs = posix_tsm_filesystem());
  std::string kind() const override { return kind_; }
  Result<Bytes> evidence(const ReportData& report_data) override;

  static constexpr int kMaxAttempts = 5;

 private:
  ConfigfsTsmProvider(std::string kind, std::string expected, std::filesystem::path dir, std::unique_ptr<TsmFilesystem> fs,
                      std::string instance)
      : kind_(std::move(kind)), expected_provider_(std::move(expected)), report_dir_(std::move(dir)), fs_(std::move(fs)),
        instance_(std::move(instance)) {}
  Result<Bytes> attempt(const std::filesystem::path& entry, const ReportData& report_data);

  std::string kind_;
  std::string expected_provider_;
  std::filesystem::path report_dir_;
  std::unique_ptr<TsmFilesystem> fs_;
  std::string instance_;  // random: entries of two providers in one process never collide
  std::mutex mu_;  // one request at a time
  std::uint64_t requests_ = 0;
};

// The simulated platform as a provider: quotes over a fixed TD.
class SimulatedTdxProvider final : public EvidenceProvider {
 public:
  SimulatedTdxProvider(SimulatedTdxPlatform platform, SimulatedTd td) : platform_(std::move(platform)), td_(td) {}
  std::string kind() const override { return "IntelTdx"; }
  bool simulated() const override { return true; }
  Result<Bytes> evidence(const ReportData& report_data) override { return platform_.quote(td_, report_data); }
  const SimulatedTdxPlatform& platform() const { return platform_; }

 private:
  SimulatedTdxPlatform platform_;
  SimulatedTd td_;
};

// AWS Nitro Enclaves: an attestation document from the Nitro Secure Module
// (/dev/nsm; the ioctl of Linux's `nsm` driver, ≥ 6.8, and of AWS's
// out-of-tree one) with user_data = the report data.
class NitroNsmProvider final : public EvidenceProvider {
 public:
  explicit NitroNsmProvider(std::filesystem::path device = "/dev/nsm") : device_(std::move(device)) {}
  std::string kind() const override { return "AwsNitro"; }
  Result<Bytes> evidence(const ReportData& report_data) override;

 private:
  std::filesystem::path device_;
};
// The NSM request {"Attestation": {"user_data": h'…', "nonce": null,
// "public_key": null}} in CBOR, and the document out of its response
// ({"Attestation": {"document": h'…'}} or {"Error": "…"}).
Bytes nsm_attestation_request(ByteView user_data);
Result<Bytes> nsm_attestation_document(ByteView response);

// The local TDREPORT (1024 bytes) from /dev/tdx_guest. kUnavailable when the
// device is absent (not a TDX guest).
Result<Bytes> tdx_local_report(const ReportData& report_data, const std::filesystem::path& device = "/dev/tdx_guest");

}  // namespace t3n::attest
