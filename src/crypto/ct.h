// Constant-time helpers for secrets (MACs, tags, tokens, OTP codes).
#pragma once

#include "common/bytes.h"

namespace t3n::crypto {

// True when equal. Time depends on the lengths only, never on the contents.
bool constant_time_equal(ByteView a, ByteView b);

using common::secure_zero;

}  // namespace t3n::crypto
