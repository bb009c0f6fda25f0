#include "crypto/xwing.h"

#include "crypto/hash.h"
#include "crypto/random.h"
#include "crypto/x25519.h"

namespace t3n::crypto {
namespace {

// XWingLabel = "\./" ‖ "/^\" (6 bytes).
constexpr std::uint8_t kLabel[] = {0x5c, 0x2e, 0x2f, 0x2f, 0x5e, 0x5c};

// SHA3-256(ss_M ‖ ss_X ‖ ct_X ‖ pk_X ‖ XWingLabel)
SecretBytes combine(ByteView ss_m, ByteView ss_x, ByteView ct_x, ByteView pk_x) {
  Bytes input;
  input.reserve(32 * 4 + sizeof kLabel);
  common::append(input, ss_m);
  common::append(input, ss_x);
  common::append(input, ct_x);
  common::append(input, pk_x);
  common::append(input, kLabel);
  Digest32 ss = sha3_256(input);
  common::secure_zero(input);
  SecretBytes out(ss);
  common::secure_zero(ss);
  return out;
}

}  // namespace

struct XWingPrivateKey::Impl {
  Impl(SecretBytes s, SecretBytes dk, X25519PrivateKey x, Bytes pk)
      : seed(std::move(s)), mlkem_dk(std::move(dk)), x25519(std::move(x)), public_key(std::move(pk)) {}
  SecretBytes seed;
  SecretBytes mlkem_dk;
  X25519PrivateKey x25519;
  Bytes public_key;
};

XWingPrivateKey::XWingPrivateKey(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
XWingPrivateKey::XWingPrivateKey(XWingPrivateKey&&) noexcept = default;
XWingPrivateKey& XWingPrivateKey::operator=(XWingPrivateKey&&) noexcept = default;
XWingPrivateKey::~XWingPrivateKey() = default;

Result<XWingPrivateKey> XWingPrivateKey::from_seed(ByteView seed) {
  if (seed.size() != kXWingSeedSize)
    return common::invalid_argument("X-Wing private key (seed) must be 32 bytes, got " + std::to_string(seed.size()));
  // expanded = SHAKE256(sk, 96): ML-KEM seed d ‖ z (64), X25519 key (32).
  Bytes expanded_raw = shake256(seed, 96);
  SecretBytes expanded(expanded_raw);
  common::secure_zero(expanded_raw);
  T3N_ASSIGN_OR_RETURN(MlKem768KeyPair mlkem, mlkem768_keygen_derand(expanded.view().first(64)));
  T3N_ASSIGN_OR_RETURN(X25519PrivateKey x, X25519PrivateKey::from_bytes(expanded.view().subspan(64, 32)));
  Bytes pk = common::concat({mlkem.encapsulation_key, x.public_key()});
  auto impl = std::make_unique<Impl>(SecretBytes(seed), std::move(mlkem.decapsulation_key), std::move(x), std::move(pk));
  return XWingPrivateKey(std::move(impl));
}

Result<XWingPrivateKey> XWingPrivateKey::generate() {
  T3N_ASSIGN_OR_RETURN(SecretBytes seed, random_secret(kXWingSeedSize));
  return from_seed(seed);
}

const Bytes& XWingPrivateKey::public_key() const { return impl_->public_key; }
const SecretBytes& XWingPrivateKey::seed() const { return impl_->seed; }

Result<SecretBytes> XWingPrivateKey::decapsulate(ByteView ciphertext) const {
  if (ciphertext.size() != kXWingCiphertextSize)
    return common::invalid_argument("X-Wing ciphertext must be 1120 bytes, got " + std::to_string(ciphertext.size()));
  ByteView ct_m = ciphertext.first(kMlKem768CiphertextSize);
  ByteView ct_x = ciphertext.subspan(kMlKem768CiphertextSize);
  T3N_ASSIGN_OR_RETURN(SecretBytes ss_m, mlkem768_decapsulate(impl_->mlkem_dk, ct_m));
  T3N_ASSIGN_OR_RETURN(SecretBytes ss_x, impl_->x25519.agree(ct_x));
  return combine(ss_m, ss_x, ct_x, impl_->x25519.public_key());
}

Result<KemEncapsulation> xwing_encapsulate_derand(ByteView public_key, ByteView eseed) {
  if (public_key.size() != kXWingPublicKeySize)
    return common::invalid_argument("X-Wing public key must be 1216 bytes, got " + std::to_string(public_key.size()));
  if (eseed.size() != kXWingEncapsSeedSize) return common::invalid_argument("X-Wing eseed must be 64 bytes");
  ByteView pk_m = public_key.first(kMlKem768EncapsulationKeySize);
  ByteView pk_x = public_key.subspan(kMlKem768EncapsulationKeySize);
  // The ephemeral X25519 key's public half is ct_X.
  T3N_ASSIGN_OR_RETURN(X25519PrivateKey ek_x, X25519PrivateKey::from_bytes(eseed.subspan(32, 32)));
  T3N_ASSIGN_OR_RETURN(SecretBytes ss_x, ek_x.agree(pk_x));
  T3N_ASSIGN_OR_RETURN(KemEncapsulation m, mlkem768_encapsulate_derand(pk_m, eseed.first(32)));
  const Bytes& ct_x = ek_x.public_key();
  KemEncapsulation out{common::concat({m.ciphertext, ct_x}), combine(m.shared_secret, ss_x, ct_x, pk_x)};
  return out;
}

Result<KemEncapsulation> xwing_encapsulate(ByteView public_key) {
  T3N_ASSIGN_OR_RETURN(SecretBytes eseed, random_secret(kXWingEncapsSeedSize));
  return xwing_encapsulate_derand(public_key, eseed);
}

}  // namespace t3n::crypto
