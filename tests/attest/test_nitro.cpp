// AWS Nitro Enclaves attestation documents: the real document from
// ../shared/vectors/attestation/nitro/nitrite-prod, hostile CBOR, and policy.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <sstream>

#include "attest/cbor.h"
#include "attest/nitro_policy.h"
#include "attest/nitro_verify.h"
#include "attest/verification_cache.h"
#include "common/encoding.h"
#include "crypto/hash.h"
#include "crypto/p384.h"
#include "crypto/x509.h"
#include "test_util.h"

namespace t3n::attest {
namespace {

using t3n::testing::read_bytes;

std::time_t utc(const char* text) { return *common::parse_utc_timestamp(text); }

// A minimal CBOR writer for building documents with chosen fields.
void head(Bytes& out, unsigned major, std::uint64_t n) {
  const auto m = static_cast<std::uint8_t>(major << 5);
  if (n < 24) {
    out.push_back(static_cast<std::uint8_t>(m | n));
  } else if (n <= 0xff) {
    out.insert(out.end(), {static_cast<std::uint8_t>(m | 24), static_cast<std::uint8_t>(n)});
  } else if (n <= 0xffff) {
    out.insert(out.end(),
               {static_cast<std::uint8_t>(m | 25), static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n)});
  } else {
    out.push_back(static_cast<std::uint8_t>(m | 27));
    for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(n >> shift));
  }
}
Bytes bstr(ByteView b) {
  Bytes out;
  head(out, 2, b.size());
  common::append(out, b);
  return out;
}
Bytes tstr(std::string_view s) {
  Bytes out;
  head(out, 3, s.size());
  common::append(out, common::as_bytes(s));
  return out;
}
Bytes uint_item(std::uint64_t v) {
  Bytes out;
  head(out, 0, v);
  return out;
}
// A map from (already encoded) key/value pairs.
Bytes map_of(const std::vector<std::pair<Bytes, Bytes>>& entries) {
  Bytes out;
  head(out, 5, entries.size());
  for (const auto& [k, v] : entries) {
    common::append(out, k);
    common::append(out, v);
  }
  return out;
}
Bytes array_of(const std::vector<Bytes>& items) {
  Bytes out;
  head(out, 4, items.size());
  for (const auto& i : items) common::append(out, i);
  return out;
}

const Bytes kProtectedEs384 = {0xa1, 0x01, 0x38, 0x22};  // {1: -35}

Bytes cose(const Bytes& protected_header, const Bytes& payload, const Bytes& signature = Bytes(96, 0x55)) {
  return array_of({bstr(protected_header), map_of({}), bstr(payload), bstr(signature)});
}

// Payload fields of a syntactically valid document (certificates are placeholders).
std::vector<std::pair<Bytes, Bytes>> good_fields() {
  return {{tstr("module_id"), tstr("i-0123-enc0")},
          {tstr("digest"), tstr("SHA384")},
          {tstr("timestamp"), uint_item(1725719859545)},
          {tstr("pcrs"), map_of({{uint_item(0), bstr(Bytes(48, 1))}, {uint_item(1), bstr(Bytes(48, 2))}})},
          {tstr("certificate"), bstr(Bytes(100, 0x30))},
          {tstr("cabundle"), array_of({bstr(Bytes(100, 0x30))})},
          {tstr("user_data"), bstr(Bytes(64, 7))}};
}

Result<NitroDocument> parse_fields(const std::vector<std::pair<Bytes, Bytes>>& fields) {
  return parse_nitro_document(cose(kProtectedEs384, map_of(fields)));
}

// Replaces (or with an empty value, removes) one payload field.
std::vector<std::pair<Bytes, Bytes>> with(std::string_view key, const Bytes& value) {
  auto fields = good_fields();
  const Bytes k = tstr(key);
  auto it = std::find_if(fields.begin(), fields.end(), [&](const auto& f) { return f.first == k; });
  if (it != fields.end()) fields.erase(it);
  if (!value.empty()) fields.emplace_back(k, value);
  return fields;
}

void expect_invalid(const Result<NitroDocument>& r, std::string_view mentions) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument) << r.status().to_string();
  EXPECT_NE(r.status().message().find(mentions), std::string::npos) << r.status().to_string();
}

class NitroVector : public ::testing::Test {
 protected:
  static std::filesystem::path dir() { return t3n::testing::vectors_dir() / "attestation/nitro/nitrite-prod"; }
  void SetUp() override {
    document = read_bytes(dir() / "document.cbor");
    meta = t3n::testing::load_vectors("attestation/nitro/nitrite-prod/case.json");
    root_pem = common::to_string(read_bytes(dir() / "root.pem"));
    ASSERT_EQ(document.size(), 7539u);
  }
  CertCheckOptions at(const char* when) const { return nitro_cert_options(utc(when)); }
  CertCheckOptions at_verify_time() const {
    return nitro_cert_options(utc(meta["verify_at"].get<std::string>().c_str()));
  }

  Bytes document;
  common::Json meta;
  std::string root_pem;
};

TEST_F(NitroVector, ParsesTheRealDocument) {
  T3N_ASSERT_OK_AND_ASSIGN(NitroDocument d, parse_nitro_document(document));
  EXPECT_EQ(d.module_id, meta["module_id"].get<std::string>());
  EXPECT_EQ(d.digest, "SHA384");
  EXPECT_EQ(d.timestamp_ms, meta["document_timestamp_ms"].get<std::uint64_t>());
  EXPECT_EQ(d.pcrs.size(), meta["num_pcrs"].get<std::size_t>());
  for (unsigned i : {0u, 1u, 2u})
    EXPECT_EQ(common::hex_encode(d.pcrs.at(i)), meta["pcr" + std::to_string(i)].get<std::string>());
  EXPECT_EQ(d.cabundle_der.size(), meta["cabundle_len"].get<std::size_t>());
  EXPECT_EQ(common::hex_encode(crypto::sha256(d.cabundle_der.front())), meta["root_sha256"].get<std::string>());
  EXPECT_EQ(d.protected_header, kProtectedEs384);
  EXPECT_EQ(d.signature.size(), 96u);
  EXPECT_FALSE(d.tagged);
  EXPECT_FALSE(d.debug());
  for (const auto* field : {&d.user_data, &d.nonce, &d.public_key}) {
    ASSERT_TRUE(field->has_value());
    EXPECT_EQ(**field, Bytes(1024, 0x01));
  }
}

TEST_F(NitroVector, VerifiesAtItsTimeAndReportsJson) {
  auto v = verify_nitro_document(document, at_verify_time(), root_pem);
  ASSERT_TRUE(v.ok()) << v.status().to_string();
  EXPECT_EQ(v->leaf_not_before, utc("2024-09-07T14:37:36Z"));
  EXPECT_EQ(v->leaf_not_after, utc("2024-09-07T17:37:39Z"));
  const auto j = nitro_verification_to_json(v);
  EXPECT_TRUE(j["valid"].get<bool>());
  EXPECT_EQ(j["provider"], "AwsNitro");
  EXPECT_TRUE(j["hardware_verified"].get<bool>());
  EXPECT_TRUE(j["certificate_chain_valid"].get<bool>());
  EXPECT_TRUE(j["measurements_valid"].is_null());
  EXPECT_EQ(j["tcb_status"], "NotApplicable");
  EXPECT_EQ(j["measurements"]["pcrs"]["0"], meta["pcr0"]);
  EXPECT_EQ(j["measurements"]["pcrs"].size(), 16u);
  EXPECT_EQ(j["measurements"]["timestamp"].get<std::uint64_t>(), 1725719859545u);
  EXPECT_EQ(j["report_data"], common::hex_encode(Bytes(1024, 0x01)));
  EXPECT_EQ(j["nonce"], j["report_data"]);

  const auto bad = nitro_verification_to_json(verify_nitro_document(document, at("2030-01-01T00:00:00Z")));
  EXPECT_FALSE(bad["valid"].get<bool>());
  EXPECT_EQ(bad["provider"], "AwsNitro");
  EXPECT_FALSE(bad["certificate_chain_valid"].get<bool>());
  EXPECT_NE(bad["error"].get<std::string>().find("Nitro certificate chain"), std::string::npos);
}

TEST_F(NitroVector, OnlyInsideTheLeafValidity) {
  EXPECT_TRUE(verify_nitro_document(document, at("2024-09-07T14:37:36Z")).ok());
  EXPECT_TRUE(verify_nitro_document(document, at("2024-09-07T17:37:38Z")).ok());  // OpenSSL: valid while at < notAfter
  for (const char* when : {"2024-09-07T14:37:35Z", "2024-09-07T17:37:40Z", "2024-09-06T00:00:00Z"}) {
    auto v = verify_nitro_document(document, at(when));
    ASSERT_FALSE(v.ok()) << when;
    EXPECT_EQ(v.status().code(), ErrorCode::kVerificationFailed) << v.status().to_string();
  }
}

TEST_F(NitroVector, DefaultOptionsPinTheAwsRootAndOnlyTheAwsRoot) {
  CertCheckOptions defaults;  // Intel's root hash by default: taken as "the pinned AWS root"
  defaults.at = utc("2024-09-07T14:37:40Z");
  EXPECT_TRUE(verify_nitro_document(document, defaults).ok());

  auto wrong = at_verify_time();
  wrong.root_ca_sha256 = std::string(64, '0');
  auto v = verify_nitro_document(document, wrong);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), ErrorCode::kVerificationFailed);
  EXPECT_NE(v.status().message().find("pinned root"), std::string::npos) << v.status().to_string();

  // A supplied root PEM that is not the pinned root is refused, never trusted.
  const std::string other_pem =
      common::to_string(read_bytes(t3n::testing::vectors_dir() / "attestation/roots/amd_milan_ark.pem"));
  v = verify_nitro_document(document, at_verify_time(), other_pem);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), ErrorCode::kVerificationFailed);
  EXPECT_FALSE(verify_nitro_document(document, at_verify_time(), "not a pem").ok());
}

TEST_F(NitroVector, TaggedFormVerifiesOtherTagsDoNot) {
  Bytes tagged = document;
  tagged.insert(tagged.begin(), 0xd2);  // tag 18
  auto v = verify_nitro_document(tagged, at_verify_time());
  ASSERT_TRUE(v.ok()) << v.status().to_string();
  EXPECT_TRUE(v->document.tagged);
  tagged[0] = 0xd1;  // tag 17, COSE_Mac0
  EXPECT_EQ(verify_nitro_document(tagged, at_verify_time()).status().code(), ErrorCode::kInvalidArgument);
  tagged[0] = 0x12;
  tagged.insert(tagged.begin(), 0xd8);  // tag 18 in a two-byte head
  EXPECT_TRUE(verify_nitro_document(tagged, at_verify_time()).ok());
  tagged.insert(tagged.begin(), 0xd2);  // tag 18 twice
  EXPECT_EQ(verify_nitro_document(tagged, at_verify_time()).status().code(), ErrorCode::kInvalidArgument);
}

TEST_F(NitroVector, SignatureStrippedTruncatedOrWrongIsRejected) {
  ASSERT_EQ(document[document.size() - 98], 0x58);
  ASSERT_EQ(document[document.size() - 97], 0x60);
  const Bytes body(document.begin(), document.end() - 98);

  Bytes stripped = body;
  stripped.push_back(0x40);  // h''
  EXPECT_EQ(parse_nitro_document(stripped).status().code(), ErrorCode::kInvalidArgument);

  Bytes truncated = body;
  truncated.insert(truncated.end(), {0x58, 0x5f});
  truncated.insert(truncated.end(), document.end() - 96, document.end() - 1);
  auto t = verify_nitro_document(truncated, at_verify_time());
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("signature"), std::string::npos) << t.status().to_string();

  Bytes three_items(body);
  three_items[0] = 0x83;
  EXPECT_EQ(parse_nitro_document(three_items).status().code(), ErrorCode::kInvalidArgument);

  Bytes zero_signature = body;
  zero_signature.insert(zero_signature.end(), {0x58, 0x60});
  zero_signature.resize(zero_signature.size() + 96, 0);
  auto z = verify_nitro_document(zero_signature, at_verify_time());
  ASSERT_FALSE(z.ok());
  EXPECT_EQ(z.status().code(), ErrorCode::kVerificationFailed);
  EXPECT_NE(z.status().message().find("signature"), std::string::npos);

  // Every document prefix is refused as input, not a crash.
  for (std::size_t n = 0; n < document.size(); ++n)
    ASSERT_EQ(parse_nitro_document(ByteView(document.data(), n)).status().code(), ErrorCode::kInvalidArgument) << n;
}

// All 7539 single-byte flips; the cache keeps unchanged chains from being walked again.
TEST_F(NitroVector, EverySingleByteFlipIsRejected) {
  VerificationCache cache;
  auto o = at_verify_time();
  o.cache = &cache;
  ASSERT_TRUE(verify_nitro_document(document, o).ok());
  std::size_t parsed = 0;
  for (std::size_t i = 0; i < document.size(); ++i) {
    Bytes m = document;
    m[i] ^= 0x01;
    parsed += parse_nitro_document(m).ok() ? 1 : 0;
    auto v = verify_nitro_document(m, o);
    ASSERT_FALSE(v.ok()) << "offset " << i;
  }
  EXPECT_GT(parsed, 6000u);  // most flips land in signed bytes and parse: the signature and chain reject them
  EXPECT_GT(cache.hits(), 0u);
}

TEST(NitroCbor, HostileInputIsInvalidArgumentNeverACrash) {
  const std::vector<std::pair<const char*, Bytes>> cases = {
      {"empty", {}},
      {"indefinite array", {0x9f, 0x01, 0xff}},
      {"indefinite byte string", {0x5f, 0x41, 0x00, 0xff}},
      {"indefinite map", {0xbf, 0x01, 0x01, 0xff}},
      {"lone break", {0xff}},
      {"huge array", {0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00}},
      {"array of 2^27", {0x9a, 0x08, 0x00, 0x00, 0x00, 0x01}},
      {"map of 2^27", {0xba, 0x08, 0x00, 0x00, 0x00, 0x01, 0x01}},
      {"byte string of 2^64-1", {0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00}},
      {"byte string wrapping the length", {0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xf7, 1, 2, 3}},
      {"text string of 2^32", {0x7b, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x61}},
      {"trailing byte", {0x01, 0x00}},
      {"duplicate integer key", {0xa2, 0x01, 0x01, 0x01, 0x02}},
      {"duplicate text key", {0xa2, 0x61, 0x61, 0x01, 0x61, 0x61, 0x02}},
      {"array as map key", {0xa1, 0x80, 0x01}},
      {"float", {0xf9, 0x3c, 0x00}},
      {"reserved additional info", {0x1c}},
      {"unassigned simple value", {0xf8, 0x20}},
      {"tag without item", {0xd2}},
  };
  for (const auto& [name, input] : cases) {
    auto r = cbor::decode(input, "test");
    ASSERT_FALSE(r.ok()) << name;
    EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument) << name;
    EXPECT_EQ(parse_nitro_document(input).status().code(), ErrorCode::kInvalidArgument) << name;
  }
  // Depth: 8 nested arrays pass, 9 do not; 100 000 do not either.
  Bytes nested(8, 0x81);
  nested.push_back(0x00);
  EXPECT_TRUE(cbor::decode(nested, "test").ok());
  nested.insert(nested.begin(), 0x81);
  EXPECT_FALSE(cbor::decode(nested, "test").ok());
  Bytes deep(100000, 0x81);
  deep.push_back(0x00);
  EXPECT_EQ(cbor::decode(deep, "test").status().code(), ErrorCode::kInvalidArgument);
  // Item count bound: 2000 small items in one array.
  Bytes many = {0x99, 0x07, 0xd0};
  many.resize(many.size() + 2000, 0x00);
  EXPECT_FALSE(cbor::decode(many, "test").ok());
  // Distinct keys that are equal in value but not in encoding are duplicates too.
  const Bytes same_value_keys = {0xa2, 0x01, 0x00, 0x18, 0x01, 0x00};
  EXPECT_FALSE(cbor::decode(same_value_keys, "test").ok());
  // Well-formed values decode to what they say.
  const Bytes well_formed = {0xa3, 0x01, 0x38, 0x22, 0x61, 0x78, 0xf6, 0x02, 0x82, 0xf5, 0x40};
  auto ok = cbor::decode(well_formed, "test");  // the tree views `well_formed`
  ASSERT_TRUE(ok.ok()) << ok.status().to_string();
  EXPECT_TRUE(ok->find(1)->is_int(-35));
  EXPECT_EQ(ok->find("x")->kind, cbor::Kind::kNull);
  EXPECT_EQ(ok->find(2)->items.size(), 2u);
  EXPECT_EQ(ok->find(3), nullptr);
}

TEST(NitroCbor, SigStructureIsTheCoseEncoding) {
  const Bytes s = cbor::cose_sign1_sig_structure(kProtectedEs384, {}, Bytes{0xaa, 0xbb});
  EXPECT_EQ(common::hex_encode(s),
            "846a5369676e61747572653144a101382240"
            "42aabb");
  const Bytes long_payload(300, 0x11);
  const Bytes l = cbor::cose_sign1_sig_structure(kProtectedEs384, {}, long_payload);
  EXPECT_EQ(common::hex_encode(ByteView(l).subspan(18, 3)), "59012c");
}

TEST(NitroCbor, CoseEnvelopeRules) {
  const Bytes payload = map_of(good_fields());
  ASSERT_TRUE(parse_nitro_document(cose(kProtectedEs384, payload)).ok());
  expect_invalid(parse_nitro_document(cose({0xa1, 0x01, 0x26}, payload)), "not ES384");  // ES256
  expect_invalid(parse_nitro_document(cose({}, payload)), "no algorithm");
  expect_invalid(parse_nitro_document(cose({0xa1, 0x01, 0x61, 0x78}, payload)), "not an integer");
  expect_invalid(parse_nitro_document(cose({0xa2, 0x01, 0x38, 0x22, 0x02, 0x81, 0x01}, payload)), "critical");
  expect_invalid(parse_nitro_document(cose({0xa2, 0x01, 0x38, 0x22, 0x01, 0x38, 0x22}, payload)), "duplicate");
  expect_invalid(parse_nitro_document(cose(kProtectedEs384, payload, Bytes(95, 1))), "signature");
  expect_invalid(parse_nitro_document(array_of({bstr(kProtectedEs384), map_of({{uint_item(1), uint_item(1)}}),
                                                bstr(payload), bstr(Bytes(96, 1))})),
                 "unprotected");
  expect_invalid(parse_nitro_document(array_of({bstr(kProtectedEs384), map_of({}), Bytes{0xf6}, bstr(Bytes(96, 1))})),
                 "detached");
  expect_invalid(
      parse_nitro_document(array_of({bstr(kProtectedEs384), array_of({}), bstr(payload), bstr(Bytes(96, 1))})),
      "unprotected header is not a map");
  expect_invalid(parse_nitro_document(cose(kProtectedEs384, array_of({}))), "payload is not a map");
  Bytes big = cose(kProtectedEs384, payload);
  big.resize(70 * 1024, 0);
  expect_invalid(parse_nitro_document(big), "larger than");
}

TEST(NitroCbor, PayloadFieldsAreCheckedAndNamed) {
  auto ok = parse_fields(good_fields());
  ASSERT_TRUE(ok.ok()) << ok.status().to_string();
  EXPECT_EQ(ok->pcrs.size(), 2u);
  EXPECT_FALSE(ok->nonce.has_value());
  EXPECT_EQ(ok->user_data, Bytes(64, 7));
  EXPECT_TRUE(parse_fields(with("nonce", Bytes{0xf6})).ok());          // null optional field
  EXPECT_TRUE(parse_fields(with("user_data", bstr({}))).ok());         // empty user_data is allowed
  EXPECT_TRUE(parse_fields(with("future_field", uint_item(1))).ok());  // unknown fields are ignored

  for (const char* field : {"module_id", "digest", "timestamp", "pcrs", "certificate", "cabundle"})
    expect_invalid(parse_fields(with(field, {})), std::string(field) + " is missing");
  expect_invalid(parse_fields(with("module_id", tstr(""))), "module_id");
  expect_invalid(parse_fields(with("module_id", bstr(Bytes(3, 'a')))), "module_id");
  expect_invalid(parse_fields(with("digest", tstr("SHA256"))), "digest");
  expect_invalid(parse_fields(with("timestamp", uint_item(0))), "timestamp");
  expect_invalid(parse_fields(with("timestamp", Bytes{0x20})), "timestamp");  // -1
  expect_invalid(parse_fields(with("pcrs", map_of({}))), "pcrs");
  expect_invalid(parse_fields(with("pcrs", map_of({{uint_item(32), bstr(Bytes(48, 0))}}))), "outside 0..31");
  expect_invalid(parse_fields(with("pcrs", map_of({{uint_item(3), bstr(Bytes(47, 0))}}))), "pcrs[3]");
  expect_invalid(parse_fields(with("pcrs", map_of({{uint_item(3), tstr("x")}}))), "pcrs[3]");
  expect_invalid(parse_fields(with("certificate", bstr({}))), "certificate");
  expect_invalid(parse_fields(with("certificate", bstr(Bytes(1025, 0x30)))), "certificate");
  expect_invalid(parse_fields(with("cabundle", array_of({}))), "cabundle");
  expect_invalid(parse_fields(with("cabundle", array_of({tstr("x")}))), "cabundle[0]");
  expect_invalid(parse_fields(with("user_data", bstr(Bytes(1025, 1)))), "user_data");
  expect_invalid(parse_fields(with("nonce", tstr("x"))), "nonce");
  expect_invalid(parse_fields(with("public_key", bstr({}))), "public_key");
  EXPECT_TRUE(parse_fields(with("public_key", bstr(Bytes(1024, 1)))).ok());
}

// A test PKI (P-384 root and leaf) signing documents with chosen fields, for
// the checks the real document cannot reach: timestamps outside the leaf's
// life and debug enclaves, end to end.
class TestPki {
 public:
  explicit TestPki(std::time_t leaf_from)
      : root_key_(crypto::P384PrivateKey::generate().value()), leaf_key_(crypto::P384PrivateKey::generate().value()) {
    root_ = certificate("test root", root_key_, nullptr, leaf_from - 86400, leaf_from + 86400 * 365, true);
    const auto root = crypto::Certificate::from_der(root_);
    EXPECT_TRUE(root.ok()) << root.status().to_string();
    if (root.ok()) leaf_ = certificate("test leaf", leaf_key_, &*root, leaf_from, leaf_from + 3 * 3600, false);
  }
  std::string root_sha256() const { return common::hex_encode(crypto::sha256(root_)); }

  Bytes document(std::uint64_t timestamp_ms, const Bytes& pcr_value) const {
    const Bytes payload = map_of(
        {{tstr("module_id"), tstr("i-test-enc0")},
         {tstr("digest"), tstr("SHA384")},
         {tstr("timestamp"), uint_item(timestamp_ms)},
         {tstr("pcrs"),
          map_of({{uint_item(0), bstr(pcr_value)}, {uint_item(1), bstr(pcr_value)}, {uint_item(2), bstr(pcr_value)}})},
         {tstr("certificate"), bstr(leaf_)},
         {tstr("cabundle"), array_of({bstr(root_)})},
         {tstr("nonce"), Bytes{0xf6}}});
    const Bytes to_sign = cbor::cose_sign1_sig_structure(kProtectedEs384, {}, payload);
    auto raw = leaf_key_.sign_raw(to_sign);
    EXPECT_TRUE(raw.ok()) << raw.status().to_string();
    return cose(kProtectedEs384, payload, raw.ok() ? *raw : Bytes(96, 0));
  }

 private:
  // The leaf key signs (ECDSA P-384); the root signs both certificates.
  Bytes certificate(const char* cn, const crypto::P384PrivateKey& subject_key, const crypto::Certificate* issuer,
                    std::time_t from, std::time_t until, bool ca) const {
    crypto::CertificateSpec spec;
    spec.serial = ca ? 1 : 2;
    spec.subject = {{"CN", cn}};
    spec.not_before = from;
    spec.not_after = until;
    if (ca) spec.basic_constraints = crypto::CertificateSpec::BasicConstraints{true, std::nullopt};
    auto cert = crypto::issue_certificate(spec, subject_key.public_key(), issuer, root_key_);
    EXPECT_TRUE(cert.ok()) << cert.status().to_string();
    return cert.ok() ? cert->der() : Bytes{};
  }

  crypto::P384PrivateKey root_key_;
  crypto::P384PrivateKey leaf_key_;
  Bytes root_, leaf_;
};

TEST(NitroTestPki, TimestampMustLieInsideTheLeafLife) {
  const std::time_t from = utc("2025-01-01T00:00:00Z");
  const TestPki pki(from);
  CertCheckOptions o = nitro_cert_options(from + 3600);
  o.root_ca_sha256 = pki.root_sha256();
  const auto ms = [](std::time_t t) { return static_cast<std::uint64_t>(t) * 1000; };
  auto v = verify_nitro_document(pki.document(ms(from + 3600), Bytes(48, 9)), o);
  ASSERT_TRUE(v.ok()) << v.status().to_string();
  EXPECT_FALSE(v->document.nonce.has_value());  // null
  // The same PKI is refused under the default (AWS) pin.
  EXPECT_EQ(verify_nitro_document(pki.document(ms(from + 3600), Bytes(48, 9)), nitro_cert_options(from + 3600))
                .status()
                .code(),
            ErrorCode::kVerificationFailed);
  for (std::time_t t : {from - 10, from + 3 * 3600 + 10}) {
    auto late = verify_nitro_document(pki.document(ms(t), Bytes(48, 9)), o);
    ASSERT_FALSE(late.ok()) << t;
    EXPECT_EQ(late.status().code(), ErrorCode::kVerificationFailed);
    EXPECT_NE(late.status().message().find("timestamp"), std::string::npos) << late.status().to_string();
  }
}

TEST(NitroTestPki, DebugEnclaveVerifiesButIsNotValid) {
  const std::time_t from = utc("2025-01-01T00:00:00Z");
  const TestPki pki(from);
  CertCheckOptions o = nitro_cert_options(from + 60);
  o.root_ca_sha256 = pki.root_sha256();
  auto v = verify_nitro_document(pki.document(static_cast<std::uint64_t>(from + 60) * 1000, Bytes(48, 0)), o);
  ASSERT_TRUE(v.ok()) << v.status().to_string();
  EXPECT_TRUE(v->document.debug());
  EXPECT_FALSE(nitro_verification_to_json(v)["valid"].get<bool>());
  EXPECT_TRUE(nitro_verification_to_json(v)["measurements"]["debug"].get<bool>());
  EXPECT_FALSE(apply_nitro_policy(*v, NitroPolicy{}, from + 120).accepted);
}

class NitroPolicyTest : public NitroVector {
 protected:
  void SetUp() override {
    NitroVector::SetUp();
    auto v = verify_nitro_document(document, at_verify_time());
    ASSERT_TRUE(v.ok()) << v.status().to_string();
    verified = *v;
    doc_time = static_cast<std::time_t>(verified.document.timestamp_ms / 1000);
  }
  NitroVerification verified;
  std::time_t doc_time = 0;
};

TEST_F(NitroPolicyTest, PcrAllowList) {
  NitroPolicy p;
  p.pcrs[0] = {meta["pcr0"].get<std::string>()};
  p.pcrs[2] = {std::string(96, 'a'), meta["pcr2"].get<std::string>()};
  auto out = apply_nitro_policy(verified, p, doc_time + 1);
  EXPECT_TRUE(out.accepted);
  EXPECT_TRUE(out.measurements_valid);
  EXPECT_TRUE(out.violations.empty());

  p.pcrs[1] = {std::string(96, 'b')};
  out = apply_nitro_policy(verified, p, doc_time + 1);
  EXPECT_FALSE(out.accepted);
  EXPECT_FALSE(out.measurements_valid);
  ASSERT_EQ(out.violations.size(), 1u);
  EXPECT_NE(out.violations[0].find("PCR1"), std::string::npos);

  NitroPolicy absent;
  absent.pcrs[20] = {std::string(96, 'c')};  // the document has PCR0–15 only
  EXPECT_FALSE(apply_nitro_policy(verified, absent, doc_time + 1).accepted);

  const auto j = nitro_verification_to_json(verified, out);
  EXPECT_FALSE(j["valid"].get<bool>());
  EXPECT_FALSE(j["measurements_valid"].get<bool>());
  EXPECT_EQ(j["policy"]["violations"].size(), 1u);
  EXPECT_TRUE(
      nitro_verification_to_json(verified, apply_nitro_policy(verified, {}, doc_time + 1))["valid"].get<bool>());
}

TEST_F(NitroPolicyTest, DebugEnclavesAreRejectedByDefault) {
  NitroVerification debug = verified;
  for (unsigned i : {0u, 1u, 2u}) debug.document.pcrs[i].assign(48, 0);
  EXPECT_TRUE(debug.document.debug());
  EXPECT_FALSE(nitro_verification_to_json(debug)["valid"].get<bool>());
  NitroPolicy p;
  auto out = apply_nitro_policy(debug, p, doc_time + 1);
  EXPECT_FALSE(out.accepted);
  ASSERT_EQ(out.violations.size(), 1u);
  EXPECT_NE(out.violations[0].find("debug"), std::string::npos);
  p.allow_debug = true;
  EXPECT_TRUE(apply_nitro_policy(debug, p, doc_time + 1).accepted);
  // Only PCR0–2 all zero is debug.
  debug.document.pcrs[1][47] = 1;
  EXPECT_FALSE(debug.document.debug());
  EXPECT_TRUE(apply_nitro_policy(debug, NitroPolicy{}, doc_time + 1).accepted);
}

TEST_F(NitroPolicyTest, EvidenceAgeFromTheDocumentTimestamp) {
  NitroPolicy p;
  auto out = apply_nitro_policy(verified, p, doc_time + 100);
  EXPECT_TRUE(out.accepted);
  ASSERT_TRUE(out.evidence_age_seconds.has_value());
  EXPECT_EQ(*out.evidence_age_seconds, 100);
  EXPECT_FALSE(apply_nitro_policy(verified, p, doc_time + 24 * 3600 + 1).accepted);
  EXPECT_TRUE(apply_nitro_policy(verified, p, doc_time + 24 * 3600).accepted);
  p.max_evidence_age_seconds = 60;
  EXPECT_FALSE(apply_nitro_policy(verified, p, doc_time + 100).accepted);
  EXPECT_FALSE(apply_nitro_policy(verified, p, doc_time - 3600).accepted);  // dated in the future
  EXPECT_FALSE(apply_nitro_policy(verified, p, 0).accepted);                // now: years after 2024
}

TEST_F(NitroPolicyTest, UserDataNonceAndKeyBinding) {
  NitroPolicy p;
  auto out = apply_nitro_policy(verified, p, doc_time + 1);
  EXPECT_FALSE(out.report_data_bound.has_value());
  p.user_data = Bytes(1024, 0x01);
  p.nonce = Bytes(1024, 0x01);
  out = apply_nitro_policy(verified, p, doc_time + 1);
  EXPECT_TRUE(out.accepted);
  EXPECT_EQ(out.report_data_bound, std::optional<bool>(true));
  p.nonce = Bytes(1024, 0x02);
  out = apply_nitro_policy(verified, p, doc_time + 1);
  EXPECT_FALSE(out.accepted);
  EXPECT_EQ(out.report_data_bound, std::optional<bool>(false));
  EXPECT_NE(out.violations.at(0).find("nonce"), std::string::npos);

  NitroPolicy keys;
  keys.report_data = node_key_binding(Bytes(32, 1), Bytes(1952, 2), {});
  EXPECT_FALSE(apply_nitro_policy(verified, keys, doc_time + 1).accepted);  // user_data is not the binding
  NitroVerification bound = verified;
  bound.document.user_data = Bytes(keys.report_data->begin(), keys.report_data->end());
  EXPECT_TRUE(apply_nitro_policy(bound, keys, doc_time + 1).accepted);
  keys.public_key = Bytes{1, 2, 3};
  EXPECT_FALSE(apply_nitro_policy(bound, keys, doc_time + 1).accepted);
}

TEST(NitroPolicyToml, ParsesAndRejects) {
  const std::string pcr0(96, 'A');
  auto p = nitro_policy_from_toml("[nitro]\npcr0 = [\"" + pcr0 + "\"]\npcr15 = [\"" + std::string(64, '1') +
                                  "\"]\nallow_debug = true\nmax_evidence_age_seconds = 600\nuser_data = \"0101\"\n"
                                  "nonce = \"\"\npublic_key = \"ab\"\nreport_data = \"" +
                                  std::string(128, 'c') + "\"\n");
  ASSERT_TRUE(p.ok()) << p.status().to_string();
  EXPECT_EQ(p->pcrs.at(0), std::vector<std::string>{std::string(96, 'a')});  // canonical lower case
  EXPECT_EQ(p->pcrs.at(15).size(), 1u);
  EXPECT_TRUE(p->allow_debug);
  EXPECT_EQ(p->max_evidence_age_seconds, 600);
  EXPECT_EQ(p->user_data, (Bytes{1, 1}));
  EXPECT_EQ(p->nonce, Bytes{});
  EXPECT_EQ(p->public_key, Bytes{0xab});
  EXPECT_TRUE(p->report_data.has_value());

  auto defaults = nitro_policy_from_toml("");
  ASSERT_TRUE(defaults.ok());
  EXPECT_FALSE(defaults->allow_debug);
  EXPECT_EQ(defaults->max_evidence_age_seconds, 24 * 3600);
  EXPECT_TRUE(defaults->pcrs.empty());

  auto typo = nitro_policy_from_toml("[nitro]\npcr16 = []\n");
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(typo.status().message().find("pcr16"), std::string::npos);
  EXPECT_FALSE(nitro_policy_from_toml("[nitro]\nalow_debug = true\n").ok());
  EXPECT_FALSE(nitro_policy_from_toml("[tdx]\nallow_debug = true\n").ok());
  EXPECT_FALSE(nitro_policy_from_toml("[nitro]\npcr0 = [\"abcd\"]\n").ok());
  EXPECT_FALSE(nitro_policy_from_toml("[nitro]\npcr0 = [\"" + std::string(96, 'g') + "\"]\n").ok());
  EXPECT_FALSE(nitro_policy_from_toml("[nitro]\npcr0 = \"" + pcr0 + "\"\n").ok());
  EXPECT_FALSE(nitro_policy_from_toml("[nitro]\nmax_evidence_age_seconds = 0\n").ok());
  EXPECT_FALSE(nitro_policy_from_toml("[nitro]\nmax_evidence_age_seconds = -5\n").ok());
  EXPECT_FALSE(nitro_policy_from_toml("[nitro]\nallow_debug = \"yes\"\n").ok());
  EXPECT_FALSE(nitro_policy_from_toml("[nitro]\nuser_data = \"" + std::string(2050, '0') + "\"\n").ok());
  EXPECT_FALSE(nitro_policy_from_toml("[nitro]\nreport_data = \"00\"\n").ok());
  EXPECT_FALSE(nitro_policy_from_toml("[nitro\n").ok());

  // From a shared table, only nitro.* keys are read.
  auto table = common::ConfigTable::parse_string("[tdx]\nallow_debug = true\n[nitro]\nmax_evidence_age_seconds = 5\n");
  ASSERT_TRUE(table.ok());
  auto shared = nitro_policy_from_config(*table);
  ASSERT_TRUE(shared.ok()) << shared.status().to_string();
  EXPECT_FALSE(shared->allow_debug);
  EXPECT_EQ(shared->max_evidence_age_seconds, 5);
  EXPECT_EQ(kNitroPolicyKeys.front(), "nitro.pcr0");
}

}  // namespace
}  // namespace t3n::attest
