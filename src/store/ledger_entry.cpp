#include "store/ledger_entry.h"

#include <algorithm>

#include "common/binary.h"

namespace t3n::store {
namespace {

constexpr std::uint8_t kFormat = 1;
constexpr std::uint8_t kKindTransaction = 1;
constexpr std::uint8_t kKindSignature = 2;
constexpr std::uint8_t kOpPut = 1;
constexpr std::uint8_t kOpRemove = 2;

void encode_body(common::BinaryWriter& w, const LedgerEntry& e) {
  if (const auto* tx = std::get_if<TransactionBody>(&e.body)) {
    w.raw(tx->claims_digest);
    w.u32(static_cast<std::uint32_t>(tx->writes.size()));
    for (const auto& wr : tx->writes) {
      w.u8(wr.value ? kOpPut : kOpRemove);
      w.string(wr.map);
      w.bytes(wr.key);
      if (wr.value) w.bytes(*wr.value);
    }
  } else {
    const auto& s = std::get<SignatureBody>(e.body);
    w.u64(s.tree_size);
    w.raw(s.history_root);
    w.raw(s.state_root);
    w.bytes(s.ed25519_public_key);
    w.bytes(s.ed25519_signature);
    w.bytes(s.mldsa_public_key);
    w.bytes(s.mldsa_signature);
  }
}

Result<Digest32> read_digest(common::BinaryReader& r) {
  T3N_ASSIGN_OR_RETURN(ByteView v, r.raw(32));
  Digest32 d{};
  std::copy(v.begin(), v.end(), d.begin());
  return d;
}

}  // namespace

Bytes encode_entry(const LedgerEntry& e) {
  common::BinaryWriter w;
  w.u8(kFormat);
  w.u8(e.is_signature() ? kKindSignature : kKindTransaction);
  w.u64(e.seqno);
  w.u64(e.timestamp_ms);
  w.u32(e.key_epoch);
  encode_body(w, e);
  return w.take();
}

Result<LedgerEntry> decode_entry(ByteView data) {
  common::BinaryReader r(data, "ledger entry");
  T3N_ASSIGN_OR_RETURN(std::uint8_t format, r.u8());
  if (format != kFormat) return common::invalid_argument("ledger entry: unknown format " + std::to_string(format));
  T3N_ASSIGN_OR_RETURN(std::uint8_t kind, r.u8());
  LedgerEntry e;
  T3N_ASSIGN_OR_RETURN(e.seqno, r.u64());
  T3N_ASSIGN_OR_RETURN(e.timestamp_ms, r.u64());
  T3N_ASSIGN_OR_RETURN(e.key_epoch, r.u32());
  if (kind == kKindTransaction) {
    TransactionBody tx;
    T3N_ASSIGN_OR_RETURN(tx.claims_digest, read_digest(r));
    T3N_ASSIGN_OR_RETURN(std::uint32_t n, r.u32());
    // Every write takes at least 9 bytes: refuse counts the input cannot hold.
    if (n > r.remaining() / 9) return common::invalid_argument("ledger entry: write count exceeds the input");
    tx.writes.reserve(n);
    for (std::uint32_t i = 0; i < n; ++i) {
      Write w;
      T3N_ASSIGN_OR_RETURN(std::uint8_t op, r.u8());
      if (op != kOpPut && op != kOpRemove) return common::invalid_argument("ledger entry: unknown write op");
      T3N_ASSIGN_OR_RETURN(w.map, r.string(kMaxMapNameSize));
      T3N_ASSIGN_OR_RETURN(ByteView key, r.bytes(kMaxKeySize));
      w.key = common::to_bytes(key);
      if (op == kOpPut) {
        T3N_ASSIGN_OR_RETURN(ByteView value, r.bytes(kMaxValueSize));
        w.value = common::to_bytes(value);
      }
      if (!tx.writes.empty()) {
        const Write& prev = tx.writes.back();
        if (std::tie(prev.map, prev.key) >= std::tie(w.map, w.key))
          return common::invalid_argument("ledger entry: writes not sorted and unique");
      }
      tx.writes.push_back(std::move(w));
    }
    e.body = std::move(tx);
  } else if (kind == kKindSignature) {
    SignatureBody s;
    T3N_ASSIGN_OR_RETURN(s.tree_size, r.u64());
    T3N_ASSIGN_OR_RETURN(s.history_root, read_digest(r));
    T3N_ASSIGN_OR_RETURN(s.state_root, read_digest(r));
    T3N_ASSIGN_OR_RETURN(ByteView a, r.bytes(64));
    T3N_ASSIGN_OR_RETURN(ByteView b, r.bytes(128));
    T3N_ASSIGN_OR_RETURN(ByteView c, r.bytes(4096));
    T3N_ASSIGN_OR_RETURN(ByteView d, r.bytes(8192));
    s.ed25519_public_key = common::to_bytes(a);
    s.ed25519_signature = common::to_bytes(b);
    s.mldsa_public_key = common::to_bytes(c);
    s.mldsa_signature = common::to_bytes(d);
    e.body = std::move(s);
  } else {
    return common::invalid_argument("ledger entry: unknown kind " + std::to_string(kind));
  }
  T3N_RETURN_IF_ERROR(r.finish());
  return e;
}

Digest32 write_set_digest(const crypto::HmacSha256& mac, const LedgerEntry& entry) {
  common::BinaryWriter w;
  encode_body(w, entry);
  Bytes body = w.take();
  const Digest32 d = mac.mac(body);
  common::secure_zero(body);
  return d;
}

Digest32 write_set_digest(ByteView key, const LedgerEntry& entry) {
  return write_set_digest(crypto::HmacSha256(key), entry);
}

Bytes signature_payload(Seqno signature_seqno, Seqno tree_size, const Digest32& history_root,
                        const Digest32& state_root) {
  common::BinaryWriter w;
  w.raw(common::as_bytes("t3n/ledger-signature/v1"));
  w.u64(signature_seqno);
  w.u64(tree_size);
  w.raw(history_root);
  w.raw(state_root);
  return w.take();
}

Digest32 history_leaf(const Digest32& write_set_digest, const Digest32& commit_evidence,
                      const Digest32& claims_digest) {
  Digest32 ce_hash = crypto::sha256(commit_evidence);
  std::uint8_t buf[96];
  std::copy(write_set_digest.begin(), write_set_digest.end(), buf);
  std::copy(ce_hash.begin(), ce_hash.end(), buf + 32);
  std::copy(claims_digest.begin(), claims_digest.end(), buf + 64);
  return crypto::sha256(buf);
}

}  // namespace t3n::store
