// The endpoint families, one file each; node/ calls these to fill the registry.
#pragma once

#include "api/dispatcher.h"
#include "api/endpoints.h"
#include "api/http_server.h"
#include "api/services.h"

namespace t3n::api {

void register_execute_endpoints(EndpointRegistry& r, NodeServices& s);    // rpc_execute.cpp
void register_contract_endpoints(EndpointRegistry& r, NodeServices& s);   // rpc_contracts.cpp
void register_data_endpoints(EndpointRegistry& r, NodeServices& s);       // rpc_data.cpp
void register_identity_endpoints(EndpointRegistry& r, NodeServices& s);   // rpc_identity.cpp
void register_node_routes(EndpointRegistry& r, NodeServices& s);         // rest_node.cpp
void register_state_routes(EndpointRegistry& r, NodeServices& s);         // rest_state.cpp
void register_attestation_routes(EndpointRegistry& r, NodeServices& s);   // rest_attestation.cpp
void register_sdk_routes(EndpointRegistry& r, NodeServices& s);           // rest_sdk.cpp
void register_token_endpoints(EndpointRegistry& r, NodeServices& s);      // rpc_token.cpp
void register_admin_routes(EndpointRegistry& r, NodeServices& s);         // rest_admin.cpp
void register_kyc_routes(EndpointRegistry& r, NodeServices& s);           // rest_kyc.cpp
// auth.authenticate, auth.add-authenticator, audit.get-mine
// (session_auth.cpp); served on the session channel only.
void register_session_endpoints(EndpointRegistry& r, NodeServices& s);
// The transports in front of the dispatcher: POST /api/ohttp and, in dev
// plaintext mode, POST /api/rpc (transport_ohttp.cpp).
void register_transports(EndpointRegistry& r, NodeServices& s, Dispatcher& d);

// Every family above.
void register_all_endpoints(EndpointRegistry& r, NodeServices& s, Dispatcher& d);

}  // namespace t3n::api
