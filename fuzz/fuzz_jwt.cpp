// ID tokens and JWKS documents from untrusted bytes (identity/oidc.h). Odd
// first byte: the input is a JWKS; even: a token checked against a fixed
// key set. Nothing forged may verify.
#include <cjose/cjose.h>

#include <cstdlib>
#include <string>
#include <string_view>

#include "identity/oidc.h"

using namespace t3n;

namespace {

const identity::JsonWebKeySet& fixed_keys() {
  static const identity::JsonWebKeySet keys = [] {
    cjose_err err{};
    static const std::uint8_t e[] = {1, 0, 1};
    cjose_jwk_t* rsa = cjose_jwk_create_RSA_random(2048, e, sizeof e, &err);
    cjose_jwk_set_kid(rsa, "k1", 2, &err);
    char* text = cjose_jwk_to_json(rsa, false, &err);
    std::string doc = std::string("{\"keys\":[") + text + "]}";
    free(text);  // NOLINT(cppcoreguidelines-no-malloc): cjose's allocation
    cjose_jwk_release(rsa);
    return std::move(identity::JsonWebKeySet::parse(doc)).value();
  }();
  return keys;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  if (data[0] & 1) {
    if (auto set = identity::JsonWebKeySet::parse(text); set.ok()) (void)set->has_kid("k1");
    return 0;
  }
  identity::IdTokenExpectations e;
  e.issuer = "https://issuer.test";
  e.audiences = {"client"};
  e.nonce = "nonce";
  e.now_unix = 1'790'000'000;
  // The fuzzer cannot know the private key: nothing may verify.
  if (identity::verify_id_token(text, fixed_keys(), e).ok()) std::abort();
  return 0;
}
