// Component types rendered in WIT syntax ("result<option<list<u8>>, string>"),
// so imports can be compared structurally (names, field and case order) and
// errors can show what a contract declared.
#pragma once

#include <string>
#include <wasmtime/component.hh>

namespace t3n::runtime {

std::string describe_type(const wasmtime::component::ValType& type);
// "func(map-name: string, key: list<u8>) -> result<_, string>"
std::string describe_func(const wasmtime::component::FuncType& type);

}  // namespace t3n::runtime
