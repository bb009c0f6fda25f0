// Power-on self test: known answers and round trips for every primitive the
// node relies on, run at start-up before any key is used (FIPS 140 style).
#pragma once

#include <string>
#include <vector>

#include "common/status.h"

namespace t3n::crypto {

struct SelfTestReport {
  std::vector<std::string> passed;  // names of the checks that passed
};

// Fails with the name of the first check that did not pass.
Result<SelfTestReport> run_self_test();

}  // namespace t3n::crypto
