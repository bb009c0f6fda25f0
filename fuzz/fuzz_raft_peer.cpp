// The cluster's untrusted inputs: Raft frames from peers (decoded, and what
// decodes re-encodes to the same bytes), peer handshake hellos and finishes,
// and the recovery formats members hand in. Garbage is refused, never
// trusted or crashed on.
#include <cstdlib>
#include <string_view>

#include "consensus/peer_channel.h"
#include "consensus/raft_codec.h"
#include "consensus/recovery.h"
#include "crypto/ed25519.h"
#include "crypto/mldsa.h"

using namespace t3n;

namespace {

consensus::LocalPeer make_peer(std::uint64_t id) {
  auto ed = crypto::Ed25519PrivateKey::from_seed(Bytes(32, static_cast<std::uint8_t>(id)));
  auto pq = crypto::mldsa65_keygen_derand(Bytes(32, static_cast<std::uint8_t>(id)));
  if (!ed.ok() || !pq.ok()) std::abort();
  consensus::LocalPeer p;
  p.id = id;
  p.cluster_id = Bytes(32, 0xc1);
  p.keys = std::make_shared<const store::NodeSigningKeys>(store::NodeSigningKeys{std::move(*ed), std::move(*pq)});
  p.evidence = consensus::simulated_evidence(*p.keys);
  return p;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const ByteView rest(data + 1, size - 1);
  switch (data[0] % 4) {
    case 0: {
      auto m = consensus::decode_raft_message(rest);
      if (m.ok()) {
        const Bytes again = consensus::encode_raft_message((*m)->message());
        auto m2 = consensus::decode_raft_message(again);
        if (!m2.ok() || consensus::encode_raft_message((*m2)->message()) != again) std::abort();
      }
      break;
    }
    case 1: {  // a hello from an unknown dialler
      static const consensus::LocalPeer self = make_peer(1);
      Bytes reply;
      (void)consensus::PeerHandshake::respond(self, consensus::dev_cluster_policy(), rest, reply);
      break;
    }
    case 2: {  // a finish after a genuine hello: must not admit anyone
      static const consensus::LocalPeer self = make_peer(1), dialler = make_peer(2);
      Bytes hello, reply;
      auto hi = consensus::PeerHandshake::initiate(dialler, consensus::dev_cluster_policy(), 1, hello);
      if (!hi.ok()) std::abort();
      auto hr = consensus::PeerHandshake::respond(self, consensus::dev_cluster_policy(), hello, reply);
      if (!hr.ok()) std::abort();
      // Admission needs both signatures over this run's fresh transcript.
      if (hr->accept(rest).ok()) std::abort();
      break;
    }
    default: {
      const std::string_view text(reinterpret_cast<const char*>(rest.data()), rest.size());
      (void)consensus::OpenedShare::from_text(text);
      auto j = common::parse_json(std::string(text), 16);
      if (j.ok()) (void)consensus::RecoverySet::from_json(*j);
      break;
    }
  }
  return 0;
}
