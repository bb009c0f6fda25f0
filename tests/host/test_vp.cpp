// profile-ref, vp and the JWE of direct_post.jwt: the presentation checks
// of host/sd_jwt.h case by case, the Concat KDF against RFC 7518's own
// example, and the interfaces through the example `presenter` component on
// real Wasmtime, with an HTTPS upstream stand-in on 127.0.0.1 as the
// verifier (and as the profile's recipient). The holder key lives in a
// test CallServices here; through a node it is the user's custodial key
// (tests/compat/signing.test.mjs).
#include <gtest/gtest.h>
#include <httplib.h>

#include "common/encoding.h"
#include "crypto/aead.h"
#include "crypto/p256.h"
#include "host/egress.h"
#include "host/host.h"
#include "host/jwe.h"
#include "host/sd_jwt.h"
#include "https_upstream.h"
#include "runtime/runtime_fixture.h"

namespace t3n::host {
namespace {

using common::Json;
using t3n::testing::Upstream;

constexpr std::uint64_t kNow = 1'700'000'000;

crypto::P256PrivateKey p256() {
  auto k = crypto::P256PrivateKey::generate();
  EXPECT_TRUE(k.ok());
  return std::move(*k);
}

Bytes b64u(std::string_view s) {
  auto b = common::base64url_decode(s);
  EXPECT_TRUE(b.ok()) << s;
  return b.ok() ? *b : Bytes{};
}

// ---- JWE ----

TEST(Jwe, ConcatKdfAndEcdhMatchRfc7518AppendixC) {
  // RFC 7518 Appendix C: Alice's ephemeral key, Bob's static key, A128GCM, apu "Alice", apv "Bob".
  auto alice = crypto::P256PrivateKey::from_scalar(b64u("0_NxaRPUMQoAJt50Gz8YiTr8gRTwyEaCumd-MToTmIo"));
  ASSERT_TRUE(alice.ok());
  auto bob = p256_from_jwk(Json{{"kty", "EC"}, {"crv", "P-256"}, {"x", "weNJy2HscCSM6AEDTDg04biOvhFhyyWvOHQfeF_PxMQ"},
                                {"y", "e8lnCO-AlStT-NJVX-crhB7QRYhiix03illJOVAOyck"}});
  ASSERT_TRUE(bob.ok());
  auto z = alice->ecdh(*bob);
  ASSERT_TRUE(z.ok());
  const Bytes expected_z = {158, 86,  217, 29,  129, 113, 53,  211, 114, 131, 66,  131, 191, 132, 38,  156,
                            251, 49,  110, 163, 218, 128, 106, 72,  246, 218, 167, 121, 140, 254, 144, 196};
  EXPECT_EQ(Bytes(z->view().begin(), z->view().end()), expected_z);
  auto key = concat_kdf_sha256(*z, "A128GCM", common::as_bytes(std::string_view("Alice")), common::as_bytes(std::string_view("Bob")), 16);
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(common::base64url_encode(*key), "VqqN6vgjbSBcIijNcacQGg");
  EXPECT_FALSE(concat_kdf_sha256(*z, "A128GCM", {}, {}, 33).ok());
}

// What the verifier does with a direct_post.jwt response: ECDH with its key
// and the header's epk, the Concat KDF, AES-GCM over the protected header.
Result<std::string> jwe_decrypt(const crypto::P256PrivateKey& recipient, const std::string& jwe) {
  std::vector<std::string> parts;
  for (std::size_t from = 0;;) {
    const auto dot = jwe.find('.', from);
    parts.push_back(jwe.substr(from, dot == std::string::npos ? std::string::npos : dot - from));
    if (dot == std::string::npos) break;
    from = dot + 1;
  }
  if (parts.size() != 5 || !parts[1].empty()) return common::invalid_argument("not a 5-part JWE with direct agreement");
  auto header = common::parse_json(common::to_string(b64u(parts[0])));
  if (!header.ok()) return header.status();
  if ((*header)["alg"] != "ECDH-ES") return common::invalid_argument("alg");
  const std::string enc = (*header)["enc"];
  T3N_ASSIGN_OR_RETURN(Bytes epk, p256_from_jwk((*header)["epk"]));
  T3N_ASSIGN_OR_RETURN(SecretBytes z, recipient.ecdh(epk));
  const auto alg = enc == "A256GCM" ? crypto::AeadAlg::kAes256Gcm : crypto::AeadAlg::kAes128Gcm;
  T3N_ASSIGN_OR_RETURN(Bytes key, concat_kdf_sha256(z, enc, {}, {}, crypto::aead_key_size(alg)));
  Bytes sealed = b64u(parts[3]);
  const Bytes tag = b64u(parts[4]);
  sealed.insert(sealed.end(), tag.begin(), tag.end());
  T3N_ASSIGN_OR_RETURN(Bytes plain, crypto::aead_open(alg, key, b64u(parts[2]), common::as_bytes(parts[0]), sealed));
  return common::to_string(plain);
}

TEST(Jwe, TheRecipientAndOnlyTheRecipientDecrypts) {
  const auto verifier = p256();
  const Json jwk = p256_jwk(verifier.public_key());
  for (const char* enc : {"A128GCM", "A256GCM"}) {
    auto jwe = jwe_encrypt_ecdh_es(jwk, enc, R"({"vp_token":"x~"})");
    ASSERT_TRUE(jwe.ok()) << jwe.status().to_string();
    auto plain = jwe_decrypt(verifier, *jwe);
    ASSERT_TRUE(plain.ok()) << plain.status().to_string();
    EXPECT_EQ(*plain, R"({"vp_token":"x~"})");
    EXPECT_FALSE(jwe_decrypt(p256(), *jwe).ok()) << "another key";
    std::string flipped = *jwe;
    flipped[flipped.rfind('.') - 2] = flipped[flipped.rfind('.') - 2] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(jwe_decrypt(verifier, flipped).ok()) << "a changed ciphertext";
  }
  EXPECT_FALSE(jwe_encrypt_ecdh_es(jwk, "A192CBC", "x").ok());
  EXPECT_FALSE(jwe_encrypt_ecdh_es(Json{{"kty", "RSA"}}, "A128GCM", "x").ok());
}

// ---- presentations ----

class Presentations : public ::testing::Test {
 protected:
  Presentations()
      : issuer_key_(std::make_shared<const crypto::P256PrivateKey>(p256())),
        holder_(p256()),
        issuer_{"acme", "https://issuer.test", "k1", issuer_key_},
        trusted_{{"https://issuer.test", {{"k1", issuer_key_->public_key()}}}} {}

  std::string credential(Json extra = Json::object(), const crypto::P256PrivateKey* holder = nullptr) {
    Json payload = {{"vct", "https://t3n.test/kyc"}, {"given_name", "Ada"}, {"level", "full"}};
    payload.update(extra);
    auto vc = issue_sd_jwt_vc(issuer_, payload, {"given_name", "level"}, p256_jwk((holder ? *holder : holder_).public_key()), kNow - 10);
    EXPECT_TRUE(std::holds_alternative<std::string>(vc));
    return std::get<std::string>(vc);
  }
  std::string present(const std::string& vc, std::uint64_t iat = kNow, const crypto::P256PrivateKey* signer = nullptr) {
    auto p = add_key_binding(vc, "n-1", "https://verifier.test", iat, [&](ByteView m) { return (signer ? *signer : holder_).sign_raw(m); });
    EXPECT_TRUE(p.ok()) << p.status().to_string();
    return p.ok() ? *p : std::string();
  }
  std::variant<VerifiedPresentation, VpFailure> verify(const std::string& token, VpExpectations e = {}) {
    if (e.audience.empty()) e.audience = "https://verifier.test";
    if (e.nonce.empty()) e.nonce = "n-1";
    if (e.now_s == 0) e.now_s = kNow;
    return verify_presentation(token, e, trusted_);
  }
  static VpError error_of(const std::variant<VerifiedPresentation, VpFailure>& v) {
    EXPECT_TRUE(std::holds_alternative<VpFailure>(v)) << "verified, but should not have";
    return std::holds_alternative<VpFailure>(v) ? std::get<VpFailure>(v).kind : VpError::kMalformed;
  }

  std::shared_ptr<const crypto::P256PrivateKey> issuer_key_;
  crypto::P256PrivateKey holder_;
  SdJwtIssuer issuer_;
  std::vector<TrustedIssuer> trusted_;
};

TEST_F(Presentations, AKeyBoundPresentationVerifies) {
  const std::string vp = present(credential());
  auto ok = verify(vp);
  ASSERT_TRUE(std::holds_alternative<VerifiedPresentation>(ok)) << std::get<VpFailure>(ok).detail;
  const auto& v = std::get<VerifiedPresentation>(ok);
  EXPECT_EQ(v.claims["given_name"], "Ada");
  EXPECT_EQ(v.claims["level"], "full");
  EXPECT_EQ(v.claims["iss"], "https://issuer.test");
  EXPECT_FALSE(v.claims.contains("_sd"));
  EXPECT_EQ(v.issued_at, kNow - 10);
  EXPECT_FALSE(v.expires_at);
  EXPECT_EQ(v.holder_did.rfind("did:jwk:", 0), 0u) << "no sub: the holder key's did:jwk";
  // The issuer named by the verifier, and OpenID4VP 1.0's vp_token object.
  VpExpectations named;
  named.issuer = "https://issuer.test";
  EXPECT_TRUE(std::holds_alternative<VerifiedPresentation>(verify(vp, named)));
  EXPECT_TRUE(std::holds_alternative<VerifiedPresentation>(verify(Json{{"kyc", {vp}}}.dump())));
  // A subject DID is the holder.
  auto with_sub = verify(present(credential({{"sub", "did:t3n:abc"}})));
  ASSERT_TRUE(std::holds_alternative<VerifiedPresentation>(with_sub));
  EXPECT_EQ(std::get<VerifiedPresentation>(with_sub).holder_did, "did:t3n:abc");
}

TEST_F(Presentations, SelectiveDisclosureStillVerifiesWhenTheHolderSignsWhatTheyShow) {
  auto parts = split_sd_jwt(credential());
  ASSERT_TRUE(parts.ok());
  ASSERT_EQ(parts->disclosures.size(), 2u);
  SdJwt partial = *parts;
  partial.disclosures.pop_back();  // show only one claim
  auto ok = verify(present(partial.without_kb()));
  ASSERT_TRUE(std::holds_alternative<VerifiedPresentation>(ok));
  EXPECT_EQ(std::get<VerifiedPresentation>(ok).claims.size() + 1,
            std::get<VerifiedPresentation>(verify(present(credential()))).claims.size());
  // Dropping a disclosure after the key binding breaks sd_hash.
  auto full = split_sd_jwt(present(credential()));
  ASSERT_TRUE(full.ok());
  SdJwt cut = *full;
  cut.disclosures.pop_back();
  EXPECT_EQ(error_of(verify(cut.without_kb() + *cut.kb_jwt)), VpError::kSignatureInvalid);
}

TEST_F(Presentations, EachFailureIsItsTypedError) {
  const std::string vp = present(credential());
  VpExpectations e;
  e.nonce = "n-2";
  EXPECT_EQ(error_of(verify(vp, e)), VpError::kNonceMismatch);
  e = {};
  e.audience = "https://other-verifier.test";
  EXPECT_EQ(error_of(verify(vp, e)), VpError::kAudienceMismatch);
  e = {};
  e.issuer = "https://someone-else.test";
  EXPECT_EQ(error_of(verify(vp, e)), VpError::kIssuerUntrusted);
  EXPECT_EQ(error_of(verify_presentation(vp, {"https://verifier.test", "n-1", "", kNow}, {})), VpError::kIssuerUntrusted);
  // The registry's key for that iss is another one: the signature fails.
  const std::vector<TrustedIssuer> wrong_key = {{"https://issuer.test", {{"k1", p256().public_key()}}}};
  EXPECT_EQ(error_of(verify_presentation(vp, {"https://verifier.test", "n-1", "", kNow}, wrong_key)), VpError::kSignatureInvalid);
  // A key binding by another key than the credential's cnf.
  const auto mallory = p256();
  EXPECT_EQ(error_of(verify(present(credential(), kNow, &mallory))), VpError::kSignatureInvalid);
  // Time: the credential's exp and nbf, the key binding's age and future iat.
  EXPECT_EQ(error_of(verify(present(credential({{"exp", kNow - 3600}})))), VpError::kExpired);
  EXPECT_EQ(error_of(verify(present(credential({{"nbf", kNow + 3600}})))), VpError::kNotYetValid);
  EXPECT_EQ(error_of(verify(present(credential(), kNow - 3600))), VpError::kExpired);
  EXPECT_EQ(error_of(verify(present(credential(), kNow + 3600))), VpError::kNotYetValid);
  auto fresh = verify(present(credential({{"exp", kNow + 3600}})));
  ASSERT_TRUE(std::holds_alternative<VerifiedPresentation>(fresh));
  EXPECT_EQ(*std::get<VerifiedPresentation>(fresh).expires_at, kNow + 3600);
  // Malformed: no key binding, garbage, a disclosure of another credential, two presentations.
  EXPECT_EQ(error_of(verify(credential())), VpError::kMalformed);
  EXPECT_EQ(error_of(verify("not-a-token")), VpError::kMalformed);
  EXPECT_EQ(error_of(verify("")), VpError::kMalformed);
  EXPECT_EQ(error_of(verify(Json{{"a", {vp, vp}}}.dump())), VpError::kMalformed);
  auto other = split_sd_jwt(credential());
  auto mine = split_sd_jwt(credential());
  ASSERT_TRUE(other.ok() && mine.ok());
  SdJwt mixed = *mine;
  mixed.disclosures[0] = other->disclosures[0];
  EXPECT_EQ(error_of(verify(present(mixed.without_kb()))), VpError::kMalformed);
  auto no_cnf = issue_sd_jwt_vc(issuer_, Json{{"vct", "x"}}, {}, std::nullopt, kNow);
  EXPECT_EQ(error_of(verify(present(std::get<std::string>(no_cnf)))), VpError::kMalformed);
}

TEST_F(Presentations, AKeyBindingIsAddedOnceOverExactlyThePresentedText) {
  const std::string vc = credential();
  const std::string vp = present(vc);
  EXPECT_EQ(vp.rfind(vc, 0), 0u);
  auto again = add_key_binding(vp, "n", "a", kNow, [&](ByteView m) { return holder_.sign_raw(m); });
  EXPECT_FALSE(again.ok()) << "a presentation already has its key binding";
  auto kb = parse_jwt(*split_sd_jwt(vp)->kb_jwt);
  ASSERT_TRUE(kb.ok());
  EXPECT_EQ(kb->header["typ"], "kb+jwt");
  EXPECT_EQ(kb->payload["sd_hash"], sd_digest(vc));
  EXPECT_EQ(kb->payload["aud"], "https://verifier.test");
  EXPECT_EQ(kb->payload["nonce"], "n-1");
}

// ---- through the presenter component ----

// The holder side of the node's services: one user's P-256 key.
class HolderServices : public runtime::CallServices {
 public:
  explicit HolderServices(const crypto::P256PrivateKey& key) : key_(key) {}
  Result<std::optional<runtime::UserWallets>> user_wallets(runtime::CallContext&, bool) override { return std::optional<runtime::UserWallets>(); }
  Result<std::optional<Bytes>> sign_with_user_wallet(runtime::CallContext&, ByteView, ByteView) override { return std::optional<Bytes>(); }
  Result<bool> has_wallet(runtime::CallContext&, ByteView) override { return false; }
  Result<Bytes> holder_public_key(runtime::CallContext&) override { return key_.public_key(); }
  Result<Bytes> holder_sign(runtime::CallContext&, ByteView m) override { return key_.sign_raw(m); }
  runtime::InvokeOutcome invoke(runtime::CallContext&, const std::string&, const std::string&, ByteView) override { return {}; }
  Result<runtime::DelegationView> delegation(runtime::CallContext&) override { return runtime::DelegationView{}; }

 private:
  const crypto::P256PrivateKey& key_;
};

class PresenterContract : public Presentations {
 protected:
  void SetUp() override {
    EgressPolicy p;
    p.allow_private_targets = true;
    p.ca_file = up_.ca();
    p.resolve_overrides = {{"allowed.test", "127.0.0.1"}, {"other.test", "127.0.0.1"}};
    egress_ = std::make_unique<Egress>(p);
    HostDeps deps;
    deps.egress = egress_.get();
    deps.trusted_issuers = &trusted_;
    auto r = runtime::Runtime::create(runtime::RuntimeOptions{}, core_registry(deps));
    ASSERT_TRUE(r.ok());
    rt_ = std::move(*r);
    runtime::Manifest m = runtime::testing::manifest_with({"profile_ref", "http_with_placeholders", "vp"});
    m.http_allow_list = {"allowed.test"};
    m.placeholder_allowlist = {"email_address", "verified_contacts"};
    auto c = rt_->load(runtime::testing::read_contract("presenter"), m);
    ASSERT_TRUE(c.ok()) << c.status().to_string();
    contract_ = *c;
  }
  // One execution as the user with `profile` (none: no profile stored).
  runtime::CallOutcome run(std::string_view fn, const Json& input, std::optional<Json> profile = kProfile, bool with_user = true) {
    runtime::CallContext ctx;
    ctx.tenant_tid = store::testing::tid();
    ctx.cluster_timestamp_ms = kNow * 1000;
    if (with_user) {
      ctx.calling_user_did = Bytes(20, 0x42);
      ctx.services = &services_;
    }
    if (profile) ctx.user_profile = common::to_bytes(profile->dump());
    auto out = rt_->call(*contract_, fn, input, ctx);
    seen_ += out.ok ? out.response.dump() : out.message;
    return out;
  }
  static inline const Json kProfile = {{"email_address", "ada@example.com"},
                                       {"verified_contacts", {{"email", {{"value", "ada.work@example.com"}}}, {"phone", {{"value", "+44700900123"}}}}},
                                       {"secret_note", "never shown"}};

  Upstream up_;
  std::unique_ptr<Egress> egress_;
  std::unique_ptr<runtime::Runtime> rt_;
  std::shared_ptr<const runtime::Contract> contract_;
  HolderServices services_{holder_};
  std::string seen_;  // everything the contract's results and errors showed
};

TEST_F(PresenterContract, HandlesNameItemsButNeverTheirValues) {
  auto out = run("handles", {{"scope", "verified_contacts"}, {"vc-id", "vc-7"}});
  ASSERT_TRUE(out.ok) << out.message;
  ASSERT_EQ(out.response.size(), 2u);
  std::set<std::string> paths;
  for (const auto& item : out.response) {
    const std::string handle = item["handle"];
    EXPECT_EQ(handle.size(), 32u);
    auto meta = Json::parse(item["metadata"].get<std::string>());
    paths.insert(meta["path"]);
    EXPECT_EQ(meta["type"], "string");
    EXPECT_EQ(meta["vc_id"], "vc-7");
    EXPECT_EQ(meta["placeholder"], "{{ref." + handle + "}}");
  }
  EXPECT_EQ(paths, (std::set<std::string>{"profile.verified_contacts.email.value", "profile.verified_contacts.phone.value"}));
  auto again = run("handles", {{"scope", "profile.email_address"}, {"vc-id", ""}});
  ASSERT_TRUE(again.ok) << again.message;
  ASSERT_EQ(again.response.size(), 1u);
  EXPECT_NE(again.response[0]["handle"], out.response[0]["handle"]) << "handles are fresh per execution";
  EXPECT_FALSE(Json::parse(again.response[0]["metadata"].get<std::string>()).contains("vc_id"));
  for (const char* value : {"ada@", "ada.work", "+44700900123", "never shown"}) EXPECT_EQ(seen_.find(value), std::string::npos) << value;
}

TEST_F(PresenterContract, ScopeRefusalsAreTheTypedErrors) {
  auto denied = run("handles", {{"scope", "secret_note"}, {"vc-id", ""}});
  ASSERT_FALSE(denied.ok);
  EXPECT_NE(denied.message.find("scope-denied: profile.secret_note"), std::string::npos) << denied.message;
  auto absent = run("handles", {{"scope", "verified_contacts.fax"}, {"vc-id", ""}});
  EXPECT_NE(absent.message.find("unknown-scope"), std::string::npos) << absent.message;
  auto bad = run("handles", {{"scope", "Verified Contacts"}, {"vc-id", ""}});
  EXPECT_NE(bad.message.find("unknown-scope"), std::string::npos) << bad.message;
  auto no_profile = run("handles", {{"scope", "email_address"}, {"vc-id", ""}}, std::nullopt);
  EXPECT_NE(no_profile.message.find("profile-unavailable"), std::string::npos) << no_profile.message;
  auto no_user = run("handles", {{"scope", "email_address"}, {"vc-id", ""}}, kProfile, false);
  EXPECT_NE(no_user.message.find("profile-unavailable"), std::string::npos) << no_user.message;
  auto long_vc = run("handles", {{"scope", "email_address"}, {"vc-id", std::string(300, 'v')}});
  EXPECT_NE(long_vc.message.find("unknown-scope"), std::string::npos) << long_vc.message;
}

TEST_F(PresenterContract, AHandleBecomesTheValueOnlyInTheHostAndOnlyInItsExecution) {
  auto sent = run("send-first", {{"url", up_.url("allowed.test", "/notify")}, {"scope", "email_address"}});
  ASSERT_TRUE(sent.ok) << sent.message;
  EXPECT_EQ(sent.response, 200);
  EXPECT_EQ(up_.last().body, "ada@example.com") << "the upstream got the value";
  // A handle of an earlier execution resolves to nothing.
  auto listed = run("handles", {{"scope", "email_address"}, {"vc-id", ""}});
  ASSERT_TRUE(listed.ok);
  const std::string stale = "{{ref." + listed.response[0]["handle"].get<std::string>() + "}}";
  auto replay = run("send-raw", {{"url", up_.url("allowed.test", "/notify")}, {"body", stale}});
  ASSERT_FALSE(replay.ok);
  EXPECT_NE(replay.message.find("placeholder-unknown"), std::string::npos) << replay.message;
  EXPECT_EQ(up_.hits(), 1) << "nothing was sent for the stale handle";
  // The egress list still applies.
  auto other = run("send-first", {{"url", up_.url("other.test", "/notify")}, {"scope", "email_address"}});
  EXPECT_NE(other.message.find("egress-denied"), std::string::npos) << other.message;
  EXPECT_EQ(seen_.find("ada@"), std::string::npos);
}

TEST_F(PresenterContract, TheHolderPresentsAndAVerifierContractVerifies) {
  const std::string vc = credential();
  auto vp = run("present", {{"sd-jwt", vc}, {"nonce", "n-1"}, {"audience", "https://verifier.test"}});
  ASSERT_TRUE(vp.ok) << vp.message;
  const std::string token = vp.response;
  ASSERT_TRUE(std::holds_alternative<VerifiedPresentation>(verify(token)));
  auto checked = run("verify", {{"token", token}, {"audience", "https://verifier.test"}, {"nonce", "n-1"}, {"issuer", "https://issuer.test"}});
  ASSERT_TRUE(checked.ok) << checked.message;
  EXPECT_EQ(Json::parse(checked.response["claims"].get<std::string>())["given_name"], "Ada");
  EXPECT_EQ(checked.response["issued-at"], kNow - 10);
  EXPECT_TRUE(checked.response["expires-at"].is_null());
  auto wrong_nonce = run("verify", {{"token", token}, {"audience", "https://verifier.test"}, {"nonce", "x"}, {"issuer", ""}});
  EXPECT_NE(wrong_nonce.message.find("nonce-mismatch"), std::string::npos) << wrong_nonce.message;
  auto untrusted = run("verify", {{"token", token}, {"audience", "https://verifier.test"}, {"nonce", "n-1"}, {"issuer", "https://x.test"}});
  EXPECT_NE(untrusted.message.find("issuer-untrusted"), std::string::npos) << untrusted.message;
  auto garbage = run("verify", {{"token", "~~"}, {"audience", "a"}, {"nonce", "n"}, {"issuer", ""}});
  EXPECT_NE(garbage.message.find("malformed"), std::string::npos) << garbage.message;
  // Refusals of sign: another holder's credential, no user, bad input.
  const auto other = p256();
  auto foreign = run("present", {{"sd-jwt", credential(Json::object(), &other)}, {"nonce", "n"}, {"audience", "a"}});
  EXPECT_NE(foreign.message.find("bound to another key"), std::string::npos) << foreign.message;
  auto no_user = run("present", {{"sd-jwt", vc}, {"nonce", "n"}, {"audience", "a"}}, kProfile, false);
  EXPECT_NE(no_user.message.find("no calling user"), std::string::npos) << no_user.message;
  auto twice = run("present", {{"sd-jwt", token}, {"nonce", "n"}, {"audience", "a"}});
  EXPECT_NE(twice.message.find("already carries"), std::string::npos) << twice.message;
  auto no_nonce = run("present", {{"sd-jwt", vc}, {"nonce", ""}, {"audience", "a"}});
  EXPECT_NE(no_nonce.message.find("nonce and audience"), std::string::npos) << no_nonce.message;
}

// application/x-www-form-urlencoded → fields.
std::map<std::string, std::string> form_fields(const std::string& body) {
  std::map<std::string, std::string> out;
  httplib::Params params;
  httplib::detail::parse_query_text(body, params);
  for (const auto& [k, v] : params) out[k] = v;
  return out;
}

TEST_F(PresenterContract, SubmitPostsTheResponseToTheVerifier) {
  const std::string token = present(credential());
  auto plain = run("submit", {{"uri", up_.url("allowed.test", "/notify")}, {"token", token}, {"state", "st-1"}, {"mode", nullptr}, {"jwks", nullptr}});
  ASSERT_TRUE(plain.ok) << plain.message;
  EXPECT_EQ(plain.response["code"], 200);
  EXPECT_EQ(plain.response["body"], "received");
  {
    const auto got = up_.last();
    EXPECT_EQ(got.get_header_value("Content-Type"), "application/x-www-form-urlencoded");
    auto fields = form_fields(got.body);
    EXPECT_EQ(fields["vp_token"], token);
    EXPECT_EQ(fields["state"], "st-1");
  }
  // direct_post.jwt: encrypted to the verifier's key from its client metadata.
  const auto verifier = p256();
  Json jwk = p256_jwk(verifier.public_key());
  jwk["kid"] = "v1";
  jwk["use"] = "enc";
  const Json metadata = {{"jwks", {{"keys", {Json{{"kty", "RSA"}, {"n", "x"}}, jwk}}}}, {"encrypted_response_enc_values_supported", {"A256GCM"}}};
  const std::string vp_token = Json{{"kyc", {token}}}.dump();
  auto sealed = run("submit", {{"uri", up_.url("allowed.test", "/notify")}, {"token", vp_token}, {"state", "st-2"}, {"mode", "direct_post.jwt"},
                               {"jwks", metadata.dump()}});
  ASSERT_TRUE(sealed.ok) << sealed.message;
  {
    auto fields = form_fields(up_.last().body);
    ASSERT_TRUE(fields.count("response"));
    EXPECT_EQ(up_.last().body.find(token.substr(0, 40)), std::string::npos) << "the token travels encrypted";
    const std::string jwe = fields["response"];
    auto header = Json::parse(common::to_string(b64u(jwe.substr(0, jwe.find('.')))));
    EXPECT_EQ(header["enc"], "A256GCM");
    EXPECT_EQ(header["kid"], "v1");
    auto plain_text = jwe_decrypt(verifier, jwe);
    ASSERT_TRUE(plain_text.ok()) << plain_text.status().to_string();
    auto response = Json::parse(*plain_text);
    EXPECT_EQ(response["vp_token"]["kyc"][0], token);
    EXPECT_EQ(response["state"], "st-2");
  }
  // Refusals: a host off the allow list, an unknown mode, missing or unusable metadata.
  auto off_list = run("submit", {{"uri", up_.url("other.test", "/notify")}, {"token", token}, {"state", nullptr}, {"mode", nullptr}, {"jwks", nullptr}});
  EXPECT_NE(off_list.message.find("http_allow_list"), std::string::npos) << off_list.message;
  auto mode = run("submit", {{"uri", up_.url("allowed.test", "/notify")}, {"token", token}, {"state", nullptr}, {"mode", "fragment"}, {"jwks", nullptr}});
  EXPECT_NE(mode.message.find("not supported"), std::string::npos) << mode.message;
  auto no_keys = run("submit", {{"uri", up_.url("allowed.test", "/notify")}, {"token", token}, {"state", nullptr}, {"mode", "direct_post.jwt"}, {"jwks", nullptr}});
  EXPECT_NE(no_keys.message.find("client-metadata-jwks"), std::string::npos) << no_keys.message;
  auto rsa_only = run("submit", {{"uri", up_.url("allowed.test", "/notify")}, {"token", token}, {"state", nullptr}, {"mode", "direct_post.jwt"},
                                 {"jwks", Json{{"keys", {Json{{"kty", "RSA"}}}}}.dump()}});
  EXPECT_NE(rsa_only.message.find("no P-256"), std::string::npos) << rsa_only.message;
  EXPECT_EQ(up_.hits(), 2) << "only the two good submissions were sent";
}

}  // namespace
}  // namespace t3n::host
