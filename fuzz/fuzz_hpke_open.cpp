// HPKE receiver on attacker-controlled enc and ciphertext (what the OHTTP
// gateway sees): errors only, for every KEM.
#include <cstdlib>

#include "crypto/hpke.h"

using namespace t3n::crypto;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  static const HpkeKem kKems[] = {HpkeKem::kXWing, HpkeKem::kX25519HkdfSha256, HpkeKem::kP256HkdfSha256,
                                  HpkeKem::kMlKem768};
  const HpkeKem kem = kKems[data[0] % 4];
  HpkeSuite suite{kem, HpkeKdf::kHkdfSha256, static_cast<HpkeAead>(1 + data[1] % 3)};
  auto key = HpkePrivateKey::derive(kem, t3n::ByteView(data, 2));
  if (!key.ok()) std::abort();
  t3n::ByteView rest(data + 2, size - 2);
  const std::size_t enc_len = std::min(rest.size(), hpke_kem_sizes(kem).enc);
  (void)hpke_open(suite, *key, rest.first(enc_len), {}, {}, rest.subspan(enc_len));
  return 0;
}
