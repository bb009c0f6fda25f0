// TEE detection: what confidential-computing hardware this machine exposes
// and whether it can produce evidence. An honest "none" on a plain machine.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "common/json.h"

namespace t3n::attest {

struct DetectedTee {
  std::string kind;     // "IntelTdx", "AmdSevSnp", "AwsNitro", "NvidiaCc"
  bool can_attest;      // an evidence interface is present and usable
  std::string detail;   // what was found
};

// `root` lets tests point at a fake /sys and /dev tree.
std::vector<DetectedTee> detect_tees(const std::filesystem::path& root = "/");
common::Json detected_to_json(const std::vector<DetectedTee>& tees);

}  // namespace t3n::attest
