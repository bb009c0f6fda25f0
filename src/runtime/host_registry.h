// The host interfaces a node offers. The runtime links an interface into a
// contract only when its manifest grants it; `src/host` fills the registry.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <wasmtime/component.hh>

#include "common/status.h"
#include "runtime/call_context.h"

namespace t3n::runtime {

using wasmtime::component::Val;
using ValArgs = wasmtime::Span<wasmtime::component::Val>;

// A host function: reads `args`, writes `results` (already sized to the
// function's result count). A non-ok Status traps the guest; typed errors
// the interface defines are written into `results` instead.
using HostFn = std::function<Status(CallContext& ctx, const ValArgs& args, ValArgs& results)>;

struct HostFunction {
  std::string signature;  // WIT, as describe_func renders it: checked at deploy
  HostFn fn;
};

struct HostInterface {
  std::string name;        // "host:interfaces/kv-store@2.1.0"
  std::string capability;  // manifest name: "kv_store"
  std::map<std::string, HostFunction> functions;
};

class HostRegistry {
 public:
  void add(HostInterface iface) {
    std::string name = iface.name;
    interfaces_.emplace(std::move(name), std::move(iface));
  }
  const HostInterface* find(std::string_view name) const {
    auto it = interfaces_.find(std::string(name));
    return it == interfaces_.end() ? nullptr : &it->second;
  }
  const std::map<std::string, HostInterface>& all() const { return interfaces_; }

 private:
  std::map<std::string, HostInterface> interfaces_;
};

}  // namespace t3n::runtime
