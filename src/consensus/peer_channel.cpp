#include "consensus/peer_channel.h"

#include "common/binary.h"
#include "crypto/aead.h"
#include "crypto/ed25519.h"
#include "crypto/hash.h"
#include "crypto/kdf.h"
#include "crypto/mldsa.h"
#include "crypto/random.h"

namespace t3n::consensus {
namespace {

constexpr std::uint8_t kVersion = 1;
constexpr std::string_view kReplyLabel = "t3n/peer-handshake/v1 reply";
constexpr std::string_view kFinishLabel = "t3n/peer-handshake/v1 finish";
constexpr std::string_view kFrameAad = "t3n/peer-frame/v1";
constexpr std::uint32_t kInitiatorToResponder = 1, kResponderToInitiator = 2;
constexpr std::size_t kMaxEvidence = 64 * 1024;

Status refused(const std::string& why) { return common::verification_failed("peer handshake: " + why); }

void write_identity(common::BinaryWriter& w, const PeerIdentity& id) {
  w.u64(id.id);
  w.bytes(id.ed25519_public_key);
  w.bytes(id.mldsa_public_key);
  w.bytes(id.evidence);
}

Result<PeerIdentity> read_identity(common::BinaryReader& r) {
  PeerIdentity id;
  T3N_ASSIGN_OR_RETURN(id.id, r.u64());
  T3N_ASSIGN_OR_RETURN(ByteView ed, r.bytes(32));
  T3N_ASSIGN_OR_RETURN(ByteView pq, r.bytes(crypto::kMlDsa65PublicKeySize));
  T3N_ASSIGN_OR_RETURN(ByteView ev, r.bytes(kMaxEvidence));
  id.ed25519_public_key.assign(ed.begin(), ed.end());
  id.mldsa_public_key.assign(pq.begin(), pq.end());
  id.evidence.assign(ev.begin(), ev.end());
  return id;
}

PeerIdentity identity_of(const LocalPeer& self) {
  return {self.id, self.keys->ed25519.public_key(), self.keys->mldsa.public_key, self.evidence};
}

Bytes signed_message(std::string_view label, ByteView transcript) {
  Bytes m = common::to_bytes(label);
  const auto h = crypto::sha256(transcript);
  m.insert(m.end(), h.begin(), h.end());
  return m;
}

Status sign_into(common::BinaryWriter& w, const LocalPeer& self, std::string_view label, ByteView transcript) {
  const Bytes m = signed_message(label, transcript);
  T3N_ASSIGN_OR_RETURN(Bytes ed, self.keys->ed25519.sign(m));
  T3N_ASSIGN_OR_RETURN(Bytes pq, crypto::mldsa65_sign(self.keys->mldsa.secret_key.view(), m));
  w.bytes(ed);
  w.bytes(pq);
  return {};
}

// Both signatures must verify: a break of either scheme alone is not enough.
Status verify_from(common::BinaryReader& r, const PeerIdentity& peer, std::string_view label, ByteView transcript) {
  T3N_ASSIGN_OR_RETURN(ByteView ed, r.bytes(64));
  T3N_ASSIGN_OR_RETURN(ByteView pq, r.bytes(crypto::kMlDsa65SignatureSize));
  const Bytes m = signed_message(label, transcript);
  if (!crypto::ed25519_verify(peer.ed25519_public_key, m, ed).ok() ||
      !crypto::mldsa65_verify(peer.mldsa_public_key, m, pq).ok())
    return refused("the peer's signatures do not verify");
  return {};
}

struct Keys {
  SecretBytes i2r, r2i;
};

Result<Keys> derive_keys(const SecretBytes& shared, ByteView transcript) {
  const auto th = crypto::sha256(transcript);
  const SecretBytes prk = crypto::hkdf_extract(crypto::HashAlg::kSha256, th, shared.view());
  T3N_ASSIGN_OR_RETURN(SecretBytes i2r, crypto::hkdf_expand(crypto::HashAlg::kSha256, prk.view(),
                                                            common::as_bytes("t3n/peer/v1 i2r"), 32));
  T3N_ASSIGN_OR_RETURN(SecretBytes r2i, crypto::hkdf_expand(crypto::HashAlg::kSha256, prk.view(),
                                                            common::as_bytes("t3n/peer/v1 r2i"), 32));
  return Keys{std::move(i2r), std::move(r2i)};
}

SecretBytes concat(const SecretBytes& a, const SecretBytes& b) {
  SecretBytes out(a.size() + b.size());
  std::copy(a.view().begin(), a.view().end(), out.data());
  std::copy(b.view().begin(), b.view().end(), out.data() + a.size());
  return out;
}

Bytes frame_nonce(std::uint32_t dir, std::uint64_t counter) {
  Bytes n;
  common::append_u32_be(n, dir);
  common::append_u64_be(n, counter);
  return n;
}

Bytes dev_evidence_of(ByteView ed, ByteView pq) {
  Bytes keys(ed.begin(), ed.end());
  common::append(keys, pq);
  Bytes ev = common::to_bytes("t3n-dev-evidence/v1");
  const auto h = crypto::sha256(keys);
  ev.insert(ev.end(), h.begin(), h.end());
  return ev;
}

}  // namespace

Bytes simulated_evidence(const store::NodeSigningKeys& keys) {
  return dev_evidence_of(keys.ed25519.public_key(), keys.mldsa.public_key);
}

PeerPolicy dev_cluster_policy() {
  return [](const PeerIdentity& p) -> Status {
    if (p.evidence != dev_evidence_of(p.ed25519_public_key, p.mldsa_public_key))
      return common::verification_failed("the simulated evidence does not bind the peer's node keys");
    return {};
  };
}

PeerSession::PeerSession(PeerIdentity peer, SecretBytes send_key, SecretBytes recv_key, bool initiator)
    : peer_(std::move(peer)),
      send_key_(std::move(send_key)),
      recv_key_(std::move(recv_key)),
      send_dir_(initiator ? kInitiatorToResponder : kResponderToInitiator),
      recv_dir_(initiator ? kResponderToInitiator : kInitiatorToResponder) {}

Result<Bytes> PeerSession::seal(ByteView plaintext) {
  const std::uint64_t counter = sent_;
  T3N_ASSIGN_OR_RETURN(Bytes box, crypto::aead_seal(crypto::AeadAlg::kAes256Gcm, send_key_.view(), frame_nonce(send_dir_, counter),
                                                    common::as_bytes(kFrameAad), plaintext));
  ++sent_;
  Bytes frame;
  common::append_u64_be(frame, counter);
  common::append(frame, box);
  return frame;
}

Result<Bytes> PeerSession::open(ByteView frame) {
  if (frame.size() < 8 + crypto::kAeadTagSize) return common::verification_failed("peer frame: truncated");
  std::uint64_t counter = 0;
  for (int i = 0; i < 8; ++i) counter = (counter << 8) | frame[static_cast<std::size_t>(i)];
  if (counter != received_) return common::verification_failed("peer frame: replayed, reordered or missing a frame");
  auto plain = crypto::aead_open(crypto::AeadAlg::kAes256Gcm, recv_key_.view(), frame_nonce(recv_dir_, counter),
                                 common::as_bytes(kFrameAad), frame.subspan(8));
  if (!plain.ok()) return common::verification_failed("peer frame: failed authentication");
  ++received_;
  return plain;
}

Result<PeerHandshake> PeerHandshake::initiate(const LocalPeer& self, PeerPolicy policy, std::uint64_t expected_peer,
                                              Bytes& hello_out) {
  if (self.cluster_id.size() != 32 || !self.keys) return common::invalid_argument("peer handshake: no cluster id or node keys");
  PeerHandshake h;
  h.self_ = self;
  h.policy_ = std::move(policy);
  h.initiator_ = true;
  h.expected_peer_ = expected_peer;
  T3N_ASSIGN_OR_RETURN(auto x, crypto::X25519PrivateKey::generate());
  T3N_ASSIGN_OR_RETURN(auto kem, crypto::mlkem768_keygen());
  T3N_ASSIGN_OR_RETURN(Bytes nonce, crypto::random_vector(32));
  common::BinaryWriter w;
  w.u8(kVersion);
  w.raw(self.cluster_id);
  w.u64(self.id);
  w.raw(x.public_key());
  w.raw(kem.encapsulation_key);
  w.raw(nonce);
  hello_out = w.take();
  h.transcript_ = hello_out;
  h.x25519_.emplace(std::move(x));
  h.mlkem_.emplace(std::move(kem));
  return h;
}

Result<PeerHandshake> PeerHandshake::respond(const LocalPeer& self, PeerPolicy policy, ByteView hello, Bytes& reply_out) {
  if (self.cluster_id.size() != 32 || !self.keys) return common::invalid_argument("peer handshake: no cluster id or node keys");
  common::BinaryReader r(hello, "peer hello");
  T3N_ASSIGN_OR_RETURN(std::uint8_t version, r.u8());
  if (version != kVersion) return refused("unknown version");
  T3N_ASSIGN_OR_RETURN(ByteView cluster, r.raw(32));
  if (!std::equal(cluster.begin(), cluster.end(), self.cluster_id.begin(), self.cluster_id.end()))
    return refused("the peer belongs to another cluster");
  PeerHandshake h;
  T3N_ASSIGN_OR_RETURN(h.peer_.id, r.u64());
  T3N_ASSIGN_OR_RETURN(ByteView their_x, r.raw(crypto::kX25519KeySize));
  T3N_ASSIGN_OR_RETURN(ByteView their_ek, r.raw(crypto::kMlKem768EncapsulationKeySize));
  T3N_ASSIGN_OR_RETURN(ByteView their_nonce, r.raw(32));
  (void)their_nonce;
  T3N_RETURN_IF_ERROR(r.finish());
  if (h.peer_.id == 0 || h.peer_.id == self.id) return refused("a bad peer id");
  h.self_ = self;
  h.policy_ = std::move(policy);
  T3N_ASSIGN_OR_RETURN(auto x, crypto::X25519PrivateKey::generate());
  T3N_ASSIGN_OR_RETURN(SecretBytes dh, x.agree(their_x));
  T3N_ASSIGN_OR_RETURN(auto enc, crypto::mlkem768_encapsulate(their_ek));
  T3N_ASSIGN_OR_RETURN(Bytes nonce, crypto::random_vector(32));
  h.shared_ = concat(dh, enc.shared_secret);
  common::BinaryWriter w;
  w.u64(self.id);
  w.raw(x.public_key());
  w.bytes(enc.ciphertext);
  w.raw(nonce);
  write_identity(w, identity_of(self));
  Bytes transcript(hello.begin(), hello.end());
  common::append(transcript, w.buffer());
  T3N_RETURN_IF_ERROR(sign_into(w, self, kReplyLabel, transcript));
  reply_out = w.take();
  h.transcript_.assign(hello.begin(), hello.end());
  common::append(h.transcript_, reply_out);
  return h;
}

Result<PeerSession> PeerHandshake::complete(ByteView reply, Bytes& finish_out) {
  if (!initiator_ || done_) return common::failed_precondition("peer handshake: not an initiator waiting for a reply");
  done_ = true;
  common::BinaryReader r(reply, "peer reply");
  PeerIdentity peer;
  T3N_ASSIGN_OR_RETURN(std::uint64_t their_id, r.u64());
  T3N_ASSIGN_OR_RETURN(ByteView their_x, r.raw(crypto::kX25519KeySize));
  T3N_ASSIGN_OR_RETURN(ByteView ct, r.bytes(crypto::kMlKem768CiphertextSize));
  T3N_ASSIGN_OR_RETURN(ByteView nonce, r.raw(32));
  (void)nonce;
  T3N_ASSIGN_OR_RETURN(peer, read_identity(r));
  const std::size_t signed_len = reply.size() - r.remaining();
  Bytes transcript = transcript_;
  transcript.insert(transcript.end(), reply.begin(), reply.begin() + static_cast<std::ptrdiff_t>(signed_len));
  T3N_RETURN_IF_ERROR(verify_from(r, peer, kReplyLabel, transcript));
  T3N_RETURN_IF_ERROR(r.finish());
  if (their_id != peer.id || peer.id != expected_peer_) return refused("the peer is not the server that was dialled");
  // Attestation before anything of ours leaves: a refused peer gets no finish.
  if (Status admitted = policy_(peer); !admitted.ok()) return refused("the peer failed the cluster's policy: " + admitted.message());
  T3N_ASSIGN_OR_RETURN(SecretBytes dh, x25519_->agree(their_x));
  T3N_ASSIGN_OR_RETURN(SecretBytes kem_ss, crypto::mlkem768_decapsulate(mlkem_->decapsulation_key.view(), ct));
  const SecretBytes shared = concat(dh, kem_ss);
  common::append(transcript_, reply);
  common::BinaryWriter w;
  write_identity(w, identity_of(self_));
  Bytes finish_transcript = transcript_;
  common::append(finish_transcript, w.buffer());
  T3N_RETURN_IF_ERROR(sign_into(w, self_, kFinishLabel, finish_transcript));
  finish_out = w.take();
  common::append(transcript_, finish_out);
  T3N_ASSIGN_OR_RETURN(Keys k, derive_keys(shared, transcript_));
  return PeerSession(std::move(peer), std::move(k.i2r), std::move(k.r2i), true);
}

Result<PeerSession> PeerHandshake::accept(ByteView finish) {
  if (initiator_ || done_) return common::failed_precondition("peer handshake: not a responder waiting for a finish");
  done_ = true;
  common::BinaryReader r(finish, "peer finish");
  T3N_ASSIGN_OR_RETURN(PeerIdentity peer, read_identity(r));
  const std::size_t signed_len = finish.size() - r.remaining();
  Bytes transcript = transcript_;
  transcript.insert(transcript.end(), finish.begin(), finish.begin() + static_cast<std::ptrdiff_t>(signed_len));
  T3N_RETURN_IF_ERROR(verify_from(r, peer, kFinishLabel, transcript));
  T3N_RETURN_IF_ERROR(r.finish());
  if (peer.id != peer_.id) return refused("the finish names another server than the hello");
  if (Status admitted = policy_(peer); !admitted.ok()) return refused("the peer failed the cluster's policy: " + admitted.message());
  common::append(transcript_, finish);
  T3N_ASSIGN_OR_RETURN(Keys k, derive_keys(shared_, transcript_));
  return PeerSession(std::move(peer), std::move(k.r2i), std::move(k.i2r), false);
}

}  // namespace t3n::consensus
