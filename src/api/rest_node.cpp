// GET /status, /api/trust-manifest, /api/signing-keys, /api/attestation, /ohttp-keys, /metrics.
#include "api/routes.h"
#include "common/encoding.h"

namespace t3n::api {

void register_node_routes(EndpointRegistry& r, NodeServices& s) {
  r.rest({"GET", "/status", AuthPolicy::kNone, [&s](const HttpRequest&) {
            // status/encaps_key/cookie_signer/dkg_attestation: the T3N SDK's shape.
            // A standalone node says so ("standalone", not a Raft role it
            // does not have); a cluster member reports its Raft view.
            common::Json st = {{"status", "Ready"}, {"node_id", s.info.node_id}, {"version", T3N_VERSION},
                               {"raft_role", "standalone"}, {"replicated", false}, {"seqno", s.store.last_seqno()}, {"measurement", "simulated"},
                               {"tee", s.info.tee}, {"dev", s.info.dev}, {"audience", s.info.audience},
                               {"metering", s.system != nullptr && s.system->env.metering.enabled() ? "on" : "off"},
                               {"tenant_self_admit", s.system != nullptr && s.system->env.tenancy.self_admit}};
            if (s.cluster_status) {
              st["replicated"] = true;
              const common::Json raft = s.cluster_status();
              for (const auto& [k, v] : raft.items()) st[k] = v;
            }
            if (s.sessions != nullptr) {
              st["encaps_key"] = common::base64_encode(s.sessions->kem.encapsulation_key);
              st["cookie_signer"] = s.sessions->cookie_signer;
              st["dkg_attestation"] = s.sessions->dkg_attestation;
            }
            return json_response(st);
          }});
  r.rest({"GET", "/api/tee-registry", AuthPolicy::kNone, [&s](const HttpRequest& req) {
            // Public by design, like /api/attestation: which TEEs the members
            // run and what the cluster verified of them.
            if (!s.tee_registry)
              return json_response({{"replicated", false}, {"members", common::Json::array()},
                                    {"note", "a standalone node: no cluster members to register"}});
            auto tee_type = req.query("tee_type");
            if (!tee_type.ok()) return error_response(400, "malformed query");
            const std::string provider = tee_type->value_or("");
            if (provider.size() > 64) return error_response(400, "tee_type: at most 64 characters");
            auto j = s.tee_registry(provider);
            if (!j.ok()) return error_response(503, std::string(error_code_name(j.status().code())));
            return json_response(*j);
          }});
  r.rest({"GET", "/api/trust-manifest", AuthPolicy::kNone, [&s](const HttpRequest&) {
            common::Json configs = common::Json::array();
            for (const auto& c : s.gateway.key_configs()) configs.push_back(common::hex_encode(encode_key_config(c)));
            return json_response({{"node_id", s.info.node_id},
                                  {"ed25519_public_key", common::base64url_encode(s.signing.ed25519.public_key())},
                                  {"mldsa65_public_key", common::base64url_encode(s.signing.mldsa.public_key)},
                                  {"ohttp_key_configs", configs},
                                  {"audience", s.info.audience},
                                  {"tee", s.info.tee}});
          }});
  r.rest({"GET", "/api/signing-keys", AuthPolicy::kNone,
          [&s](const HttpRequest&) { return json_response(s.signing_keys_public); }});
  r.rest({"GET", "/api/attestation", AuthPolicy::kNone, [&s](const HttpRequest&) { return json_response(s.attestation_doc); }});
  r.rest({"GET", "/ohttp-keys", AuthPolicy::kNone, [&s](const HttpRequest&) {
            Bytes keys = encode_key_configs(s.gateway.key_configs());
            return HttpResponse{200, std::string(kOhttpKeysMediaType), common::to_string(keys), {}};
          }});
  r.rest({"GET", "/metrics", AuthPolicy::kNone, [&s](const HttpRequest&) {
            const Metrics& m = s.metrics;
            std::string out;
            out += render_counter("t3n_http_requests_total", "HTTP requests served.", m.requests);
            out += render_counter("t3n_ohttp_requests_total", "Oblivious HTTP requests.", m.ohttp_requests);
            out += render_counter("t3n_rpc_errors_total", "JSON-RPC calls that returned an error.", m.rpc_errors);
            out += render_counter("t3n_replays_refused_total", "Requests refused as replays.", m.replays_refused);
            out += render_counter("t3n_contract_calls_total{outcome=\"ok\"}", "Contract calls by outcome.", m.calls_ok);
            out += "t3n_contract_calls_total{outcome=\"failed\"} " + std::to_string(m.calls_failed.load()) + "\n";
            out += render_counter("t3n_commits_total", "Transactions committed by requests.", m.commits);
            out += render_counter("t3n_conflicts_retried_total", "OCC conflicts retried.", m.conflicts_retried);
            out += render_counter("t3n_contract_egress_bytes_total", "Bytes contracts sent and received over http.", m.egress_bytes);
            out += render_counter("t3n_contract_fuel_total", "Fuel consumed by contract calls.", m.fuel);
            out += render_counter("t3n_contract_call_microseconds_total", "Time spent in contract calls.", m.call_micros);
            out += m.call_seconds.render("t3n_contract_call_duration_seconds", "Contract call latency (sandbox only).");
            out += m.ohttp_seconds.render("t3n_ohttp_request_duration_seconds", "End-to-end OHTTP request latency.");
            out += render_gauge("t3n_ledger_seqno", "Last committed sequence number.", static_cast<double>(s.store.last_seqno()));
            out += render_gauge("t3n_replay_window_entries", "Nonces remembered in the freshness window.",
                                static_cast<double>(s.replay.size()));
            if (s.sessions != nullptr) {
              const SessionStats st = s.sessions->table.stats();
              out += render_gauge("t3n_sessions_open", "T3N sessions held.", static_cast<double>(st.open));
              out += "# HELP t3n_session_handshakes_total T3N session handshakes.\n# TYPE t3n_session_handshakes_total counter\n";
              out += "t3n_session_handshakes_total " + std::to_string(st.handshakes) + "\n";
              out += "# HELP t3n_sessions_evicted_total Sessions dropped to stay within sessions.max_sessions.\n"
                     "# TYPE t3n_sessions_evicted_total counter\n";
              out += "t3n_sessions_evicted_total " + std::to_string(st.evicted) + "\n";
              out += "# HELP t3n_session_refused_total Session messages refused, by reason.\n# TYPE t3n_session_refused_total counter\n";
              for (const auto& [reason, n] : st.refused)
                out += "t3n_session_refused_total{reason=\"" + reason + "\"} " + std::to_string(n) + "\n";
            }
            if (s.http_stats) {
              const HttpServerStats h = s.http_stats();
              out += render_gauge("t3n_http_connections_open", "Open HTTP connections.", static_cast<double>(h.connections_open));
              out += render_counter("t3n_http_refused_total{reason=\"body_too_large\"}", "HTTP requests refused by limits.",
                                    h.refused_body_too_large);
              out += "t3n_http_refused_total{reason=\"header_timeout\"} " + std::to_string(h.refused_header_timeout) + "\n";
              out += "t3n_http_refused_total{reason=\"body_timeout\"} " + std::to_string(h.refused_body_timeout) + "\n";
              out += "t3n_http_refused_total{reason=\"too_many_connections\"} " + std::to_string(h.refused_too_many_connections) + "\n";
              out += "t3n_http_refused_total{reason=\"bad_request\"} " + std::to_string(h.bad_requests) + "\n";
            }
            return HttpResponse{200, "text/plain; version=0.0.4", std::move(out), {}};
          }});
}

}  // namespace t3n::api
