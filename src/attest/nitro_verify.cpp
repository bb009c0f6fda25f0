#include "attest/nitro_verify.h"

#include <algorithm>

#include "attest/cbor.h"
#include "attest/x509_chain.h"
#include "common/encoding.h"
#include "crypto/hash.h"
#include "crypto/p384.h"
#include "crypto/x509.h"

namespace t3n::attest {
namespace {

using cbor::Item;
using cbor::Kind;

constexpr std::int64_t kCoseAlgEs384 = -35;
constexpr std::size_t kEs384SignatureBytes = 96;  // r ‖ s, 48 bytes each


Status field_error(std::string_view field, std::string_view why) {
  return common::invalid_argument("Nitro document: " + std::string(field) + " " + std::string(why));
}

Result<const Item*> required(const Item& payload, std::string_view field) {
  const Item* item = payload.find(field);
  if (item == nullptr) return field_error(field, "is missing");
  return item;
}

Result<Bytes> byte_field(const Item& item, std::string_view field, std::size_t min, std::size_t max) {
  if (item.kind != Kind::kBytes) return field_error(field, "is not a byte string");
  if (item.bytes.size() < min || item.bytes.size() > max)
    return field_error(field, "has " + std::to_string(item.bytes.size()) + " bytes (allowed " + std::to_string(min) +
                                  ".." + std::to_string(max) + ")");
  return common::to_bytes(item.bytes);
}

// public_key, user_data, nonce: absent, null, or at most 1024 bytes.
Result<std::optional<Bytes>> optional_user_field(const Item& payload, std::string_view field, std::size_t min) {
  const Item* item = payload.find(field);
  if (item == nullptr || item->kind == Kind::kNull) return std::optional<Bytes>{};
  T3N_ASSIGN_OR_RETURN(Bytes value, byte_field(*item, field, min, kNitroMaxUserDataBytes));
  return std::optional<Bytes>(std::move(value));
}

Result<std::time_t> certificate_time(std::optional<std::time_t> t) {
  if (!t) return common::verification_failed("unreadable certificate time");
  return *t;
}

// ES384 over `message` by the key in `spki_der`; `raw_signature` is r ‖ s.
Status verify_es384(ByteView spki_der, ByteView message, ByteView raw_signature) {
  auto fail = [](const std::string& why) { return common::verification_failed("Nitro document signature: " + why); };
  auto key = crypto::p384_public_key_from_spki(spki_der);
  if (!key.ok()) return fail("the leaf key is " + key.status().message());  // "not an EC key", "not a P-384 key"
  if (raw_signature.size() != kEs384SignatureBytes) return fail("not 96 bytes");
  if (!crypto::p384_verify_raw(*key, message, raw_signature).ok())
    return fail("does not verify under the leaf certificate's key");
  return Status::ok_status();
}

Result<std::string> pem_root_sha256(std::string_view pem) {
  auto cert = crypto::Certificate::from_pem(pem);
  if (!cert.ok()) return common::invalid_argument("Nitro root PEM: unparsable certificate");
  const Bytes der = cert->der();
  if (der.empty()) return common::invalid_argument("Nitro root PEM: unencodable certificate");
  return common::hex_encode(crypto::sha256(der));
}

}  // namespace

bool NitroDocument::debug() const {
  for (unsigned index : {0u, 1u, 2u}) {
    auto it = pcrs.find(index);
    if (it == pcrs.end() || std::any_of(it->second.begin(), it->second.end(), [](std::uint8_t b) { return b != 0; }))
      return false;
  }
  return true;
}

Result<NitroDocument> parse_nitro_document(ByteView cose) {
  cbor::Limits limits;
  limits.max_input_bytes = kNitroMaxDocumentBytes;
  T3N_ASSIGN_OR_RETURN(cbor::CoseSign1 sign1, cbor::parse_cose_sign1(cose, limits));
  if (sign1.alg != kCoseAlgEs384)
    return common::invalid_argument("Nitro document: algorithm " + std::to_string(sign1.alg) + " is not ES384 (-35)");
  if (sign1.signature.size() != kEs384SignatureBytes)
    return field_error("signature", "has " + std::to_string(sign1.signature.size()) + " bytes, not 96 (ES384 r ‖ s)");
  T3N_ASSIGN_OR_RETURN(Item payload, cbor::decode(sign1.payload, "Nitro document payload", limits));
  if (payload.kind != Kind::kMap) return common::invalid_argument("Nitro document: payload is not a map");

  NitroDocument doc;
  doc.protected_header = common::to_bytes(sign1.protected_header);
  doc.payload = common::to_bytes(sign1.payload);
  doc.signature = common::to_bytes(sign1.signature);
  doc.tagged = sign1.tagged;

  T3N_ASSIGN_OR_RETURN(const Item* module_id, required(payload, "module_id"));
  if (module_id->kind != Kind::kText || module_id->bytes.empty())
    return field_error("module_id", "is not non-empty text");
  doc.module_id = std::string(module_id->text());

  T3N_ASSIGN_OR_RETURN(const Item* digest, required(payload, "digest"));
  if (digest->kind != Kind::kText || digest->text() != "SHA384") return field_error("digest", "is not \"SHA384\"");
  doc.digest = "SHA384";

  T3N_ASSIGN_OR_RETURN(const Item* timestamp, required(payload, "timestamp"));
  if (timestamp->kind != Kind::kUnsigned || timestamp->uint_value == 0)
    return field_error("timestamp", "is not a positive integer (milliseconds since 1970)");
  doc.timestamp_ms = timestamp->uint_value;

  T3N_ASSIGN_OR_RETURN(const Item* pcrs, required(payload, "pcrs"));
  if (pcrs->kind != Kind::kMap || pcrs->map_size() == 0 || pcrs->map_size() > 32)
    return field_error("pcrs", "is not a map of 1 to 32 entries");
  for (std::size_t k = 0; k < pcrs->items.size(); k += 2) {
    const Item& index = pcrs->items[k];
    const Item& value = pcrs->items[k + 1];
    if (index.kind != Kind::kUnsigned || index.uint_value > 31)
      return field_error("pcrs", "has an index outside 0..31");
    const std::string name = "pcrs[" + std::to_string(index.uint_value) + "]";
    if (value.kind != Kind::kBytes) return field_error(name, "is not a byte string");
    const std::size_t n = value.bytes.size();
    if (n != 32 && n != 48 && n != 64)
      return field_error(name, "has " + std::to_string(n) + " bytes (not 32, 48 or 64)");
    doc.pcrs.emplace(static_cast<unsigned>(index.uint_value), common::to_bytes(value.bytes));
  }

  T3N_ASSIGN_OR_RETURN(const Item* certificate, required(payload, "certificate"));
  T3N_ASSIGN_OR_RETURN(doc.certificate_der, byte_field(*certificate, "certificate", 1, kNitroMaxCertificateBytes));

  T3N_ASSIGN_OR_RETURN(const Item* cabundle, required(payload, "cabundle"));
  if (cabundle->kind != Kind::kArray || cabundle->items.empty() || cabundle->items.size() > 8)
    return field_error("cabundle", "is not an array of 1 to 8 certificates");
  for (std::size_t i = 0; i < cabundle->items.size(); ++i) {
    T3N_ASSIGN_OR_RETURN(
        Bytes der, byte_field(cabundle->items[i], "cabundle[" + std::to_string(i) + "]", 1, kNitroMaxCertificateBytes));
    doc.cabundle_der.push_back(std::move(der));
  }

  T3N_ASSIGN_OR_RETURN(doc.public_key, optional_user_field(payload, "public_key", 1));
  T3N_ASSIGN_OR_RETURN(doc.user_data, optional_user_field(payload, "user_data", 0));
  T3N_ASSIGN_OR_RETURN(doc.nonce, optional_user_field(payload, "nonce", 0));
  return doc;
}

CertCheckOptions nitro_cert_options(std::time_t at) {
  CertCheckOptions o;
  o.at = at;
  o.root_ca_sha256 = std::string(kAwsNitroRootG1Sha256);
  return o;
}

Result<NitroVerification> verify_nitro_document(ByteView cose, const CertCheckOptions& options,
                                                std::string_view root_pem) {
  T3N_ASSIGN_OR_RETURN(NitroDocument doc, parse_nitro_document(cose));
  CertCheckOptions o = options;
  if (o.root_ca_sha256 == kIntelSgxRootCaSha256) o.root_ca_sha256 = std::string(kAwsNitroRootG1Sha256);
  if (!root_pem.empty()) {
    T3N_ASSIGN_OR_RETURN(std::string supplied, pem_root_sha256(root_pem));
    if (supplied != o.root_ca_sha256)
      return common::verification_failed("Nitro root: the supplied root certificate is not the pinned root (SHA-256 " +
                                         supplied + ")");
  }

  // cabundle is [root, intermediate…]: the chain is the leaf, then the bundle from the far end.
  std::vector<Bytes> chain;
  chain.push_back(doc.certificate_der);
  chain.insert(chain.end(), doc.cabundle_der.rbegin(), doc.cabundle_der.rend());
  NitroVerification v;
  T3N_ASSIGN_OR_RETURN(v.leaf_spki_der, verify_der_chain_to_pinned_root(chain, o, "Nitro certificate chain"));

  T3N_RETURN_IF_ERROR(verify_es384(
      v.leaf_spki_der, cbor::cose_sign1_sig_structure(doc.protected_header, {}, doc.payload), doc.signature));

  // The leaf lives for hours; a document dated outside its life was not signed by it when claimed.
  auto leaf = crypto::Certificate::from_der(doc.certificate_der);
  if (!leaf.ok()) return common::verification_failed("Nitro certificate chain: unparsable leaf");
  T3N_ASSIGN_OR_RETURN(v.leaf_not_before, certificate_time(leaf->not_before()));
  T3N_ASSIGN_OR_RETURN(v.leaf_not_after, certificate_time(leaf->not_after()));
  const auto document_time = static_cast<std::int64_t>(doc.timestamp_ms / 1000);
  if (document_time < v.leaf_not_before || document_time > v.leaf_not_after)
    return common::verification_failed("Nitro document timestamp " + std::to_string(doc.timestamp_ms) +
                                       " ms lies outside the signing certificate's validity");
  v.document = std::move(doc);
  return v;
}

common::Json nitro_verification_to_json(const Result<NitroVerification>& v) {
  using common::hex_encode;
  if (!v.ok()) {
    return {{"valid", false},
            {"provider", "AwsNitro"},
            {"hardware_verified", false},
            {"measurements_valid", nullptr},
            {"certificate_chain_valid", false},
            {"tcb_status", nullptr},
            {"advisories", common::Json::array()},
            {"error", v.status().message()}};
  }
  const auto& d = v->document;
  auto hex_or_null = [](const std::optional<Bytes>& b) {
    return b ? common::Json(hex_encode(*b)) : common::Json(nullptr);
  };
  common::Json pcrs = common::Json::object();
  for (const auto& [index, value] : d.pcrs) pcrs[std::to_string(index)] = hex_encode(value);
  common::Json m = {{"module_id", d.module_id},
                    {"digest", d.digest},
                    {"timestamp", d.timestamp_ms},
                    {"pcrs", pcrs},
                    {"debug", d.debug()}};
  return {{"valid", !d.debug()},
          {"provider", "AwsNitro"},
          {"hardware_verified", true},
          {"measurements_valid", nullptr},
          {"certificate_chain_valid", true},
          {"tcb_status", "NotApplicable"},  // Nitro attests no TCB level; AWS patches the hypervisor fleet-wide
          {"advisories", common::Json::array()},
          {"measurements", m},
          {"report_data", hex_or_null(d.user_data)},
          {"user_data", hex_or_null(d.user_data)},
          {"nonce", hex_or_null(d.nonce)},
          {"public_key", hex_or_null(d.public_key)}};
}

}  // namespace t3n::attest
