// GET /api/public-kv, /api/receipt, /api/proof — public state and its proofs.
#include <charconv>

#include "api/routes.h"
#include "common/encoding.h"
#include "store/receipt.h"
#include "store/state_tree.h"

namespace t3n::api {

namespace {

// A seqno is 1–20 decimal digits, nothing else ("-1", "1e3", "3abc" refused).
Result<std::uint64_t> parse_seqno(const std::optional<std::string>& text) {
  if (!text || text->empty() || text->size() > 20) return common::invalid_argument("seqno must be a positive decimal number");
  for (char c : *text)
    if (c < '0' || c > '9') return common::invalid_argument("seqno must be a positive decimal number");
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
  if (ec != std::errc() || end != text->data() + text->size() || v == 0)
    return common::invalid_argument("seqno must be a positive decimal number");
  return v;
}

// Map and key of a public-state request; neither is ever echoed in errors.
struct MapKey {
  std::string map, key;
};
Result<MapKey> map_and_key(const HttpRequest& req) {
  auto map = req.query("map");
  auto key = req.query("key");
  if (!map.ok() || !key.ok()) return common::invalid_argument("bad percent-encoding in the query");
  if (!*map || !*key) return common::invalid_argument("'map' and 'key' are required");
  return MapKey{**map, **key};
}

}  // namespace

void register_state_routes(EndpointRegistry& r, NodeServices& s) {
  r.rest({"GET", "/api/public-kv", AuthPolicy::kNone, [&s](const HttpRequest& req) {
            auto mk = map_and_key(req);
            if (!mk.ok()) return error_response(400, mk.status().message());
            auto spec = s.store.map_spec(mk->map);
            if (!spec || spec->visibility != store::Visibility::kPublic) return error_response(404, "no such public map");
            auto v = s.store.public_get(mk->map, common::as_bytes(mk->key));
            if (!v.ok()) return error_response(404, "no such public map");
            if (!*v) return error_response(404, "no such key");
            return json_response({{"map", mk->map}, {"key", mk->key}, {"value", common::to_string(**v)}});
          }});
  // Served from the latest signature entry: asking for a receipt never makes
  // the node sign (anyone could force a signature per request otherwise).
  r.rest({"GET", "/api/receipt", AuthPolicy::kNone, [&s](const HttpRequest& req) {
            auto text = req.query("seqno");
            auto seqno = parse_seqno(text.ok() ? *text : std::nullopt);
            if (!seqno.ok()) return error_response(400, seqno.status().message());
            auto receipt = s.store.receipt(*seqno);
            if (!receipt.ok() && receipt.status().code() == ErrorCode::kUnavailable)
              return json_response({{"status", "pending"}, {"seqno", *seqno},
                                    {"message", "no signature covers this entry yet; the node signs at least once a second"}},
                                   202);
            if (!receipt.ok())
              return error_response(receipt.status().code() == ErrorCode::kNotFound ? 404 : 503, receipt.status().message());
            return json_response(store::receipt_to_json(*receipt));
          }});
  r.rest({"GET", "/api/proof", AuthPolicy::kNone, [&s](const HttpRequest& req) {
            auto mk = map_and_key(req);
            if (!mk.ok()) return error_response(400, mk.status().message());
            auto spec = s.store.map_spec(mk->map);
            if (!spec || spec->visibility != store::Visibility::kPublic)
              return error_response(403, "proofs over REST are served for public maps only");
            auto p = s.store.prove(mk->map, common::as_bytes(mk->key));
            if (!p.ok()) return error_response(400, p.status().message());
            common::Json j = {{"proof", store::state_proof_to_json(p->proof)},
                              {"state_root", common::hex_encode(p->state_root)},
                              {"seqno", p->seqno}};
            if (p->value) j["value"] = common::to_string(*p->value), j["version"] = p->version;
            return json_response(j);
          }});
}

}  // namespace t3n::api
