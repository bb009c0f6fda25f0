#include "attest/detect.h"

#include <fstream>

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
    out.push_back({"NvidiaCc", false,
                   "NVIDIA GPU " + dev.string() + (cc.empty() ? " (confidential-computing mode unknown: use nvidia-smi conf-compute -f)"
                                                              : " (NVreg_ConfidentialComputing=" + cc + ")")});
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
