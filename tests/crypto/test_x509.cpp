// X.509 through crypto/x509: parsing, fields, chains to trust anchors with
// time and CRLs, deterministic issuing; real AMD (RSA-PSS) and Intel chains.
#include <gtest/gtest.h>

#include "common/config.h"
#include "common/encoding.h"
#include "crypto/p256.h"
#include "crypto/p384.h"
#include "crypto/x509.h"
#include "test_util.h"

namespace t3n::crypto {
namespace {

using t3n::testing::hex;
using t3n::testing::read_bytes;
using t3n::testing::vectors_dir;

constexpr std::time_t kFrom = 1735689600;  // 2025-01-01T00:00:00Z
constexpr std::time_t kUntil = kFrom + 365 * 86400;
constexpr std::uint64_t kLeafSerial = 0x5C0FFEE;

P256PrivateKey key(std::uint8_t fill) { return P256PrivateKey::from_scalar(Bytes(32, fill)).value(); }

CertificateSpec spec(const std::string& cn, std::uint64_t serial, bool ca, std::time_t from, std::time_t until) {
  CertificateSpec s;
  s.serial = serial;
  s.subject = {{"CN", cn}, {"O", "T3N test"}};
  s.not_before = from;
  s.not_after = until;
  s.subject_key_identifier = true;
  s.authority_key_identifier = true;
  s.basic_constraints = CertificateSpec::BasicConstraints{ca, std::nullopt};
  s.key_usage = ca ? std::vector<std::string>{"keyCertSign", "cRLSign"} : std::vector<std::string>{"digitalSignature"};
  return s;
}

// root → CA → leaf, each CA with a CRL; the leaf may be revoked.
struct Pki {
  P256PrivateKey root_key, ca_key, leaf_key;
  Certificate root, ca, leaf;
  Crl root_crl, ca_crl;

  static Pki make(bool revoke_leaf = false, std::time_t leaf_until = kUntil, std::time_t crl_next = kUntil) {
    auto root_key = key(1), ca_key = key(2), leaf_key = key(3);
    auto root = issue_certificate(spec("Root", 1, true, kFrom, kUntil), root_key.public_key(), nullptr, root_key).value();
    auto ca_spec = spec("CA", 2, true, kFrom, kUntil);
    ca_spec.basic_constraints->path_length = 0;
    auto ca = issue_certificate(ca_spec, ca_key.public_key(), &root, root_key).value();
    auto leaf_spec = spec("Leaf", kLeafSerial, false, kFrom, leaf_until);
    leaf_spec.extensions.push_back({"1.2.3.4.5", false, Bytes{0x04, 0x01, 0xAA}});
    leaf_spec.extensions.push_back({"1.2.3.4.6", false, Bytes{0x05, 0x00}});
    leaf_spec.extensions.push_back({"1.2.3.4.6", false, Bytes{0x01, 0x01, 0xFF}});
    auto leaf = issue_certificate(leaf_spec, leaf_key.public_key(), &ca, ca_key).value();
    auto root_crl = issue_crl({kFrom, crl_next, {}}, root, root_key).value();
    CrlSpec ca_crl_spec{kFrom, crl_next, {}};
    if (revoke_leaf) ca_crl_spec.revoked_serials = {7, kLeafSerial};
    auto ca_crl = issue_crl(ca_crl_spec, ca, ca_key).value();
    return Pki{std::move(root_key), std::move(ca_key), std::move(leaf_key), std::move(root), std::move(ca),
               std::move(leaf), std::move(root_crl), std::move(ca_crl)};
  }

  Status verify(std::time_t at, std::vector<Crl> crls = {}, bool whole_chain = true) const {
    ChainCheckOptions o;
    o.at = at;
    o.crls = std::move(crls);
    o.crl_check_whole_chain = whole_chain;
    const std::vector<Certificate> intermediates{ca}, anchors{root};
    return verify_chain(leaf, intermediates, anchors, o).status();
  }
};

TEST(X509, ParsesWhatItIssued) {
  const Pki pki = Pki::make();
  const Bytes der = pki.leaf.der();
  T3N_ASSERT_OK_AND_ASSIGN(Certificate again, Certificate::from_der(der));
  EXPECT_EQ(again.der(), der);
  T3N_ASSERT_OK_AND_ASSIGN(Certificate from_pem, Certificate::from_pem("text before\n" + pki.leaf.pem() + "after"));
  EXPECT_EQ(from_pem.der(), der);
  EXPECT_EQ(pki.leaf.sha256(), sha256(der));
  EXPECT_EQ(pki.leaf.subject_common_name(), "Leaf");
  EXPECT_EQ(pki.leaf.issuer_common_name(), "CA");
  EXPECT_EQ(pki.root.issuer_common_name(), "Root");
  EXPECT_EQ(common::hex_encode(pki.leaf.serial()), "05c0ffee");
  EXPECT_EQ(pki.leaf.not_before(), kFrom);
  EXPECT_EQ(pki.leaf.not_after(), kUntil);
  T3N_ASSERT_OK_AND_ASSIGN(Bytes point, pki.leaf.p256_public_key());
  EXPECT_EQ(point, pki.leaf_key.public_key());
  T3N_ASSERT_OK_AND_ASSIGN(Bytes spki, pki.leaf.public_key_spki());
  EXPECT_EQ(spki.size(), 91u);  // SEQUENCE { id-ecPublicKey prime256v1, BIT STRING (65) }
  T3N_ASSERT_OK_AND_ASSIGN(auto one, pki.leaf.extensions("1.2.3.4.5"));
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0], (Bytes{0x04, 0x01, 0xAA}));
  T3N_ASSERT_OK_AND_ASSIGN(auto two, pki.leaf.extensions("1.2.3.4.6"));
  ASSERT_EQ(two.size(), 2u) << "an extension present twice is reported twice";
  EXPECT_EQ(two[1], (Bytes{0x01, 0x01, 0xFF}));
  T3N_ASSERT_OK_AND_ASSIGN(auto none, pki.leaf.extensions("1.2.3.4.7"));
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(pki.leaf.extensions("not an oid").status().code(), ErrorCode::kInvalidArgument);
}

TEST(X509, RefusesMalformedCertificatesAndCrls) {
  const Pki pki = Pki::make();
  Bytes der = pki.leaf.der();
  der.push_back(0x00);
  EXPECT_EQ(Certificate::from_der(der).status().code(), ErrorCode::kInvalidArgument) << "trailing byte";
  der.resize(der.size() - 2);
  EXPECT_EQ(Certificate::from_der(der).status().code(), ErrorCode::kInvalidArgument) << "truncated";
  EXPECT_FALSE(Certificate::from_der({}).ok());
  EXPECT_FALSE(Certificate::from_pem("no certificate here").ok());
  Bytes crl = pki.ca_crl.der();
  crl.push_back(0x00);
  auto trailing = Crl::from_der(crl);
  ASSERT_FALSE(trailing.ok());
  EXPECT_EQ(trailing.status().message(), "unparsable CRL");
  EXPECT_FALSE(Crl::from_der(Bytes{0x30, 0x03, 0x02, 0x01}).ok());
}

TEST(X509, CrlFields) {
  const Pki pki = Pki::make(/*revoke_leaf=*/true);
  T3N_ASSERT_OK_AND_ASSIGN(Crl crl, Crl::from_der(pki.ca_crl.der()));
  EXPECT_EQ(crl.issuer_common_name(), "CA");
  EXPECT_EQ(crl.last_update(), kFrom);
  EXPECT_EQ(crl.next_update(), kUntil);
  const auto revoked = crl.revoked_serials();
  ASSERT_EQ(revoked.size(), 2u);
  EXPECT_EQ(common::hex_encode(revoked[0]), "07");  // sorted
  EXPECT_EQ(common::hex_encode(revoked[1]), "05c0ffee");
  EXPECT_TRUE(pki.root_crl.revoked_serials().empty());
  // PEM in, DER out.
  const std::string pem = "-----BEGIN X509 CRL-----\n" + common::base64_encode(crl.der()) + "\n-----END X509 CRL-----\n";
  T3N_ASSERT_OK_AND_ASSIGN(Crl from_pem, Crl::from_pem(pem));
  EXPECT_EQ(from_pem.der(), crl.der());
}

TEST(X509, IssuingIsDeterministic) {
  const Pki a = Pki::make(true), b = Pki::make(true);
  EXPECT_EQ(a.root.der(), b.root.der());
  EXPECT_EQ(a.leaf.der(), b.leaf.der());
  EXPECT_EQ(a.ca_crl.der(), b.ca_crl.der());
  // P-384 signers too.
  auto k = P384PrivateKey::from_scalar(Bytes(48, 5)).value();
  auto s = spec("P-384 root", 1, true, kFrom, kUntil);
  EXPECT_EQ(issue_certificate(s, k.public_key(), nullptr, k)->der(), issue_certificate(s, k.public_key(), nullptr, k)->der());
}

TEST(X509, ChainVerifiesWithTheWindowOfEveryPart) {
  const Pki pki = Pki::make(false, kUntil - 100, kUntil - 50);
  ASSERT_TRUE(pki.verify(kFrom + 10).ok()) << pki.verify(kFrom + 10).to_string();
  ChainCheckOptions o;
  o.at = kFrom + 10;
  o.crls = {pki.root_crl, pki.ca_crl};
  const std::vector<Certificate> intermediates{pki.ca}, anchors{pki.root};
  T3N_ASSERT_OK_AND_ASSIGN(ChainValidity w, verify_chain(pki.leaf, intermediates, anchors, o));
  EXPECT_EQ(w.valid_from, kFrom);
  EXPECT_EQ(w.valid_until, kUntil - 100);  // the leaf ends first
  o.crls.clear();
  T3N_ASSERT_OK_AND_ASSIGN(w, verify_chain(pki.leaf, intermediates, anchors, o));
  EXPECT_EQ(w.valid_until, kUntil - 100);
}

TEST(X509, ChainRefusesExpiredNotYetValidAndWrongRoot) {
  const Pki pki = Pki::make();
  auto expect_refused = [](const Status& s, const std::string& reason) {
    ASSERT_FALSE(s.ok()) << reason;
    EXPECT_EQ(s.code(), ErrorCode::kVerificationFailed);
    EXPECT_NE(s.message().find(reason), std::string::npos) << s.message();
  };
  expect_refused(pki.verify(kUntil + 1), "certificate has expired");
  expect_refused(pki.verify(kFrom - 1), "certificate is not yet valid");
  // Another root with the same name is not the anchor.
  auto other_key = key(9);
  auto other = issue_certificate(spec("Root", 1, true, kFrom, kUntil), other_key.public_key(), nullptr, other_key).value();
  ChainCheckOptions o;
  o.at = kFrom + 10;
  const std::vector<Certificate> intermediates{pki.ca}, anchors{other};
  expect_refused(verify_chain(pki.leaf, intermediates, anchors, o).status(), "unable to get local issuer");
  // No intermediate: the chain cannot be built.
  expect_refused(verify_chain(pki.leaf, {}, std::vector<Certificate>{pki.root}, o).status(), "unable to get");
  // Several anchors: the right one is found.
  EXPECT_TRUE(verify_chain(pki.leaf, intermediates, std::vector<Certificate>{other, pki.root}, o).ok());
}

TEST(X509, ChainChecksCrls) {
  const Pki pki = Pki::make(/*revoke_leaf=*/false);
  const Pki revoked = Pki::make(/*revoke_leaf=*/true);
  EXPECT_TRUE(pki.verify(kFrom + 10, {pki.root_crl, pki.ca_crl}).ok());
  const Status r = revoked.verify(kFrom + 10, {revoked.root_crl, revoked.ca_crl});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.code(), ErrorCode::kVerificationFailed);
  EXPECT_NE(r.message().find("revoked"), std::string::npos) << r.message();
  // Whole chain: the CA's certificate needs the root's CRL too.
  const Status missing = pki.verify(kFrom + 10, {pki.ca_crl}, true);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.message().find("unable to get certificate CRL"), std::string::npos) << missing.message();
  EXPECT_TRUE(pki.verify(kFrom + 10, {pki.ca_crl}, false).ok()) << "leaf only";
  EXPECT_FALSE(revoked.verify(kFrom + 10, {revoked.ca_crl}, false).ok());
  // Only the root's CRL: the leaf's issuer has none.
  EXPECT_FALSE(pki.verify(kFrom + 10, {pki.root_crl}, false).ok());
  // An expired CRL fails.
  const Pki stale = Pki::make(false, kUntil, kFrom + 100);
  const Status s = stale.verify(kFrom + 200, {stale.root_crl, stale.ca_crl});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("CRL has expired"), std::string::npos) << s.message();
  // A CRL from another issuer with the same name does not verify.
  auto impostor_key = key(9);
  auto impostor_crl = issue_crl({kFrom, kUntil, {}}, pki.ca, impostor_key).value();
  EXPECT_FALSE(pki.verify(kFrom + 10, {pki.root_crl, impostor_crl}).ok());
}

// The real AMD Milan chain: VCEK (P-384) ← ASK (RSA-PSS) ← ARK (RSA-PSS).
TEST(X509, RealAmdChainWithRsaPss) {
  const auto dir = vectors_dir() / "attestation/sev-snp/go-sev-guest-milan";
  T3N_ASSERT_OK_AND_ASSIGN(Certificate vcek, Certificate::from_der(read_bytes(dir / "vcek.der")));
  T3N_ASSERT_OK_AND_ASSIGN(Certificate ask, Certificate::from_pem(common::to_string(read_bytes(dir / "ask.pem"))));
  T3N_ASSERT_OK_AND_ASSIGN(Certificate ark, Certificate::from_pem(common::to_string(read_bytes(dir / "ark.pem"))));
  EXPECT_EQ(common::hex_encode(ark.sha256()), "69d063b45344d26a2e94e1f4210de49ef555308287d4c174445c95639a540bcd");
  EXPECT_EQ(vcek.subject_common_name(), "SEV-VCEK");
  ChainCheckOptions o;
  o.at = *common::parse_utc_timestamp("2022-10-24T00:55:28Z");
  const std::vector<Certificate> intermediates{ask}, anchors{ark};
  EXPECT_TRUE(verify_chain(vcek, intermediates, anchors, o).ok());
  T3N_ASSERT_OK_AND_ASSIGN(Bytes spki, vcek.public_key_spki());
  EXPECT_TRUE(p384_public_key_from_spki(spki).ok());
  T3N_ASSERT_OK_AND_ASSIGN(auto spl, vcek.extensions("1.3.6.1.4.1.3704.1.3.1"));
  ASSERT_EQ(spl.size(), 1u);
  EXPECT_EQ(spl[0], (Bytes{0x02, 0x01, 0x02}));  // bootloader SPL 2
  // The ASK is not its own anchor, and a P-384 leaf has no P-256 point.
  EXPECT_FALSE(verify_chain(vcek, {}, std::vector<Certificate>{ask}, o).ok());
  EXPECT_FALSE(vcek.p256_public_key().ok());
}

TEST(X509, DerHelpers) {
  T3N_ASSERT_OK_AND_ASSIGN(Bytes oid, der_object_identifier("1.2.840.113741.1.13.1"));
  EXPECT_EQ(common::hex_encode(oid), "06092a864886f84d010d01");
  EXPECT_FALSE(der_object_identifier("x.y").ok());
  EXPECT_EQ(der_tlv(0x04, Bytes(2, 0)), (Bytes{0x04, 0x02, 0x00, 0x00}));
  const Bytes long_value = der_tlv(0x04, Bytes(300, 0));
  EXPECT_EQ(Bytes(long_value.begin(), long_value.begin() + 4), (Bytes{0x04, 0x82, 0x01, 0x2c}));
}

}  // namespace
}  // namespace t3n::crypto
