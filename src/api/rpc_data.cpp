// data.put, data.get — the caller's private data blob (sealed with the
// user's data key, stored in CAS; the `user_data` row holds its CID).
#include "api/execution.h"
#include "api/routes.h"
#include "common/encoding.h"

namespace t3n::api {

namespace {

struct PutParams {
  Bytes data;
  static Result<PutParams> parse(const common::Json& j) {
    ParamReader r{j};
    T3N_ASSIGN_OR_RETURN(std::string b64, r.string("data"));
    auto data = common::base64_decode(b64);
    if (!data.ok()) return common::invalid_argument("'data': expected base64");
    return PutParams{std::move(*data)};
  }
};

struct NoParams {
  static Result<NoParams> parse(const common::Json&) { return NoParams{}; }
};

}  // namespace

void register_data_endpoints(EndpointRegistry& r, NodeServices& s) {
  r.rpc<PutParams>("data.put", AuthPolicy::kDidSigned, true, [&s](RpcContext& ctx, const PutParams& p) {
    return write_as_caller(s, *ctx.caller, [&](store::Transaction& tx, const Bytes& user) -> Result<common::Json> {
      T3N_ASSIGN_OR_RETURN(SecretBytes key, s.user_keys.find_or_create(tx, user));
      T3N_ASSIGN_OR_RETURN(Bytes sealed, identity::UserDataKeys::seal_blob(key, user, p.data));
      T3N_ASSIGN_OR_RETURN(cas::Cid cid, s.cas.put(sealed));
      T3N_RETURN_IF_ERROR(identity::kUserDataTable.in(tx).put(user, cid.to_string()));
      return common::Json{{"cid", cid.to_string()}, {"size", p.data.size()}};
    });
  });
  r.rpc<NoParams>("data.get", AuthPolicy::kDidSigned, false, [&s](RpcContext& ctx, const NoParams&) -> Result<common::Json> {
    T3N_ASSIGN_OR_RETURN(auto user, find_user(s, *ctx.caller));
    if (!user) return common::not_found("no data stored for this user");
    T3N_ASSIGN_OR_RETURN(auto data, read_user_data(s, *user));
    if (!data) return common::not_found("no data stored for this user");
    return common::Json{{"data", common::base64_encode(*data)}};
  });
}

}  // namespace t3n::api
