#include "runtime/wit_types.h"

namespace t3n::runtime {

using wasmtime::component::ValType;

std::string describe_type(const ValType& t) {
  if (t.is_bool()) return "bool";
  if (t.is_s8()) return "s8";
  if (t.is_s16()) return "s16";
  if (t.is_s32()) return "s32";
  if (t.is_s64()) return "s64";
  if (t.is_u8()) return "u8";
  if (t.is_u16()) return "u16";
  if (t.is_u32()) return "u32";
  if (t.is_u64()) return "u64";
  if (t.is_f32()) return "f32";
  if (t.is_f64()) return "f64";
  if (t.is_char()) return "char";
  if (t.is_string()) return "string";
  if (t.is_list()) return "list<" + describe_type(t.list().element()) + ">";
  if (t.is_option()) return "option<" + describe_type(t.option().ty()) + ">";
  if (t.is_result()) {
    auto ok = t.result().ok();
    auto err = t.result().err();
    if (!ok && !err) return "result";
    return "result<" + (ok ? describe_type(*ok) : std::string("_")) + (err ? ", " + describe_type(*err) : "") + ">";
  }
  if (t.is_tuple()) {
    std::string s = "tuple<";
    for (size_t i = 0; i < t.tuple().types_count(); ++i) {
      if (i > 0) s += ", ";
      s += describe_type(*t.tuple().types_nth(i));
    }
    return s + ">";
  }
  if (t.is_record()) {
    std::string s = "record { ";
    for (size_t i = 0; i < t.record().field_count(); ++i) {
      auto f = t.record().field_nth(i);
      if (i > 0) s += ", ";
      s += std::string(f->first) + ": " + describe_type(f->second);
    }
    return s + " }";
  }
  if (t.is_variant()) {
    std::string s = "variant { ";
    for (size_t i = 0; i < t.variant().case_count(); ++i) {
      auto c = t.variant().case_nth(i);
      if (i > 0) s += ", ";
      s += std::string(c->first);
      if (c->second) s += "(" + describe_type(*c->second) + ")";
    }
    return s + " }";
  }
  if (t.is_enum()) {
    std::string s = "enum { ";
    for (size_t i = 0; i < t.enum_().names_count(); ++i) {
      if (i > 0) s += ", ";
      s += std::string(*t.enum_().names_nth(i));
    }
    return s + " }";
  }
  if (t.is_flags()) {
    std::string s = "flags { ";
    for (size_t i = 0; i < t.flags().names_count(); ++i) {
      if (i > 0) s += ", ";
      s += std::string(*t.flags().names_nth(i));
    }
    return s + " }";
  }
  if (t.is_own()) return "own<resource>";
  if (t.is_borrow()) return "borrow<resource>";
  if (t.is_future()) return "future";
  if (t.is_stream()) return "stream";
  if (t.is_error_context()) return "error-context";
  if (t.is_map()) return "map";
  return "unknown";
}

std::string describe_func(const wasmtime::component::FuncType& f) {
  std::string s = "func(";
  for (size_t i = 0; i < f.param_count(); ++i) {
    auto p = f.param_nth(i);
    if (i > 0) s += ", ";
    s += std::string(p->first) + ": " + describe_type(p->second);
  }
  s += ")";
  if (auto r = f.result()) s += " -> " + describe_type(*r);
  return s;
}

}  // namespace t3n::runtime
