// The pure verifiers, linked without the storage engine: this executable
// links t3n_store_verify only (see CMakeLists.txt), so a RocksDB dependency
// creeping into the verifiers fails the build here.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "crypto/ed25519.h"
#include "crypto/mldsa.h"
#include "store/history_tree.h"
#include "store/ledger_entry.h"
#include "store/receipt.h"
#include "store/state_tree.h"
#include "test_util.h"

#if defined(ROCKSDB_MAJOR)
#error "the verifier headers must not pull in RocksDB"
#endif

namespace t3n::store {
namespace {

Bytes b(std::string_view s) { return common::to_bytes(s); }

Digest32 digest_of(std::string_view s) { return crypto::sha256(b(s)); }

// A fixture file written by the test and read back, as a client would.
class JsonFile {
 public:
  explicit JsonFile(const common::Json& j)
      : path_(std::filesystem::temp_directory_path() /
              ("t3n-verify-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
               ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".json")) {
    std::ofstream(path_) << j.dump(2);
  }
  ~JsonFile() {
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }
  common::Json read() const {
    std::ifstream in(path_);
    std::stringstream ss;
    ss << in.rdbuf();
    return common::Json::parse(ss.str());
  }

 private:
  std::filesystem::path path_;
};

// What a node's receipt for leaf `seqno` of a ledger of `n` entries signed at
// seqno n + 1 looks like, built by hand from the published formats.
Receipt hand_made_receipt(Seqno seqno, std::uint64_t n) {
  HistoryTree tree;
  Receipt r;
  for (Seqno s = 1; s <= n; ++s) {
    const Digest32 wsd = digest_of("write set " + std::to_string(s));
    const Digest32 ce = digest_of("commit evidence " + std::to_string(s));
    const Digest32 claims = s == seqno ? digest_of("claims") : Digest32{};
    tree.append(history_leaf(wsd, ce, claims));
    if (s == seqno) {
      r.write_set_digest = wsd;
      r.commit_evidence = ce;
      r.claims_digest = claims;
    }
  }
  r.seqno = seqno;
  r.tree_size = n;
  r.path = *tree.inclusion_proof(seqno - 1, n);
  r.signature_seqno = n + 1;
  r.history_root = tree.root();
  r.state_root = combined_state_root(digest_of("public"), digest_of("private"));
  auto ed = crypto::Ed25519PrivateKey::from_seed(Bytes(32, 3));
  auto pq = crypto::mldsa65_keygen_derand(Bytes(32, 4));
  EXPECT_TRUE(ed.ok() && pq.ok());
  const Bytes payload = signature_payload(r.signature_seqno, n, r.history_root, r.state_root);
  r.ed25519_public_key = ed->public_key();
  r.ed25519_signature = *ed->sign(payload);
  r.mldsa_public_key = pq->public_key;
  r.mldsa_signature = *crypto::mldsa65_sign(pq->secret_key, payload);
  return r;
}

TEST(StoreVerify, AHandMadeReceiptVerifiesFromJsonAndTamperingFails) {
  const Receipt r = hand_made_receipt(5, 11);
  ASSERT_TRUE(verify_receipt(r).ok());
  JsonFile file(receipt_to_json(r));
  auto parsed = receipt_from_json(file.read());
  ASSERT_TRUE(parsed.ok()) << parsed.status().to_string();
  EXPECT_TRUE(verify_receipt(*parsed, TrustedNodeKeys{r.ed25519_public_key, r.mldsa_public_key}).ok());
  EXPECT_FALSE(verify_receipt(*parsed, TrustedNodeKeys{Bytes(32, 9), r.mldsa_public_key}).ok());
  auto bad = *parsed;
  bad.write_set_digest[0] ^= 1;
  EXPECT_EQ(verify_receipt(bad).code(), ErrorCode::kVerificationFailed);
  bad = *parsed;
  bad.state_root[31] ^= 1;  // the signatures cover the state root
  EXPECT_EQ(verify_receipt(bad).code(), ErrorCode::kVerificationFailed);
  EXPECT_FALSE(receipt_from_json(common::Json::parse(R"({"seqno":1})")).ok());
}

TEST(StoreVerify, AStateProofWithThePrivateRootFoldsToTheSignedRoot) {
  StateTree public_tree;
  for (int i = 0; i < 50; ++i) {
    const std::string k = "key" + std::to_string(i);
    public_tree.update(state_key_hash("z:public", b(k)), state_value_hash(7, b("value" + std::to_string(i))));
  }
  const Digest32 private_root = digest_of("some private root");
  const Digest32 signed_root = combined_state_root(public_tree.root(), private_root);
  auto p = public_tree.prove(state_key_hash("z:public", b("key7")));
  p.private_root = private_root;
  JsonFile file(state_proof_to_json(p));
  auto parsed = state_proof_from_json(file.read());
  ASSERT_TRUE(parsed.ok()) << parsed.status().to_string();
  ASSERT_TRUE(parsed->proves_inclusion());
  EXPECT_EQ(*parsed->value_hash, state_value_hash(7, b("value7")));
  EXPECT_TRUE(verify_state_proof(*parsed, signed_root).ok());
  auto wrong = *parsed;
  wrong.private_root[0] ^= 1;
  EXPECT_EQ(verify_state_proof(wrong, signed_root).code(), ErrorCode::kVerificationFailed);
  // The public tree's own root is not the signed root.
  EXPECT_FALSE(verify_state_proof(*parsed, public_tree.root()).ok());
  // A proof without the private root is refused with a clear error.
  auto j = state_proof_to_json(p);
  j.erase("private_root");
  auto missing = state_proof_from_json(j);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("private_root"), std::string::npos);
}

TEST(StoreVerify, WriteSetDigestIsKeyed) {
  LedgerEntry e;
  e.seqno = 3;
  e.body = TransactionBody{Digest32{}, {{"z:m", b("k"), b("secret value")}}};
  const Bytes k1(32, 1), k2(32, 2);
  EXPECT_EQ(write_set_digest(k1, e), write_set_digest(k1, e));
  EXPECT_NE(write_set_digest(k1, e), write_set_digest(k2, e));
  // Not the plain hash of the encoded body (header: 22 bytes).
  const Bytes enc = encode_entry(e);
  EXPECT_NE(write_set_digest(k1, e), crypto::sha256(ByteView(enc).subspan(22)));
}

}  // namespace
}  // namespace t3n::store
