#include "api/session_auth.h"

#include <utility>

#include "api/execution.h"
#include "api/routes.h"
#include "common/encoding.h"
#include "crypto/hash.h"
#include "crypto/random.h"
#include "identity/delegation.h"
#include "identity/did.h"
#include "identity/siwe.h"
#include "system/audit_trail.h"

namespace t3n::api {

namespace {

using common::Json;

// The auth.* messages are the SDK state machine's, read field by field.
struct RawParams {
  Json j;
  static Result<RawParams> parse(const Json& j) { return RawParams{j}; }
};

std::string string_of(const Json& j, const char* field) {
  auto it = j.find(field);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// "eth:0x" + 40 hex (any case) → the canonical lower-case authenticator and its address.
Result<std::pair<std::string, Bytes>> parse_eth_authenticator(const std::string& text) {
  if (text.size() != 46 || text.rfind("eth:0x", 0) != 0)
    return common::invalid_argument("authenticator must be eth:0x followed by 40 hex digits");
  std::string hex = text.substr(6);
  for (char& c : hex) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto addr = common::hex_decode_canonical(hex, 20);
  if (!addr.ok()) return common::invalid_argument("authenticator must be eth:0x followed by 40 hex digits");
  return std::make_pair(identity::eth_authenticator(*addr), std::move(*addr));
}

// The user of `authenticator` (or, failing that, of `also`), created with id
// `proposed` (or a random one) if neither is known, in its own committed
// transaction: a login is a state change. `also` is linked to the user when
// free (an OIDC login proving an e-mail joins that e-mail's DID).
Result<Bytes> login_user(NodeServices& s, const std::string& authenticator, const std::optional<Bytes>& proposed,
                         const std::optional<std::string>& also = std::nullopt) {
  return in_system_transaction(s, [&](store::Transaction& tx) -> Result<Bytes> {
    T3N_ASSIGN_OR_RETURN(auto primary, s.users.find(tx, authenticator));
    std::optional<Bytes> secondary;
    if (also) {
      T3N_ASSIGN_OR_RETURN(secondary, s.users.find(tx, *also));
    }
    if (primary) {
      if (also && !secondary) T3N_RETURN_IF_ERROR(s.users.link(tx, *also, *primary));
      return *primary;
    }
    if (secondary) {
      T3N_RETURN_IF_ERROR(s.users.link(tx, authenticator, *secondary));
      return *secondary;
    }
    Bytes id;
    if (proposed) {
      id = *proposed;
    } else {
      T3N_ASSIGN_OR_RETURN(id, identity::UserDirectory::new_user_id());
    }
    T3N_ASSIGN_OR_RETURN(Bytes user, s.users.find_or_create(tx, authenticator, &id));
    if (also) T3N_RETURN_IF_ERROR(s.users.link(tx, *also, user));
    return user;
  });
}

Status link_authenticator(NodeServices& s, const std::string& authenticator, const Bytes& user) {
  return in_system_transaction(s, [&](store::Transaction& tx) -> Status {
    Status linked = s.users.link(tx, authenticator, user);
    if (linked.code() == ErrorCode::kAlreadyExists)
      return Status(ErrorCode::kAlreadyExists, "eth_auth_map_conflict: the wallet belongs to another DID");
    return linked;
  });
}

std::string auth_hash_of(const NodeServices& s, const SessionLogin& login) {
  // Names the login without revealing it (the cookie is readable by the client).
  const auto mac = crypto::HmacSha256(s.sessions->cookie_secret).mac(common::as_bytes("t3n/cookie-auth/v1:" + login.authenticator));
  return common::hex_encode(mac);
}

class SessionLogins {
 public:
  explicit SessionLogins(NodeServices& s) : s_(s), ss_(*s.sessions) {}

  Result<Json> authenticate(RpcContext& ctx, const Json& m, bool adding) {
    const std::string eth = string_of(m, "eth_auth_action");
    if (!eth.empty()) return eth_step(ctx, m, eth, adding);
    const std::string email = string_of(m, "email_auth_action");
    if (!email.empty() && !adding) return email_step(ctx, m, email);
    const std::string oidc = string_of(m, "oidc_auth_action");
    if (!oidc.empty() && !adding) return oidc_step(ctx, m, oidc);
    return common::invalid_argument("unknown authentication message (no eth_auth_action)");
  }

 private:
  Result<Json> eth_step(RpcContext& ctx, const Json& m, const std::string& action, bool adding) {
    const std::string& sid = *ctx.session_id;
    const std::string start = adding ? "AddAuthenticator" : "SetAuthenticator";
    const std::string verify = adding ? "VerifyAddSignature" : "VerifyChallengeSignature";
    if (action == start) {
      T3N_ASSIGN_OR_RETURN(auto who, parse_eth_authenticator(string_of(m, "authenticator")));
      bool derived = false;
      if (auto d = m.find("eth_derived"); d != m.end()) {
        if (!d->is_boolean()) return common::invalid_argument("'eth_derived' must be a boolean");
        derived = d->get<bool>();
      }
      T3N_ASSIGN_OR_RETURN(Bytes challenge, crypto::random_vector(32));
      T3N_RETURN_IF_ERROR(ss_.table.with_state(sid, [&](SessionState& st) {
        if (adding && !st.login) return Status(ErrorCode::kUnauthenticated, "Unauthorized: log in before adding an authenticator");
        st.pending = PendingLogin{adding ? PendingLogin::Kind::kEthAdd : PendingLogin::Kind::kEth, challenge, who.first,
                                  derived, {}, {}, s_.clock()};
        return Status{};
      }));
      return Json{{"host_to_guest", "PeerRequest"}, {"eth_auth_action", "SignChallenge"},
                  {"challenge", common::base64_encode(challenge)}};
    }
    if (action != verify) return common::invalid_argument("unexpected eth_auth_action for this step");
    // The challenge is single use: taken out of the session before checking.
    PendingLogin pending;
    std::optional<SessionLogin> current;
    T3N_RETURN_IF_ERROR(ss_.table.with_state(sid, [&](SessionState& st) {
      pending = std::exchange(st.pending, {});
      current = st.login;
      return Status{};
    }));
    const auto want = adding ? PendingLogin::Kind::kEthAdd : PendingLogin::Kind::kEth;
    if (pending.kind != want) return Status(ErrorCode::kFailedPrecondition, "no_challenge: ask for a challenge first");
    if (s_.clock() > pending.started_ms + kSiweChallengeLifetimeMs)
      return Status(ErrorCode::kUnauthenticated, "the challenge expired: ask for a new one");
    const std::string message = string_of(m, "message");
    auto signature = common::base64_decode(string_of(m, "signature"));
    if (!signature.ok() || signature->size() != 65) return common::invalid_argument("'signature' must be 65 bytes of base64");
    identity::SiweExpectations expect;
    expect.address = "0x" + pending.authenticator.substr(6);
    expect.nonce = "0x" + common::hex_encode(pending.challenge);
    expect.now_unix = static_cast<std::int64_t>(s_.clock() / 1000);
    expect.allowed_domains = ss_.siwe_domains;
    T3N_RETURN_IF_ERROR(identity::verify_siwe(message, *signature, expect).status());
    SessionLogin login;
    if (adding) {
      if (!current) return Status(ErrorCode::kUnauthenticated, "Unauthorized: the session is not logged in");
      T3N_ASSIGN_OR_RETURN(Bytes user, identity::parse_t3n_did(current->did));
      T3N_RETURN_IF_ERROR(link_authenticator(s_, pending.authenticator, user));
      login = *current;
    } else {
      std::optional<Bytes> proposed;
      if (pending.eth_derived) {
        T3N_ASSIGN_OR_RETURN(Bytes addr, common::hex_decode_canonical(pending.authenticator.substr(6), 20));
        proposed = std::move(addr);
      }
      T3N_ASSIGN_OR_RETURN(Bytes user, login_user(s_, pending.authenticator, proposed));
      login = SessionLogin{identity::t3n_did(user), pending.authenticator};
    }
    return finish_login(ctx, login, "eth_auth_action");
  }

  Result<Json> email_step(RpcContext& ctx, const Json& m, const std::string& action) {
    if (ss_.email_otp == nullptr) return Status(ErrorCode::kUnimplemented, "e-mail logins are not configured on this node");
    const std::string& sid = *ctx.session_id;
    if (action == "InitEmailOtp") {
      T3N_ASSIGN_OR_RETURN(std::string address, identity::canonical_email(string_of(m, "email")));
      T3N_RETURN_IF_ERROR(ss_.email_otp->send(sid, address));
      return Json{{"host_to_guest", "PeerRequest"}, {"email_auth_action", "OtpSent"}};
    }
    if (action != "SubmitOtpCode") return common::invalid_argument("unexpected email_auth_action for this step");
    T3N_ASSIGN_OR_RETURN(std::string address, ss_.email_otp->verify(sid, string_of(m, "code")));
    // The same authenticator an OIDC login proving this address will use.
    const std::string authenticator = "email:" + address;
    T3N_ASSIGN_OR_RETURN(Bytes user, login_user(s_, authenticator, std::nullopt));
    return finish_login(ctx, SessionLogin{identity::t3n_did(user), authenticator}, "email_auth_action");
  }

  Result<Json> oidc_step(RpcContext& ctx, const Json& m, const std::string& action) {
    if (ss_.oidc == nullptr)
      return Status(ErrorCode::kUnimplemented, "OpenID Connect logins are not configured on this node");
    const std::string& sid = *ctx.session_id;
    if (action == "InitOidcAuth") {
      const std::string name = string_of(m, "provider");
      if (ss_.oidc->provider(name) == nullptr) {
        std::string offered;
        for (const auto& n : ss_.oidc->provider_names()) offered += (offered.empty() ? "" : ", ") + n;
        return common::invalid_argument("unknown OIDC provider; this node offers: " + offered);
      }
      T3N_ASSIGN_OR_RETURN(Bytes raw, crypto::random_vector(32));
      const std::string nonce = common::base64url_encode(raw);
      T3N_RETURN_IF_ERROR(ss_.table.with_state(sid, [&](SessionState& st) {
        st.pending = PendingLogin{PendingLogin::Kind::kOidc, {}, {}, false, name, nonce, s_.clock()};
        return Status{};
      }));
      return Json{{"host_to_guest", "PeerRequest"}, {"oidc_auth_action", "SubmitIdToken"}, {"nonce", nonce}};
    }
    if (action != "SubmitIdToken") return common::invalid_argument("unexpected oidc_auth_action for this step");
    // The nonce is single use: taken out of the session before checking.
    PendingLogin pending;
    T3N_RETURN_IF_ERROR(ss_.table.with_state(sid, [&](SessionState& st) {
      pending = std::exchange(st.pending, {});
      return Status{};
    }));
    if (pending.kind != PendingLogin::Kind::kOidc) return Status(ErrorCode::kFailedPrecondition, "no_nonce: start with InitOidcAuth");
    if (s_.clock() > pending.started_ms + kOidcNonceLifetimeMs)
      return Status(ErrorCode::kUnauthenticated, "the OIDC nonce expired: start again");
    const identity::OidcProvider* provider = ss_.oidc->provider(pending.oidc_provider);
    if (provider == nullptr) return Status(ErrorCode::kFailedPrecondition, "the OIDC provider is no longer configured");
    T3N_ASSIGN_OR_RETURN(auto claims, ss_.oidc->verify(*provider, string_of(m, "id_token"), pending.oidc_nonce,
                                                       static_cast<std::int64_t>(pending.started_ms / 1000)));
    const std::string authenticator = "oidc:" + claims.issuer + "|" + claims.subject;
    std::optional<std::string> email;
    if (claims.verified_email) email = "email:" + *claims.verified_email;
    T3N_ASSIGN_OR_RETURN(Bytes user, login_user(s_, authenticator, std::nullopt, email));
    return finish_login(ctx, SessionLogin{identity::t3n_did(user), authenticator}, "oidc_auth_action");
  }

  // The session is logged in as `login`; the cookie is set; the SDK's Finish.
  Result<Json> finish_login(RpcContext& ctx, const SessionLogin& login, const char* action_field) {
    T3N_RETURN_IF_ERROR(ss_.table.with_state(*ctx.session_id, [&](SessionState& st) {
      st.login = login;
      return Status{};
    }));
    T3N_RETURN_IF_ERROR(set_cookie(ctx, login));
    return Json{{"host_to_guest", "PeerRequest"}, {action_field, "Finish"}, {"did", login.did}};
  }

  Status set_cookie(RpcContext& ctx, const SessionLogin& login) {
    if (ctx.response_headers == nullptr) return {};
    T3N_ASSIGN_OR_RETURN(std::string cookie, make_session_cookie(s_, login));
    ctx.response_headers->emplace_back(
        "Set-Cookie", "t3n_session=" + cookie + "; Path=/; HttpOnly; SameSite=Lax; Max-Age=" + std::to_string(ss_.cookie_lifetime_s));
    return {};
  }

  NodeServices& s_;
  SessionServices& ss_;
};

struct AuditParams {
  std::optional<std::string> pii_did;
  std::uint32_t limit = 50;
  std::optional<std::string> cursor;
  static Result<AuditParams> parse(const Json& j) {
    AuditParams out;
    if (auto p = j.find("pii_did"); p != j.end() && !p->is_null()) {
      if (!p->is_string() || !identity::parse_t3n_did(p->get<std::string>()).ok())
        return common::invalid_argument("'pii_did': expected a did:t3n");
      out.pii_did = p->get<std::string>();
    }
    if (auto l = j.find("limit"); l != j.end() && !l->is_null()) {
      if (!l->is_number_unsigned()) return common::invalid_argument("'limit': expected a non-negative integer");
      out.limit = static_cast<std::uint32_t>(std::min<std::uint64_t>(l->get<std::uint64_t>(), 200));
    }
    if (auto c = j.find("cursor"); c != j.end() && !c->is_null()) {
      if (!c->is_string()) return common::invalid_argument("'cursor': expected a string");
      out.cursor = c->get<std::string>();
    }
    return out;
  }
};

}  // namespace

Result<std::string> make_session_cookie(const NodeServices& s, const SessionLogin& login) {
  const std::uint64_t now = s.clock() / 1000;
  const Json payload = {{"did", login.did},
                        {"auth_hash", auth_hash_of(s, login)},
                        {"iat", now},
                        {"exp", now + s.sessions->cookie_lifetime_s}};
  const std::string text = payload.dump();
  const auto digest = crypto::keccak256(common::as_bytes(text));
  T3N_ASSIGN_OR_RETURN(Bytes sig, crypto::eth_personal_sign(s.sessions->signer, s.sessions->cookie_secret, digest));
  return common::base64url_encode(common::as_bytes(text)) + "." + common::base64url_encode(sig);
}

Result<SessionLogin> verify_session_cookie(const NodeServices& s, std::string_view cookie) {
  const auto dot = cookie.find('.');
  if (dot == std::string_view::npos || cookie.size() > 4096) return common::invalid_argument("malformed session cookie");
  auto payload = common::base64url_decode(cookie.substr(0, dot));
  auto sig = common::base64url_decode(cookie.substr(dot + 1));
  if (!payload.ok() || !sig.ok() || sig->size() != 65) return common::invalid_argument("malformed session cookie");
  const auto digest = crypto::keccak256(*payload);
  T3N_ASSIGN_OR_RETURN(Bytes signer, crypto::eth_recover_personal_signer(digest, *sig));
  if ("0x" + common::hex_encode(signer) != s.sessions->cookie_signer)
    return Status(ErrorCode::kUnauthenticated, "the session cookie is not signed by this node");
  auto j = common::parse_json(common::to_string(*payload), 4);
  if (!j.ok() || !j->is_object()) return common::invalid_argument("malformed session cookie payload");
  const std::string did = string_of(*j, "did");
  auto exp = j->find("exp");
  if (exp == j->end() || !exp->is_number_unsigned() || exp->get<std::uint64_t>() <= s.clock() / 1000)
    return Status(ErrorCode::kUnauthenticated, "the session cookie expired");
  T3N_ASSIGN_OR_RETURN(Bytes user, identity::parse_t3n_did(did));
  auto tx = s.store.begin(store::Principal::system());
  T3N_ASSIGN_OR_RETURN(auto row, identity::kUsersTable.in(tx).get(user));
  if (!row) return Status(ErrorCode::kUnauthenticated, "the session cookie names no user");
  return SessionLogin{did, "cookie:" + string_of(*j, "auth_hash")};
}

void register_session_endpoints(EndpointRegistry& r, NodeServices& s) {
  r.rpc<RawParams>("auth.authenticate", AuthPolicy::kSessionAny, true,
                   [&s](RpcContext& ctx, const RawParams& p) { return SessionLogins(s).authenticate(ctx, p.j, false); });
  r.rpc<RawParams>("auth.add-authenticator", AuthPolicy::kSessionAny, true,
                   [&s](RpcContext& ctx, const RawParams& p) { return SessionLogins(s).authenticate(ctx, p.j, true); });
  // The caller's audit trail (as subject or actor); with pii_did another
  // user's events this caller performed, only while that user's grant to
  // the caller is live.
  auto audit_of = [&s](const Bytes& me, const AuditParams& p) -> Result<Json> {
    auto tx = s.store.begin(store::Principal::system());
    const std::string my_did = identity::t3n_did(me);
    if (!p.pii_did || *p.pii_did == my_did) return system::audit_page(tx, me, p.limit, p.cursor, std::nullopt);
    T3N_ASSIGN_OR_RETURN(Bytes owner, identity::parse_t3n_did(*p.pii_did));
    T3N_ASSIGN_OR_RETURN(auto grants, identity::kDelegationsTable.in(tx).get(owner));
    const bool live = grants && std::any_of(grants->grants.begin(), grants->grants.end(),
                                            [&](const identity::AgentGrant& g) { return g.agent_did == my_did; });
    if (!live) return common::permission_denied("NotDelegated: that user has no live grant to you");
    return system::audit_page(tx, owner, p.limit, p.cursor, my_did);
  };
  r.rpc<AuditParams>("audit.get-mine", AuthPolicy::kSession, false, [audit_of](RpcContext& ctx, const AuditParams& p) -> Result<Json> {
    T3N_ASSIGN_OR_RETURN(Bytes me, identity::parse_t3n_did(ctx.caller->session_did));
    return audit_of(me, p);
  });
  // The same for a DID-signed caller (the t3n CLI over OHTTP): its user's trail.
  r.rpc<AuditParams>("audit.list", AuthPolicy::kDidSigned, false, [&s, audit_of](RpcContext& ctx, const AuditParams& p) -> Result<Json> {
    T3N_ASSIGN_OR_RETURN(auto me, find_user(s, *ctx.caller));
    if (!me) return Json{{"batches", Json::array()}, {"next_cursor", nullptr}};
    return audit_of(*me, p);
  });
}

}  // namespace t3n::api
