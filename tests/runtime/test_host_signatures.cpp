// The node's host functions must match wit/ exactly: compares every
// registered signature with a component built from the WIT files.
#include <gtest/gtest.h>

#include <set>

#include "host/host.h"
#include "runtime/runtime_fixture.h"
#include "runtime/wit_types.h"

namespace t3n::runtime {
namespace {

TEST(HostSignatures, MatchTheWitFiles) {
  wasmtime::Config config;
  config.wasm_component_model(true);
  wasmtime::Engine engine(std::move(config));
  Bytes wasm = testing::read_contract("host-api-reference");
  auto component = wasmtime::component::Component::compile(engine, wasmtime::Span<uint8_t>(wasm.data(), wasm.size()));
  ASSERT_TRUE(component) << component.err().message();
  auto registry = host::core_registry();
  const auto type = component.ok().type();
  std::set<std::string> seen;
  std::size_t compared = 0;
  for (std::size_t i = 0; i < type.import_count(engine); ++i) {
    auto imp = type.import_nth(engine, i);
    ASSERT_TRUE(imp.has_value());
    const HostInterface* iface = registry->find(imp->first);
    if (iface == nullptr) continue;  // interfaces this node does not provide yet
    seen.insert(iface->name);
    const auto& inst = imp->second.component_instance();
    std::set<std::string> wit_functions;
    for (std::size_t f = 0; f < inst.export_count(engine); ++f) {
      auto fn = inst.export_nth(engine, f);
      if (!fn || !fn->second.is_component_func()) continue;
      wit_functions.insert(std::string(fn->first));
      auto host_fn = iface->functions.find(std::string(fn->first));
      ASSERT_NE(host_fn, iface->functions.end()) << iface->name << " lacks " << fn->first;
      EXPECT_EQ(host_fn->second.signature, describe_func(fn->second.component_func())) << iface->name << "#" << fn->first;
      ++compared;
    }
    for (const auto& [name, fn] : iface->functions)
      EXPECT_TRUE(wit_functions.count(name)) << iface->name << "#" << name << " is not in wit/";
  }
  for (const auto& [name, iface] : registry->all()) EXPECT_TRUE(seen.count(name)) << name << " is not in wit/";
  EXPECT_GE(compared, 20u);
}

}  // namespace
}  // namespace t3n::runtime
