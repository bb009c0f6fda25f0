#include "crypto/mlkem.h"

#include "crypto/native.h"
#include "crypto/random.h"

namespace t3n::crypto {
namespace {

Status check_size(ByteView v, std::size_t expected, const char* what) {
  if (v.size() != expected)
    return common::invalid_argument(std::string("ML-KEM-768 ") + what + " must be " + std::to_string(expected) +
                                    " bytes, got " + std::to_string(v.size()));
  return {};
}

}  // namespace

Result<MlKem768KeyPair> mlkem768_keygen_derand(ByteView seed) {
  T3N_RETURN_IF_ERROR(check_size(seed, kMlKemKeygenSeedSize, "key generation seed"));
  MlKem768KeyPair kp{Bytes(kMlKem768EncapsulationKeySize), SecretBytes(kMlKem768DecapsulationKeySize)};
  if (t3n_mlkem768_keygen(seed.data(), kp.encapsulation_key.data(), kp.decapsulation_key.data()) != 0)
    return common::internal_error("ML-KEM-768 key generation failed");
  return kp;
}

Result<MlKem768KeyPair> mlkem768_keygen() {
  T3N_ASSIGN_OR_RETURN(SecretBytes seed, random_secret(kMlKemKeygenSeedSize));
  return mlkem768_keygen_derand(seed);
}

Result<KemEncapsulation> mlkem768_encapsulate_derand(ByteView encapsulation_key, ByteView m) {
  T3N_RETURN_IF_ERROR(check_size(encapsulation_key, kMlKem768EncapsulationKeySize, "encapsulation key"));
  T3N_RETURN_IF_ERROR(check_size(m, 32, "encapsulation randomness"));
  KemEncapsulation out{Bytes(kMlKem768CiphertextSize), SecretBytes(kMlKemSharedSecretSize)};
  if (t3n_mlkem768_encaps(encapsulation_key.data(), m.data(), out.ciphertext.data(), out.shared_secret.data()) != 0)
    return common::invalid_argument("ML-KEM-768 encapsulation key fails the modulus check");
  return out;
}

Result<KemEncapsulation> mlkem768_encapsulate(ByteView encapsulation_key) {
  SecretArray<32> m;
  T3N_RETURN_IF_ERROR(random_bytes(m.mutable_view()));
  return mlkem768_encapsulate_derand(encapsulation_key, m);
}

Result<SecretBytes> mlkem768_decapsulate(ByteView decapsulation_key, ByteView ciphertext) {
  T3N_RETURN_IF_ERROR(check_size(decapsulation_key, kMlKem768DecapsulationKeySize, "decapsulation key"));
  T3N_RETURN_IF_ERROR(check_size(ciphertext, kMlKem768CiphertextSize, "ciphertext"));
  SecretBytes ss(kMlKemSharedSecretSize);
  if (t3n_mlkem768_decaps(decapsulation_key.data(), ciphertext.data(), ss.data()) != 0)
    return common::internal_error("ML-KEM-768 decapsulation failed");
  return ss;
}

Status mlkem768_check_encapsulation_key(ByteView encapsulation_key) {
  T3N_RETURN_IF_ERROR(check_size(encapsulation_key, kMlKem768EncapsulationKeySize, "encapsulation key"));
  if (t3n_mlkem768_check_ek(encapsulation_key.data()) != 0)
    return common::invalid_argument("ML-KEM-768 encapsulation key fails the modulus check");
  return {};
}

Status mlkem768_check_decapsulation_key(ByteView decapsulation_key) {
  T3N_RETURN_IF_ERROR(check_size(decapsulation_key, kMlKem768DecapsulationKeySize, "decapsulation key"));
  if (t3n_mlkem768_check_dk(decapsulation_key.data()) != 0)
    return common::invalid_argument("ML-KEM-768 decapsulation key fails the hash check");
  return {};
}

}  // namespace t3n::crypto
