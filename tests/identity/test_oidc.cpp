// ID token checks (identity/oidc.h) and the JWKS fetch against an HTTPS
// issuer stand-in on 127.0.0.1 started here. Tokens are signed with cjose
// (its signing path; the node uses only its verify path) and by hand for
// the malformed ones.
#ifndef CPPHTTPLIB_OPENSSL_SUPPORT
#define CPPHTTPLIB_OPENSSL_SUPPORT
#endif
#include <cjose/cjose.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "common/encoding.h"
#include "common/json.h"
#include "identity/oidc.h"

namespace t3n::identity {
namespace {

using common::Json;

constexpr std::int64_t kNow = 1'790'000'000;
const std::string kIssuer = "https://issuer.test";
const std::string kClient = "t3n-client";
const std::string kNonce = "n-0S6_WzA2Mj";

struct JwkDeleter {
  void operator()(cjose_jwk_t* k) const { cjose_jwk_release(k); }
};
using JwkPtr = std::unique_ptr<cjose_jwk_t, JwkDeleter>;

JwkPtr rsa_key(std::size_t bits, const std::string& kid) {
  cjose_err err{};
  static const std::uint8_t e[] = {1, 0, 1};
  JwkPtr k(cjose_jwk_create_RSA_random(bits, e, sizeof e, &err));
  EXPECT_TRUE(k) << err.message;
  cjose_jwk_set_kid(k.get(), kid.data(), kid.size(), &err);
  return k;
}

JwkPtr ec_key(const std::string& kid) {
  cjose_err err{};
  JwkPtr k(cjose_jwk_create_EC_random(CJOSE_JWK_EC_P_256, &err));
  EXPECT_TRUE(k) << err.message;
  cjose_jwk_set_kid(k.get(), kid.data(), kid.size(), &err);
  return k;
}

Json public_jwk(const cjose_jwk_t* k) {
  cjose_err err{};
  char* text = cjose_jwk_to_json(k, false, &err);
  Json j = Json::parse(text);
  free(text);  // NOLINT(cppcoreguidelines-no-malloc): cjose's allocation
  return j;
}

std::string jwks_of(std::initializer_list<const cjose_jwk_t*> keys) {
  Json set = {{"keys", Json::array()}};
  for (auto* k : keys) set["keys"].push_back(public_jwk(k));
  return set.dump();
}

Json good_claims() {
  return {{"iss", kIssuer},  {"aud", kClient},         {"sub", "110169484474386276334"},
          {"iat", kNow - 5}, {"exp", kNow + 3600},     {"nonce", kNonce},
          {"email", "Alice@Example.com"}, {"email_verified", true}};
}

std::string sign(const cjose_jwk_t* k, const char* alg, const Json& claims, std::optional<std::string> kid = std::nullopt) {
  cjose_err err{};
  cjose_header_t* h = cjose_header_new(&err);
  cjose_header_set(h, CJOSE_HDR_ALG, alg, &err);
  const std::string key_id = kid ? *kid : std::string(cjose_jwk_get_kid(k, &err));
  if (!key_id.empty()) cjose_header_set(h, CJOSE_HDR_KID, key_id.c_str(), &err);
  const std::string payload = claims.dump();
  cjose_jws_t* jws = cjose_jws_sign(k, h, reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size(), &err);
  EXPECT_NE(jws, nullptr) << err.message;
  const char* compact = nullptr;
  cjose_jws_export(jws, &compact, &err);
  std::string out = compact;
  cjose_jws_release(jws);
  cjose_header_release(h);
  return out;
}

std::string b64u(const std::string& s) { return common::base64url_encode(common::as_bytes(s)); }

IdTokenExpectations expect() {
  IdTokenExpectations e;
  e.issuer = kIssuer;
  e.audiences = {kClient};
  e.nonce = kNonce;
  e.now_unix = kNow;
  e.issued_not_before_unix = kNow - 60;
  return e;
}

class IdTokenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    rsa_ = rsa_key(2048, "rsa-1");
    ec_ = ec_key("ec-1");
    auto set = JsonWebKeySet::parse(jwks_of({rsa_.get(), ec_.get()}));
    ASSERT_TRUE(set.ok()) << set.status().message();
    keys_ = std::move(*set);
  }
  Status check(const std::string& jwt, const IdTokenExpectations& e = expect()) {
    return verify_id_token(jwt, keys_, e).status();
  }
  JwkPtr rsa_, ec_;
  JsonWebKeySet keys_;
};

TEST_F(IdTokenTest, Rs256AndEs256TokensVerify) {
  ASSERT_EQ(keys_.size(), 2u);
  auto rs = verify_id_token(sign(rsa_.get(), CJOSE_HDR_ALG_RS256, good_claims()), keys_, expect());
  ASSERT_TRUE(rs.ok()) << rs.status().message();
  EXPECT_EQ(rs->issuer, kIssuer);
  EXPECT_EQ(rs->subject, "110169484474386276334");
  EXPECT_EQ(rs->verified_email, "alice@example.com");
  auto es = verify_id_token(sign(ec_.get(), CJOSE_HDR_ALG_ES256, good_claims()), keys_, expect());
  ASSERT_TRUE(es.ok()) << es.status().message();
}

TEST_F(IdTokenTest, AnotherKeysSignatureIsRefused) {
  auto other = rsa_key(2048, "rsa-1");  // same kid, different key
  EXPECT_EQ(check(sign(other.get(), CJOSE_HDR_ALG_RS256, good_claims())).code(), ErrorCode::kUnauthenticated);
  // A changed payload under the original signature.
  std::string jwt = sign(rsa_.get(), CJOSE_HDR_ALG_RS256, good_claims());
  Json forged = good_claims();
  forged["sub"] = "someone-else";
  const auto d1 = jwt.find('.'), d2 = jwt.rfind('.');
  EXPECT_EQ(check(jwt.substr(0, d1 + 1) + b64u(forged.dump()) + jwt.substr(d2)).code(), ErrorCode::kUnauthenticated);
}

TEST_F(IdTokenTest, AlgNoneAndHmacAreRefused) {
  const std::string body = b64u(good_claims().dump());
  EXPECT_EQ(check(b64u(R"({"alg":"none"})") + "." + body + ".").code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(check(b64u(R"({"alg":"none","kid":"rsa-1"})") + "." + body + ".c2ln").code(), ErrorCode::kUnauthenticated);
  // HS256 "signed" with the RSA public key's bytes: the classic confusion.
  EXPECT_EQ(check(b64u(R"({"alg":"HS256","kid":"rsa-1"})") + "." + body + ".c2ln").code(), ErrorCode::kUnauthenticated);
  // An RS256 header naming the EC key.
  EXPECT_EQ(check(sign(rsa_.get(), CJOSE_HDR_ALG_RS256, good_claims(), "ec-1")).code(), ErrorCode::kUnauthenticated);
  EXPECT_EQ(check(b64u(R"({"alg":"RS256","kid":"rsa-1","crit":["exp"]})") + "." + body + ".c2ln").code(),
            ErrorCode::kUnauthenticated);
}

TEST_F(IdTokenTest, ClaimRulesEachRefuseOnce) {
  auto with = [&](const char* field, Json value) {
    Json c = good_claims();
    if (value.is_null()) c.erase(field);
    else c[field] = std::move(value);
    return check(sign(rsa_.get(), CJOSE_HDR_ALG_RS256, c)).code();
  };
  EXPECT_EQ(with("iss", "https://evil.test"), ErrorCode::kUnauthenticated);
  EXPECT_EQ(with("aud", "another-client"), ErrorCode::kUnauthenticated);
  EXPECT_EQ(with("aud", Json::array({"another-client", kClient})), ErrorCode::kUnauthenticated);  // no azp
  EXPECT_EQ(with("exp", kNow - 120), ErrorCode::kUnauthenticated);
  EXPECT_EQ(with("exp", nullptr), ErrorCode::kUnauthenticated);
  EXPECT_EQ(with("iat", kNow + 600), ErrorCode::kUnauthenticated);
  EXPECT_EQ(with("iat", kNow - 3600), ErrorCode::kUnauthenticated);  // before the login started
  EXPECT_EQ(with("iat", "yesterday"), ErrorCode::kUnauthenticated);
  EXPECT_EQ(with("nbf", kNow + 600), ErrorCode::kUnauthenticated);
  EXPECT_EQ(with("nonce", "another-session"), ErrorCode::kUnauthenticated);
  EXPECT_EQ(with("nonce", nullptr), ErrorCode::kUnauthenticated);
  EXPECT_EQ(with("sub", ""), ErrorCode::kUnauthenticated);
  // Within the skew is fine; several audiences with our azp is fine.
  EXPECT_EQ(with("exp", kNow - 30), ErrorCode::kOk);
  Json multi = good_claims();
  multi["aud"] = Json::array({"another-client", kClient});
  multi["azp"] = kClient;
  EXPECT_TRUE(check(sign(rsa_.get(), CJOSE_HDR_ALG_RS256, multi)).ok());
}

TEST_F(IdTokenTest, EmailCountsOnlyWhenVerified) {
  Json c = good_claims();
  c["email_verified"] = false;
  auto r = verify_id_token(sign(rsa_.get(), CJOSE_HDR_ALG_RS256, c), keys_, expect());
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->verified_email);
  c["email_verified"] = "true";  // Apple's form
  r = verify_id_token(sign(rsa_.get(), CJOSE_HDR_ALG_RS256, c), keys_, expect());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->verified_email, "alice@example.com");
}

TEST_F(IdTokenTest, UnknownKidAsksForARefetch) {
  auto fresh = rsa_key(2048, "rsa-2");
  EXPECT_EQ(check(sign(fresh.get(), CJOSE_HDR_ALG_RS256, good_claims())).code(), ErrorCode::kNotFound);
}

TEST_F(IdTokenTest, MalformedTokensAreTypedErrors) {
  for (const std::string& bad : std::vector<std::string>{"", "a.b", "a.b.c.d", "!!.e30.", std::string(20000, 'a') + ".b.c"})
    EXPECT_EQ(check(bad).code(), ErrorCode::kInvalidArgument) << bad.substr(0, 20);
}

TEST(JsonWebKeySet, SkipsWeakPrivateAndForeignKeys) {
  auto weak = rsa_key(1024, "weak");
  auto good = ec_key("good");
  Json set = Json::parse(jwks_of({weak.get(), good.get()}));
  set["keys"].push_back({{"kty", "oct"}, {"k", "c2VjcmV0"}, {"kid", "hmac"}});
  Json enc = public_jwk(good.get());
  enc["use"] = "enc";
  enc["kid"] = "enc";
  set["keys"].push_back(enc);
  auto parsed = JsonWebKeySet::parse(set.dump());
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->size(), 1u);
  EXPECT_TRUE(parsed->has_kid("good"));
  EXPECT_FALSE(JsonWebKeySet::parse("[]").ok());
  EXPECT_FALSE(JsonWebKeySet::parse("{\"keys\":{}}").ok());
}

// An HTTPS issuer stand-in: self-signed certificate for 127.0.0.1 made with
// the openssl tool, JWKS served from memory, requests counted.
class HttpsIssuer {
 public:
  HttpsIssuer() {
    dir_ = std::filesystem::temp_directory_path() / ("t3n-oidc-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    const std::string cmd = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=127.0.0.1 "
                            "-addext subjectAltName=IP:127.0.0.1 -keyout " +
                            (dir_ / "key.pem").string() + " -out " + (dir_ / "cert.pem").string() + " 2>/dev/null";
    EXPECT_EQ(std::system(cmd.c_str()), 0);
    server_ = std::make_unique<httplib::SSLServer>((dir_ / "cert.pem").c_str(), (dir_ / "key.pem").c_str());
    server_->Get("/jwks", [this](const httplib::Request&, httplib::Response& res) {
      ++hits_;
      std::lock_guard lock(mu_);
      res.set_content(jwks_, "application/json");
    });
    port_ = server_->bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    // Ready signal: stop() before the accept loop runs would be lost (httplib 0.11).
    while (!server_->is_running()) std::this_thread::yield();
  }
  ~HttpsIssuer() {
    server_->stop();
    thread_.join();
    std::filesystem::remove_all(dir_);
  }
  void publish(std::string jwks) {
    std::lock_guard lock(mu_);
    jwks_ = std::move(jwks);
  }
  OidcProvider provider() const {
    return {"test", kIssuer, "https://127.0.0.1:" + std::to_string(port_) + "/jwks", {kClient}, (dir_ / "cert.pem").string()};
  }
  int hits() const { return hits_; }

 private:
  std::filesystem::path dir_;
  std::unique_ptr<httplib::SSLServer> server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mu_;
  std::string jwks_ = R"({"keys":[]})";
  std::atomic<int> hits_{0};
};

TEST(OidcVerifier, FetchesCachesAndRefetchesOnUnknownKid) {
  HttpsIssuer issuer;
  auto k1 = rsa_key(2048, "k1");
  auto k2 = ec_key("k2");
  issuer.publish(jwks_of({k1.get()}));
  std::uint64_t now_ms = static_cast<std::uint64_t>(kNow) * 1000;
  OidcVerifier v({issuer.provider()}, [&] { return now_ms; });
  const OidcProvider& p = *v.provider("test");
  const std::int64_t started = kNow - 10;

  auto r = v.verify(p, sign(k1.get(), CJOSE_HDR_ALG_RS256, good_claims()), kNonce, started);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(issuer.hits(), 1);
  ASSERT_TRUE(v.verify(p, sign(k1.get(), CJOSE_HDR_ALG_RS256, good_claims()), kNonce, started).ok());
  EXPECT_EQ(issuer.hits(), 1) << "the key set is cached";

  // Key rotation: a token under a new kid makes the node fetch again — but
  // not before the refetch interval has passed.
  issuer.publish(jwks_of({k1.get(), k2.get()}));
  const std::string rotated = sign(k2.get(), CJOSE_HDR_ALG_ES256, good_claims());
  EXPECT_EQ(v.verify(p, rotated, kNonce, started).status().code(), ErrorCode::kUnauthenticated);
  EXPECT_EQ(issuer.hits(), 1) << "no refetch within min_refetch_ms of the last fetch";
  now_ms += 31 * 1000;
  r = v.verify(p, rotated, kNonce, started);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(issuer.hits(), 2);

  // Forged kids cannot make it hammer the issuer.
  auto stranger = rsa_key(2048, "nobody");
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(v.verify(p, sign(stranger.get(), CJOSE_HDR_ALG_RS256, good_claims()), kNonce, started).status().code(),
              ErrorCode::kUnauthenticated);
  EXPECT_EQ(issuer.hits(), 2);
}

TEST(OidcVerifier, RefusesAnIssuerItCannotAuthenticate) {
  HttpsIssuer issuer;
  auto k1 = rsa_key(2048, "k1");
  issuer.publish(jwks_of({k1.get()}));
  OidcProvider p = issuer.provider();
  p.ca_file.clear();  // the system store does not know the stand-in's certificate
  OidcVerifier v({p}, [] { return static_cast<std::uint64_t>(kNow) * 1000; });
  auto r = v.verify(*v.provider("test"), sign(k1.get(), CJOSE_HDR_ALG_RS256, good_claims()), kNonce, kNow - 10);
  EXPECT_EQ(r.status().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(issuer.hits(), 0);
}

TEST(OidcProviderConfig, NeedsHttpsIssuerAndClient) {
  EXPECT_TRUE(validate_provider({"g", kIssuer, "https://x/jwks", {kClient}, ""}).ok());
  EXPECT_FALSE(validate_provider({"g", kIssuer, "http://x/jwks", {kClient}, ""}).ok());
  EXPECT_FALSE(validate_provider({"g", "", "https://x/jwks", {kClient}, ""}).ok());
  EXPECT_FALSE(validate_provider({"g", kIssuer, "https://x/jwks", {}, ""}).ok());
}

}  // namespace
}  // namespace t3n::identity
