// JSON ⇄ component values, driven by the component's own types, so any
// exported function can be called from JSON-RPC.
//
// Mapping:
//   bool ↔ true/false; integers ↔ JSON integers (range-checked); f32/f64 ↔ numbers;
//   char ↔ one-character string; string ↔ string;
//   list<u8> ← a JSON array of 0..255, {"base64": "…"}, a string (its UTF-8 bytes),
//              or any other JSON value (its compact text: so `input: option<list<u8>>`
//              takes the request's JSON as T3N contracts expect);
//   list<u8> → the JSON it contains when it is valid UTF-8 JSON, else {"base64": "…"};
//   list<T> ↔ array; tuple ↔ array of the exact length;
//   record ↔ object by field name (kebab-case; snake_case accepted on input),
//            a missing option field is none, unknown fields are refused;
//   variant ↔ {"case": payload} or "case" for a case without payload;
//   enum ↔ "case"; flags ↔ array of names; option<T> ↔ null or T;
//   result<T, E> ↔ {"ok": T} or {"err": E}.
// Errors name the path of the offending field ("input.amount").
#pragma once

#include <string>
#include <wasmtime/component.hh>

#include "common/json.h"
#include "common/status.h"

namespace t3n::runtime {

Result<wasmtime::component::Val> json_to_val(const common::Json& json, const wasmtime::component::ValType& type,
                                             const std::string& path);
common::Json val_to_json(const wasmtime::component::Val& val);

// Byte helpers for host functions.
wasmtime::component::Val bytes_to_val(ByteView bytes);
Result<Bytes> val_to_bytes(const wasmtime::component::Val& val, std::string_view what);

}  // namespace t3n::runtime
