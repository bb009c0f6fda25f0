// Peer links between cluster members (ARCHITECTURE.md §6): a mutual,
// attested, post-quantum hybrid handshake, then AEAD frames.
//
//   I → R  hello:   cluster id, I's id, ephemeral X25519 key, ephemeral
//                   ML-KEM-768 encapsulation key, nonce
//   R → I  reply:   R's id, ephemeral X25519 key, ML-KEM ciphertext, nonce,
//                   R's identity (Ed25519 + ML-DSA-65 node keys, evidence
//                   binding them), both signatures over the transcript
//   I → R  finish:  I's identity and both signatures over the transcript
//
// Each side checks the other's signatures and hands its identity to the
// cluster's policy (attestation verified against the allowed measurements;
// dev clusters accept simulated evidence) before anything else: the
// initiator sends its identity only to a responder that passed, and no
// frame is sealed for a peer that did not. Keys: HKDF-SHA256 over the
// X25519 and ML-KEM shared secrets, salted with the transcript hash, one
// AES-256-GCM key per direction; a frame's nonce is its direction and
// counter, so replayed, reordered, reflected or dropped-then-resent frames
// fail to open.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include "common/bytes.h"
#include "common/status.h"
#include "crypto/mlkem.h"
#include "crypto/x25519.h"
#include "store/store.h"

namespace t3n::consensus {

struct PeerIdentity {
  std::uint64_t id = 0;  // the Raft server id
  Bytes ed25519_public_key;
  Bytes mldsa_public_key;
  Bytes evidence;  // attestation binding both keys (simulated in dev clusters)
};

// The cluster's attestation policy: ok admits the peer.
using PeerPolicy = std::function<Status(const PeerIdentity&)>;

struct LocalPeer {
  std::uint64_t id = 0;
  Bytes cluster_id;  // 32 bytes: links never cross clusters
  std::shared_ptr<const store::NodeSigningKeys> keys;
  Bytes evidence;
};

// Dev clusters only: simulated evidence, "t3n-dev-evidence/v1" ‖
// SHA-256(Ed25519 key ‖ ML-DSA-65 key), and the policy that admits exactly
// that (it proves nothing about hardware; production clusters verify real
// TDX / SEV-SNP / Nitro evidence through src/attest).
Bytes simulated_evidence(const store::NodeSigningKeys& keys);
PeerPolicy dev_cluster_policy();

class PeerSession {
 public:
  PeerSession(PeerSession&&) noexcept = default;
  PeerSession& operator=(PeerSession&&) noexcept = default;

  const PeerIdentity& peer() const { return peer_; }
  Result<Bytes> seal(ByteView plaintext);
  // kVerificationFailed for anything not the next frame of this session.
  Result<Bytes> open(ByteView frame);

 private:
  friend class PeerHandshake;
  PeerSession(PeerIdentity peer, SecretBytes send_key, SecretBytes recv_key, bool initiator);
  PeerIdentity peer_;
  SecretBytes send_key_, recv_key_;
  std::uint32_t send_dir_ = 0, recv_dir_ = 0;
  std::uint64_t sent_ = 0, received_ = 0;
};

class PeerHandshake {
 public:
  // The dialing side, for the server it means to reach.
  static Result<PeerHandshake> initiate(const LocalPeer& self, PeerPolicy policy, std::uint64_t expected_peer,
                                        Bytes& hello_out);
  // The accepting side, given the dialer's hello.
  static Result<PeerHandshake> respond(const LocalPeer& self, PeerPolicy policy, ByteView hello, Bytes& reply_out);

  // Initiator: checks the reply (signatures, policy, the expected id) and
  // only then writes `finish_out`.
  Result<PeerSession> complete(ByteView reply, Bytes& finish_out);
  // Responder: checks the finish.
  Result<PeerSession> accept(ByteView finish);

  PeerHandshake(PeerHandshake&&) noexcept = default;
  PeerHandshake& operator=(PeerHandshake&&) noexcept = default;

 private:
  PeerHandshake() = default;
  LocalPeer self_;
  PeerPolicy policy_;
  bool initiator_ = false;
  std::uint64_t expected_peer_ = 0;
  Bytes transcript_;  // hello ‖ reply (as signed)
  std::optional<crypto::X25519PrivateKey> x25519_;
  std::optional<crypto::MlKem768KeyPair> mlkem_;
  SecretBytes shared_;  // X25519 ‖ ML-KEM shared secrets (responder: ready after respond)
  PeerIdentity peer_;
  bool done_ = false;
};

}  // namespace t3n::consensus
