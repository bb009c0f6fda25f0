// libraft's C headers (they declare no extern "C" themselves).
#pragma once

extern "C" {
#include <raft.h>
}
