#include "attest/detect.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>

namespace t3n::attest {
namespace {

bool path_exists(const std::filesystem::path& p) {
  std::error_code ec;
  return std::filesystem::exists(p, ec);
}

std::string read_small(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::string s;
  std::getline(in, s);
  return s;
}

bool cpu_flag(const std::filesystem::path& root, const std::string& flag) {
  std::ifstream in(root / "proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("flags", 0) == 0) return line.find(" " + flag) != std::string::npos;
  return false;
}

// `nvidia-smi conf-compute -f` prints "CC status: ON" (or OFF) on drivers
// with confidential computing; empty when the tool is absent or says nothing.
std::string nvidia_cc_status() {
  bool found = false;
  if (const char* path = std::getenv("PATH")) {
    std::string dirs = path;
    for (std::size_t start = 0; start <= dirs.size() && !found;) {
      const std::size_t end = std::min(dirs.find(':', start), dirs.size());
      found = ::access((dirs.substr(start, end - start) + "/nvidia-smi").c_str(), X_OK) == 0;
      start = end + 1;
    }
  }
  if (!found) return "";
  std::unique_ptr<FILE, decltype(&::pclose)> pipe(::popen("nvidia-smi conf-compute -f 2>/dev/null", "r"), &::pclose);
  if (!pipe) return "";
  std::string out;
  char buf[256];
  while (out.size() < 4096 && std::fgets(buf, sizeof buf, pipe.get()) != nullptr) out += buf;
  const auto pos = out.find("CC status:");
  if (pos == std::string::npos) return "";
  std::string status = out.substr(pos + 10, out.find('\n', pos) - pos - 10);
  while (!status.empty() && status.front() == ' ') status.erase(status.begin());
  return status;
}

}  // namespace

std::vector<DetectedTee> detect_tees(const std::filesystem::path& root) {
  std::vector<DetectedTee> out;
  const auto tsm = root / "sys/kernel/config/tsm/report";
  const bool tsm_present = path_exists(tsm);
  const std::string tsm_note = tsm_present ? "configfs-tsm at /sys/kernel/config/tsm/report" : "no configfs-tsm";
  if (path_exists(root / "dev/tdx_guest") || cpu_flag(root, "tdx_guest")) {
    out.push_back({"IntelTdx", tsm_present, "TDX guest (" + std::string(path_exists(root / "dev/tdx_guest") ? "/dev/tdx_guest, " : "") + tsm_note + ")"});
  }
  if (path_exists(root / "dev/sev-guest") || cpu_flag(root, "sev_snp")) {
    out.push_back({"AmdSevSnp", tsm_present || path_exists(root / "dev/sev-guest"), "SEV-SNP guest (" + tsm_note + ")"});
  }
  if (path_exists(root / "dev/nsm")) out.push_back({"AwsNitro", true, "Nitro Security Module at /dev/nsm"});
  for (int i = 0; i < 8; ++i) {
    const auto dev = root / ("dev/nvidia" + std::to_string(i));
    if (!path_exists(dev)) continue;
    const std::string cc = read_small(root / "sys/module/nvidia/parameters/NVreg_ConfidentialComputing");
    // Only on the real machine: a fake tree under test has no nvidia-smi to ask.
    const std::string smi = root == "/" ? nvidia_cc_status() : "";
    std::string detail = "NVIDIA GPU " + dev.string();
    if (!smi.empty()) detail += " (nvidia-smi conf-compute: CC status " + smi + ")";
    else if (!cc.empty()) detail += " (NVreg_ConfidentialComputing=" + cc + ")";
    else detail += " (confidential-computing mode unknown: nvidia-smi conf-compute -f says nothing here)";
    // GPU evidence comes from NVIDIA's attestation SDK, not from this node: detected, not attested.
    out.push_back({"NvidiaCc", false, detail + (smi == "ON" ? "; GPU attestation needs NVIDIA's SDK (not built in)" : "")});
    break;
  }
  return out;
}

common::Json detected_to_json(const std::vector<DetectedTee>& tees) {
  common::Json arr = common::Json::array();
  for (const auto& t : tees) arr.push_back({{"kind", t.kind}, {"can_attest", t.can_attest}, {"detail", t.detail}});
  return {{"tees", arr}, {"none", tees.empty()}};
}

}  // namespace t3n::attest
