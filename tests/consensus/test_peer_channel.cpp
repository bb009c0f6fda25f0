// Attested, post-quantum hybrid peer links: the handshake and the frames.
#include <gtest/gtest.h>

#include "consensus/peer_channel.h"
#include "crypto/ed25519.h"
#include "crypto/hash.h"
#include "crypto/mldsa.h"

namespace t3n::consensus {
namespace {

// Simulated evidence for the test cluster: binds the node keys by hash, as
// real evidence binds them in its report data.
Bytes evidence_for(const store::NodeSigningKeys& k, std::string_view measurement) {
  Bytes keys = k.ed25519.public_key();
  common::append(keys, k.mldsa.public_key);
  Bytes ev = common::to_bytes(measurement);
  const auto h = crypto::sha256(keys);
  ev.insert(ev.end(), h.begin(), h.end());
  return ev;
}

PeerPolicy allow_measurement(std::string measurement) {
  return [measurement](const PeerIdentity& p) -> Status {
    Bytes keys = p.ed25519_public_key;
    common::append(keys, p.mldsa_public_key);
    Bytes want = common::to_bytes(measurement);
    const auto h = crypto::sha256(keys);
    want.insert(want.end(), h.begin(), h.end());
    if (p.evidence != want) return common::verification_failed("evidence does not match the allowed measurement");
    return {};
  };
}

LocalPeer peer(std::uint64_t id, std::string_view measurement = "good") {
  auto ed = crypto::Ed25519PrivateKey::generate();
  auto pq = crypto::mldsa65_keygen();
  EXPECT_TRUE(ed.ok() && pq.ok());
  LocalPeer p;
  p.id = id;
  p.cluster_id = Bytes(32, 0xc1);
  p.keys = std::make_shared<const store::NodeSigningKeys>(store::NodeSigningKeys{std::move(*ed), std::move(*pq)});
  p.evidence = evidence_for(*p.keys, measurement);
  return p;
}

struct Linked {
  PeerSession initiator, responder;
};

Result<Linked> link(const LocalPeer& a, const LocalPeer& b, const PeerPolicy& policy) {
  Bytes hello, reply, finish;
  T3N_ASSIGN_OR_RETURN(auto hi, PeerHandshake::initiate(a, policy, b.id, hello));
  T3N_ASSIGN_OR_RETURN(auto hr, PeerHandshake::respond(b, policy, hello, reply));
  T3N_ASSIGN_OR_RETURN(auto si, hi.complete(reply, finish));
  T3N_ASSIGN_OR_RETURN(auto sr, hr.accept(finish));
  return Linked{std::move(si), std::move(sr)};
}

TEST(PeerChannel, AttestedPeersLinkAndExchangeFramesBothWays) {
  const LocalPeer a = peer(1), b = peer(2);
  auto l = link(a, b, allow_measurement("good"));
  ASSERT_TRUE(l.ok()) << l.status().message();
  EXPECT_EQ(l->initiator.peer().id, 2u);
  EXPECT_EQ(l->responder.peer().id, 1u);
  for (int i = 0; i < 3; ++i) {
    auto f = l->initiator.seal(common::as_bytes("append entries " + std::to_string(i)));
    ASSERT_TRUE(f.ok());
    EXPECT_EQ(common::to_string(*f).find("append entries"), std::string::npos);  // sealed
    auto got = l->responder.open(*f);
    ASSERT_TRUE(got.ok()) << got.status().message();
    EXPECT_EQ(common::to_string(*got), "append entries " + std::to_string(i));
    auto back = l->responder.seal(common::as_bytes("ok"));
    ASSERT_TRUE(back.ok());
    EXPECT_TRUE(l->initiator.open(*back).ok());
  }
}

TEST(PeerChannel, APeerFailingThePolicyLearnsNothingOfOurs) {
  const LocalPeer a = peer(1), bad = peer(2, "tampered");
  Bytes hello, reply, finish;
  auto hi = PeerHandshake::initiate(a, allow_measurement("good"), 2, hello);
  ASSERT_TRUE(hi.ok());
  auto hr = PeerHandshake::respond(bad, allow_measurement("good"), hello, reply);
  ASSERT_TRUE(hr.ok());
  auto si = hi->complete(reply, finish);
  ASSERT_FALSE(si.ok());
  EXPECT_EQ(si.status().code(), ErrorCode::kVerificationFailed);
  EXPECT_TRUE(finish.empty());  // our identity and signatures never left
  // And a responder refuses an initiator with the wrong measurement.
  const LocalPeer b = peer(3);
  auto l = link(peer(4, "tampered"), b, allow_measurement("good"));
  ASSERT_FALSE(l.ok());
  EXPECT_EQ(l.status().code(), ErrorCode::kVerificationFailed);
}

TEST(PeerChannel, AlteredHandshakeMessagesAndWrongPeersAreRefused) {
  const LocalPeer a = peer(1), b = peer(2);
  const PeerPolicy policy = allow_measurement("good");
  Bytes hello, reply, finish;
  auto hi = PeerHandshake::initiate(a, policy, 2, hello);
  ASSERT_TRUE(hi.ok());
  auto hr = PeerHandshake::respond(b, policy, hello, reply);
  ASSERT_TRUE(hr.ok());
  Bytes altered = reply;
  altered[10] ^= 0x01;  // inside R's ephemeral key: the signatures no longer match
  EXPECT_EQ(hi->complete(altered, finish).status().code(), ErrorCode::kVerificationFailed);
  // Dialling server 3 but reaching 2.
  auto hi3 = PeerHandshake::initiate(a, policy, 3, hello);
  ASSERT_TRUE(hi3.ok());
  auto hr3 = PeerHandshake::respond(b, policy, hello, reply);
  ASSERT_TRUE(hr3.ok());
  EXPECT_EQ(hi3->complete(reply, finish).status().code(), ErrorCode::kVerificationFailed);
  // Another cluster's hello.
  LocalPeer other = peer(5);
  other.cluster_id = Bytes(32, 0xc2);
  auto ho = PeerHandshake::initiate(other, policy, 2, hello);
  ASSERT_TRUE(ho.ok());
  EXPECT_EQ(PeerHandshake::respond(b, policy, hello, reply).status().code(), ErrorCode::kVerificationFailed);
  // Garbage.
  EXPECT_FALSE(PeerHandshake::respond(b, policy, Bytes{1, 2, 3}, reply).ok());
}

TEST(PeerChannel, ReplayedReorderedReflectedOrForeignFramesFailToOpen) {
  const LocalPeer a = peer(1), b = peer(2);
  auto l = link(a, b, allow_measurement("good"));
  ASSERT_TRUE(l.ok());
  auto f0 = l->initiator.seal(common::as_bytes("zero"));
  auto f1 = l->initiator.seal(common::as_bytes("one"));
  ASSERT_TRUE(f0.ok() && f1.ok());
  EXPECT_FALSE(l->responder.open(*f1).ok());  // out of order
  EXPECT_TRUE(l->responder.open(*f0).ok());
  EXPECT_FALSE(l->responder.open(*f0).ok());  // replayed
  EXPECT_TRUE(l->responder.open(*f1).ok());
  // Reflected back at its sender: the other direction's key.
  auto f2 = l->initiator.seal(common::as_bytes("two"));
  ASSERT_TRUE(f2.ok());
  EXPECT_FALSE(l->initiator.open(*f2).ok());
  // A frame of another session between the same two servers.
  auto l2 = link(a, b, allow_measurement("good"));
  ASSERT_TRUE(l2.ok());
  auto g0 = l2->initiator.seal(common::as_bytes("elsewhere"));
  ASSERT_TRUE(g0.ok());
  EXPECT_FALSE(l->responder.open(*g0).ok());
  Bytes flipped = *f2;
  flipped.back() ^= 1;
  EXPECT_FALSE(l->responder.open(flipped).ok());
}

}  // namespace
}  // namespace t3n::consensus
