#include "system/delegation.h"

#include <algorithm>
#include <set>

#include "common/encoding.h"
#include "crypto/hash.h"
#include "crypto/secp256k1.h"
#include "identity/did.h"

namespace t3n::system {
namespace {

using common::Json;

Status bad(const std::string& what) { return common::invalid_argument("InvalidCredential: " + what); }
Status refused(const std::string& why) { return common::permission_denied("DelegationRefused: " + why); }

// UTF-8 → UTF-16 code units, for JCS's key order.
std::u16string utf16(const std::string& s) {
  std::u16string out;
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::uint32_t cp = c;
    std::size_t n = 1;
    if (c >= 0xf0 && i + 3 < s.size()) {
      cp = ((c & 0x07u) << 18) | ((static_cast<unsigned char>(s[i + 1]) & 0x3fu) << 12) |
           ((static_cast<unsigned char>(s[i + 2]) & 0x3fu) << 6) | (static_cast<unsigned char>(s[i + 3]) & 0x3fu);
      n = 4;
    } else if (c >= 0xe0 && i + 2 < s.size()) {
      cp = ((c & 0x0fu) << 12) | ((static_cast<unsigned char>(s[i + 1]) & 0x3fu) << 6) | (static_cast<unsigned char>(s[i + 2]) & 0x3fu);
      n = 3;
    } else if (c >= 0xc0 && i + 1 < s.size()) {
      cp = ((c & 0x1fu) << 6) | (static_cast<unsigned char>(s[i + 1]) & 0x3fu);
      n = 2;
    }
    if (cp >= 0x10000) {
      cp -= 0x10000;
      out.push_back(static_cast<char16_t>(0xd800 + (cp >> 10)));
      out.push_back(static_cast<char16_t>(0xdc00 + (cp & 0x3ff)));
    } else {
      out.push_back(static_cast<char16_t>(cp));
    }
    i += n;
  }
  return out;
}

Status jcs_into(const Json& v, std::string& out, int depth) {
  if (depth > 32) return common::invalid_argument("JCS: nested too deeply");
  switch (v.type()) {
    case Json::value_t::object: {
      // Keys in UTF-16 code-unit order (RFC 8785 §3.2.3).
      std::vector<std::string> names;
      names.reserve(v.size());
      for (const auto& [k, _] : v.items()) names.push_back(k);
      std::vector<std::size_t> order(names.size());
      for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
      std::vector<std::u16string> u(names.size());
      for (std::size_t i = 0; i < names.size(); ++i) u[i] = utf16(names[i]);
      std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return u[a] < u[b]; });
      out.push_back('{');
      bool first = true;
      for (std::size_t i : order) {
        if (!first) out.push_back(',');
        first = false;
        out += Json(names[i]).dump();
        out.push_back(':');
        T3N_RETURN_IF_ERROR(jcs_into(v.at(names[i]), out, depth + 1));
      }
      out.push_back('}');
      return {};
    }
    case Json::value_t::array: {
      out.push_back('[');
      bool first = true;
      for (const auto& e : v) {
        if (!first) out.push_back(',');
        first = false;
        T3N_RETURN_IF_ERROR(jcs_into(e, out, depth + 1));
      }
      out.push_back(']');
      return {};
    }
    case Json::value_t::number_float:
      return common::invalid_argument("JCS: fractional numbers are not accepted (send big integers as strings)");
    default:
      out += v.dump();
      return {};
  }
}

Result<Bytes> b64u_field(const Json& body, const char* name, std::size_t size) {
  auto it = body.find(name);
  if (it == body.end() || !it->is_string()) return bad(std::string("'") + name + "' must be base64url");
  const std::string& text = it->get_ref<const std::string&>();
  if (text.find('=') != std::string::npos || text.find('+') != std::string::npos || text.find('/') != std::string::npos)
    return bad(std::string("'") + name + "' must be base64url without padding");
  auto b = common::base64url_decode(text);
  if (!b.ok() || (size != 0 && b->size() != size))
    return bad(std::string("'") + name + "' must be " + std::to_string(size) + " bytes of base64url");
  if (common::base64url_encode(*b) != text) return bad(std::string("'") + name + "' is not canonical base64url");
  return std::move(*b);
}

Result<std::uint64_t> decimal_field(const Json& body, const char* name) {
  auto it = body.find(name);
  if (it == body.end() || !it->is_string()) return bad(std::string("'") + name + "' must be a decimal string");
  const std::string& s = it->get_ref<const std::string&>();
  if (s.empty() || s.size() > 19 || (s.size() > 1 && s[0] == '0') || !std::all_of(s.begin(), s.end(), ::isdigit))
    return bad(std::string("'") + name + "' must be a decimal string");
  return std::stoull(s);
}

Result<std::string> text_field(const Json& body, const char* name) {
  auto it = body.find(name);
  if (it == body.end() || !it->is_string()) return bad(std::string("'") + name + "' must be a string");
  return it->get<std::string>();
}

bool lower_function_name(const std::string& f) {
  return !f.empty() && f.size() <= 128 &&
         std::all_of(f.begin(), f.end(), [](unsigned char c) { return (c >= 0x21 && c < 0x7f) && !(c >= 'A' && c <= 'Z'); });
}

Bytes user_vc(const DelegationCredential& c) {
  Bytes k = c.user;
  k.insert(k.end(), c.vc_id.begin(), c.vc_id.end());
  return k;
}

Result<Json> parse_row(const Bytes& raw) {
  auto j = common::parse_json(common::to_string(raw), 8);
  if (!j.ok()) return common::data_loss("a revocation row is corrupt");
  return std::move(*j);
}

}  // namespace

Status ensure_delegation_tables(store::Store& store) { return store::ensure_tables(store, kRevocationsTable, kInvocationNonces); }

std::string DelegationCredential::vc_id_b64u() const { return common::base64url_encode(vc_id); }

Result<std::string> jcs(const Json& value) {
  std::string out;
  try {
    T3N_RETURN_IF_ERROR(jcs_into(value, out, 0));
  } catch (const nlohmann::json::exception&) {
    return common::invalid_argument("JCS: strings must be valid UTF-8");
  }
  return out;
}

Result<DelegationCredential> parse_credential_body(const Json& body) {
  if (!body.is_object()) return bad("the credential is a JSON object");
  static const std::set<std::string> kFields = {"v", "user_did", "agent_pubkey", "org_did", "contract", "functions",
                                                "scopes", "metadata", "not_before_secs", "not_after_secs", "vc_id"};
  for (const auto& [k, _] : body.items())
    if (kFields.count(k) == 0) return bad("unknown field '" + k.substr(0, 64) + "'");
  DelegationCredential c;
  T3N_ASSIGN_OR_RETURN(std::string v, text_field(body, "v"));
  if (v != kCredentialDomain) return bad("BadDomain: 'v' must be ot3.delegation/1");
  T3N_ASSIGN_OR_RETURN(std::string user_did, text_field(body, "user_did"));
  auto user = identity::parse_t3n_did(user_did);
  if (!user.ok() || identity::t3n_did(*user) != user_did) return bad("'user_did' must be did:t3n:<40 lower-case hex>");
  c.user = std::move(*user);
  T3N_ASSIGN_OR_RETURN(std::string org_did, text_field(body, "org_did"));
  auto org = identity::parse_t3n_did(org_did);
  if (!org.ok() || identity::t3n_did(*org) != org_did) return bad("'org_did' must be did:t3n:<40 lower-case hex>");
  c.org = std::move(*org);
  T3N_ASSIGN_OR_RETURN(c.agent_pubkey, b64u_field(body, "agent_pubkey", 33));
  if (c.agent_pubkey[0] != 0x02 && c.agent_pubkey[0] != 0x03) return bad("'agent_pubkey' must be a compressed secp256k1 key");
  T3N_ASSIGN_OR_RETURN(c.vc_id, b64u_field(body, "vc_id", 16));
  T3N_ASSIGN_OR_RETURN(c.contract, text_field(body, "contract"));
  if (c.contract.empty() || c.contract.size() > 256) return bad("'contract' is 1..256 characters");
  auto fns = body.find("functions");
  if (fns == body.end() || !fns->is_array() || fns->empty() || fns->size() > kMaxCredentialFunctions)
    return bad("'functions' holds 1..16 names");
  for (const auto& f : *fns) {
    if (!f.is_string() || !lower_function_name(f.get<std::string>())) return bad("'functions' entries are non-empty lower-case ASCII");
    if (!c.functions.empty() && f.get<std::string>() <= c.functions.back()) return bad("UnsortedFunctions: 'functions' must be sorted and deduped");
    c.functions.push_back(f.get<std::string>());
  }
  if (auto s = body.find("scopes"); s != body.end()) {
    if (!s->is_array() || s->size() > 64) return bad("'scopes' is a list of ≤ 64 scopes");
    for (const auto& e : *s) {
      if (!e.is_string()) return bad("'scopes' entries are strings");
      auto scope = canonical_scope(e.get<std::string>());
      if (!scope.ok()) return bad("'scopes' entries are 1..64 of [a-z0-9_.:-]");
      c.scopes.push_back(*scope);
    }
  }
  if (auto m = body.find("metadata"); m != body.end()) {
    if (!m->is_object() || m->size() > 32) return bad("'metadata' is an object of ≤ 32 strings");
    for (const auto& [k, val] : m->items()) {
      if (!val.is_string() || k.size() > 128 || val.get<std::string>().size() > 256) return bad("'metadata' values are short strings");
      c.metadata[k] = val.get<std::string>();
    }
  }
  T3N_ASSIGN_OR_RETURN(c.not_before_secs, decimal_field(body, "not_before_secs"));
  T3N_ASSIGN_OR_RETURN(c.not_after_secs, decimal_field(body, "not_after_secs"));
  if (c.not_after_secs <= c.not_before_secs) return bad("InvalidWindow: not_after_secs must be after not_before_secs");
  return c;
}

Result<DelegationCredential> parse_credential_jcs(ByteView jcs_bytes) {
  if (jcs_bytes.size() > kMaxCredentialBytes) return bad("the credential is too large");
  auto j = common::parse_json(common::to_string(jcs_bytes), 8);
  if (!j.ok()) return bad("credential_jcs is not JSON");
  T3N_ASSIGN_OR_RETURN(std::string canonical, jcs(*j));
  if (canonical != common::to_string(jcs_bytes)) return bad("NotCanonical: credential_jcs must be RFC 8785 JCS");
  return parse_credential_body(*j);
}

Result<bool> is_revoked(store::Transaction& tx, const DelegationCredential& cred, const std::string& function) {
  T3N_ASSIGN_OR_RETURN(auto raw, kRevocationsTable.in(tx).get(user_vc(cred)));
  if (!raw) return false;
  T3N_ASSIGN_OR_RETURN(Json row, parse_row(*raw));
  const Json& fns = row["revoked_functions"];
  if (!fns.is_array()) return true;
  for (const auto& f : fns)
    if (f == function) return true;
  return false;
}

Result<std::optional<std::vector<std::string>>> revoke_credential(store::Transaction& tx, const DelegationCredential& cred,
                                                                  const std::optional<std::vector<std::string>>& functions,
                                                                  std::uint64_t now_ms) {
  auto table = kRevocationsTable.in(tx);
  T3N_ASSIGN_OR_RETURN(auto raw, table.get(user_vc(cred)));
  std::optional<std::set<std::string>> merged;
  if (functions) {
    merged = std::set<std::string>(functions->begin(), functions->end());
    if (raw) {
      T3N_ASSIGN_OR_RETURN(Json row, parse_row(*raw));
      if (!row["revoked_functions"].is_array()) merged.reset();  // already whole
      else
        for (const auto& f : row["revoked_functions"]) merged->insert(f.get<std::string>());
    }
    // Every function revoked is the whole credential revoked.
    if (merged && merged->size() == cred.functions.size()) merged.reset();
  }
  std::optional<std::vector<std::string>> out;
  if (merged) out = std::vector<std::string>(merged->begin(), merged->end());
  Json row = {{"revoked_functions", out ? Json(*out) : Json(nullptr)}, {"at_ms", now_ms}, {"not_after_secs", cred.not_after_secs}};
  T3N_RETURN_IF_ERROR(table.put(user_vc(cred), common::to_bytes(row.dump())));
  return out;
}

Result<AcceptedInvocation> accept_invocation(store::Transaction& tx, const AccountServices& accounts, const OrgPolicyDefaults& defaults,
                                             const Json& envelope, const Json& request, const std::string& contract,
                                             const std::string& function, std::uint64_t now_ms) {
  if (!envelope.is_object()) return refused("'envelope' must be an object");
  auto b64 = [&](const char* name, std::size_t size) -> Result<Bytes> {
    auto r = b64u_field(envelope, name, size);
    if (!r.ok()) return refused(std::string("'envelope.") + name + "' must be " + (size ? std::to_string(size) + " bytes of " : "") + "base64url");
    return r;
  };
  T3N_ASSIGN_OR_RETURN(Bytes credential_jcs, b64("credential_jcs", 0));
  T3N_ASSIGN_OR_RETURN(Bytes user_sig, b64("user_sig", 65));
  T3N_ASSIGN_OR_RETURN(Bytes agent_sig, b64("agent_sig", 64));
  T3N_ASSIGN_OR_RETURN(Bytes nonce, b64("nonce", 16));
  T3N_ASSIGN_OR_RETURN(Bytes request_hash, b64("request_hash", 32));
  auto parsed = parse_credential_jcs(credential_jcs);
  if (!parsed.ok()) return refused(parsed.status().message());
  DelegationCredential cred = std::move(*parsed);

  if (cred.contract != contract) return refused("the credential is for " + cred.contract + ", not " + contract);
  if (!std::binary_search(cred.functions.begin(), cred.functions.end(), function))
    return refused("the credential does not cover function '" + function.substr(0, 128) + "'");
  const std::uint64_t now = now_ms / 1000;
  if (now < cred.not_before_secs) return refused("NotYetValid: the credential starts at " + std::to_string(cred.not_before_secs));
  if (now > cred.not_after_secs) return refused("Expired: the credential ended at " + std::to_string(cred.not_after_secs));
  auto cap = effective_validity_secs(tx, cred.org, defaults);
  if (!cap.ok()) return refused(cap.status().message());
  if (cred.not_after_secs - cred.not_before_secs > *cap)
    return refused("ValidityTooLong: the window exceeds the organisation's cap of " + std::to_string(*cap) + " s");

  // The user's signature: by their Ethereum login or one of their custodial wallets.
  auto signer = crypto::eth_recover_personal_signer(credential_jcs, user_sig);
  if (!signer.ok()) return refused("BadUserSignature: user_sig does not recover");
  bool by_user = false;
  T3N_ASSIGN_OR_RETURN(auto owner, accounts.users.find(tx, identity::eth_authenticator(*signer)));
  if (owner && *owner == cred.user) by_user = true;
  if (!by_user) {
    T3N_ASSIGN_OR_RETURN(auto wallets, tx.as_system([&] { return accounts.wallets.list(tx, cred.user); }));
    for (const auto& w : wallets) by_user = by_user || w.address == *signer;
  }
  if (!by_user) return refused("BadUserSignature: user_sig is not by an address of " + identity::t3n_did(cred.user));

  // The agent's signature over the invocation pre-image, and the request it binds.
  T3N_ASSIGN_OR_RETURN(std::string request_jcs, jcs(request));
  const auto want_hash = crypto::sha256(common::as_bytes(request_jcs));
  if (!std::equal(want_hash.begin(), want_hash.end(), request_hash.begin(), request_hash.end()))
    return refused("RequestHashMismatch: request_hash is not SHA-256(JCS(request))");
  Bytes preimage = common::to_bytes(kInvocationDomain);
  preimage.insert(preimage.end(), cred.vc_id.begin(), cred.vc_id.end());
  preimage.insert(preimage.end(), nonce.begin(), nonce.end());
  preimage.insert(preimage.end(), request_hash.begin(), request_hash.end());
  const auto digest = crypto::sha256(preimage);
  if (!crypto::secp256k1_verify(cred.agent_pubkey, digest, agent_sig).ok())
    return refused("BadAgentSignature: agent_sig does not verify under agent_pubkey");

  // The organisation's grant for this user and contract.
  T3N_ASSIGN_OR_RETURN(auto grant, live_grant(tx, cred.org, cred.contract, cred.user, now));
  if (!grant) return refused("NoOrgGrant: " + identity::t3n_did(cred.org) + " grants " + identity::t3n_did(cred.user) + " nothing live for " + cred.contract);
  for (const auto& f : cred.functions)
    if (!grant->functions.empty() && std::find(grant->functions.begin(), grant->functions.end(), f) == grant->functions.end())
      return refused("GrantScope: the org grant does not cover function '" + f + "'");
  for (const auto& s : cred.scopes)
    if (std::find(grant->scopes.begin(), grant->scopes.end(), s) == grant->scopes.end())
      return refused("GrantScope: the org grant does not cover scope '" + s + "'");
  for (const auto& [k, v] : grant->constraints) {
    auto it = cred.metadata.find(k);
    if (it == cred.metadata.end() || it->second != v) return refused("GrantConstraint: metadata '" + k.substr(0, 64) + "' does not match the org grant");
  }

  T3N_ASSIGN_OR_RETURN(bool revoked, is_revoked(tx, cred, function));
  if (revoked) return refused("Revoked: credential " + cred.vc_id_b64u() + " is revoked");

  Bytes nonce_key = user_vc(cred);
  nonce_key.insert(nonce_key.end(), nonce.begin(), nonce.end());
  T3N_ASSIGN_OR_RETURN(auto seen, kInvocationNonces.in(tx).get(nonce_key));
  if (seen) return refused("Replay: this nonce was used with the credential already");
  return AcceptedInvocation{cred, cred.user, std::move(nonce_key)};
}

Status consume_invocation_nonce(store::Transaction& tx, const AcceptedInvocation& inv) {
  auto nonces = kInvocationNonces.in(tx);
  T3N_ASSIGN_OR_RETURN(auto seen, nonces.get(inv.nonce_key));
  if (seen) return refused("Replay: this nonce was used with the credential already");
  return nonces.put(inv.nonce_key, inv.credential.not_after_secs);
}

Result<NoncePruning> prune_invocation_nonces(store::Transaction& tx, std::uint64_t now_secs, const Bytes& after,
                                             std::uint32_t limit) {
  auto nonces = kInvocationNonces.in(tx);
  Bytes start = after;
  if (!start.empty()) start.push_back(0);  // strictly after the last row of the previous pass
  T3N_ASSIGN_OR_RETURN(auto rows, nonces.scan(start, {}, std::max<std::uint32_t>(limit, 1)));
  NoncePruning out;
  for (const auto& [key, not_after_secs] : rows) {
    if (not_after_secs + kNonceKeepAfterExpirySecs >= now_secs) continue;
    T3N_ASSIGN_OR_RETURN(bool gone, nonces.remove(key));
    out.removed += gone ? 1 : 0;
  }
  if (rows.size() >= std::max<std::uint32_t>(limit, 1)) out.resume_after = rows.back().first;
  return out;
}

}  // namespace t3n::system
