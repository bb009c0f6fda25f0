#include "runtime/runtime.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <any>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <map>
#include <stop_token>
#include <thread>

#include "common/encoding.h"
#include "crypto/aead.h"
#include "crypto/kdf.h"
#include "crypto/random.h"
#include "runtime/values.h"
#include "runtime/wit_types.h"

// native/src/lib.rs: wasmtime_store_limiter with trap_on_grow_failure.
extern "C" int t3n_store_limiter_trapping(wasmtime_store_t* store, std::int64_t memory_size,
                                          std::int64_t table_elements, std::int64_t instances, std::int64_t tables,
                                          std::int64_t memories);

namespace t3n::runtime {

namespace wc = wasmtime::component;
using common::Json;

std::string_view call_error_name(CallErrorKind kind) {
  switch (kind) {
    case CallErrorKind::kUnknownFunction: return "unknown_function";
    case CallErrorKind::kBadInput: return "bad_input";
    case CallErrorKind::kContractError: return "contract_error";
    case CallErrorKind::kTrap: return "trap";
    case CallErrorKind::kOutOfFuel: return "out_of_fuel";
    case CallErrorKind::kDeadlineExceeded: return "deadline_exceeded";
    case CallErrorKind::kStackOverflow: return "stack_overflow";
    case CallErrorKind::kMemoryLimit: return "memory_limit";
    case CallErrorKind::kHostError: return "host_error";
    case CallErrorKind::kHostCallLimit: return "host_call_limit";
  }
  return "unknown";
}

namespace {

constexpr std::string_view kHostErrorPrefix = "t3n host error: ";
constexpr std::string_view kCacheAad = "t3n/compiled-component/v1";

Status wasm_error(const wasmtime::Error& e, std::string_view what) {
  return common::invalid_argument(std::string(what) + ": " + e.message());
}

// Is this export name the contract interface? ("contracts", "ns:pkg/contracts", "…/contracts@1.2.3")
bool is_contracts_export(std::string_view name) {
  if (name == "contracts") return true;
  auto slash = name.rfind('/');
  if (slash == std::string_view::npos) return false;
  std::string_view tail = name.substr(slash + 1);
  return tail == "contracts" || tail.rfind("contracts@", 0) == 0;
}

bool is_generic_input(const wc::ValType& t) {
  if (!t.is_record() || t.record().field_count() != 3) return false;
  const char* names[] = {"input", "user-profile", "context"};
  for (std::size_t i = 0; i < 3; ++i) {
    auto f = t.record().field_nth(i);
    if (!f || f->first != names[i]) return false;
    if (!f->second.is_option()) return false;
  }
  return true;
}

CallErrorKind classify(const std::string& message) {
  if (message.find(kHostErrorPrefix) != std::string::npos) return CallErrorKind::kHostError;
  if (message.find("all fuel consumed") != std::string::npos) return CallErrorKind::kOutOfFuel;
  if (message.find("wasm trap: interrupt") != std::string::npos) return CallErrorKind::kDeadlineExceeded;
  if (message.find("call stack exhausted") != std::string::npos) return CallErrorKind::kStackOverflow;
  if (message.find("forcing trap when growing memory") != std::string::npos ||
      message.find("memory allocation") != std::string::npos || message.find("out of memory") != std::string::npos)
    return CallErrorKind::kMemoryLimit;
  return CallErrorKind::kTrap;
}

std::string client_message(CallErrorKind kind, const std::string& message) {
  switch (kind) {
    case CallErrorKind::kOutOfFuel: return "the call ran out of fuel";
    case CallErrorKind::kDeadlineExceeded: return "the call exceeded its time limit";
    case CallErrorKind::kStackOverflow: return "the contract overflowed its stack";
    case CallErrorKind::kMemoryLimit: return "the contract exceeded its memory limit";
    case CallErrorKind::kHostCallLimit:
      return "the call exceeded its limit of " + std::to_string(kMaxHostCallsPerCall) + " host calls";
    case CallErrorKind::kHostError: {
      auto at = message.find(kHostErrorPrefix);
      std::string m = message.substr(at + kHostErrorPrefix.size());
      return m.substr(0, m.find('\n'));
    }
    default: {
      // The trap's own line (e.g. "wasm trap: wasm `unreachable` instruction executed"),
      // never the backtrace, which goes to the node log.
      auto at = message.find("wasm trap:");
      if (at == std::string::npos) return "the contract trapped";
      return message.substr(at, message.find('\n', at) - at);
    }
  }
}

void append_log(CallContext& ctx, std::string_view stream, std::string_view text) {
  if (ctx.contract_log_bytes >= kMaxLogBytesPerCall) return;
  std::string line(stream);
  line += ": ";
  line += text.substr(0, kMaxLogLineBytes);
  ctx.contract_log_bytes += line.size();
  ctx.contract_log.push_back(std::move(line));
}

ptrdiff_t stdout_sink(void* data, const unsigned char* buf, size_t len) {
  append_log(*static_cast<CallContext*>(data), "stdout", std::string_view(reinterpret_cast<const char*>(buf), len));
  return static_cast<ptrdiff_t>(len);
}
ptrdiff_t stderr_sink(void* data, const unsigned char* buf, size_t len) {
  append_log(*static_cast<CallContext*>(data), "stderr", std::string_view(reinterpret_cast<const char*>(buf), len));
  return static_cast<ptrdiff_t>(len);
}

Json minted_context(const CallContext& ctx) {
  Json j = {{"tenant", ctx.tenant_tid},
            {"contract_id", ctx.contract_id},
            {"seqno", ctx.seqno},
            {"timestamp_ms", ctx.cluster_timestamp_ms},
            {"request_id", ctx.request_id}};
  if (ctx.calling_user_did) j["caller"] = common::hex_encode(*ctx.calling_user_did);
  if (ctx.vc_id) j["vc_id"] = *ctx.vc_id;
  return j;
}

// An import that is neither WASI nor a host interface: it links, and every
// function in it traps when called (HOST-API.md, "WASI").
Status link_trapping(wc::Linker& linker, wasmtime::Engine& engine, const std::string& name,
                     const wc::ComponentItem& item) {
  auto trap = [name](const std::string& fname) {
    return [msg = "called " + name + (fname.empty() ? "" : "#" + fname) + ", which this node does not provide"](
               wasmtime::Store::Context, const wc::FuncType&, wasmtime::Span<wc::Val>,
               wasmtime::Span<wc::Val>) -> wasmtime::Result<std::monostate> {
      return wasmtime::Error(std::string(kHostErrorPrefix) + msg);
    };
  };
  if (item.is_component_func()) {
    auto added = linker.root().add_func(name, trap(""));
    if (!added) return wasm_error(added.err(), "linking " + name);
    return {};
  }
  if (!item.is_component_instance())
    return common::invalid_argument("imports " + name + ", which is neither a function nor an interface");
  const auto& inst = item.component_instance();
  auto li = linker.root().add_instance(name);
  if (!li) return wasm_error(li.err(), "linking " + name);
  wc::LinkerInstance instance = li.unwrap();
  for (std::size_t f = 0; f < inst.export_count(engine); ++f) {
    auto e = inst.export_nth(engine, f);
    if (!e) continue;
    if (e->second.is_resource())
      return common::invalid_argument("imports " + name + ", an unknown interface with resources; it cannot be linked");
    if (!e->second.is_component_func()) continue;
    auto added = instance.add_func(e->first, trap(std::string(e->first)));
    if (!added) return wasm_error(added.err(), "linking " + name);
  }
  return {};
}

// A file descriptor closed when it goes out of scope.
struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

std::string errno_text() { return std::strerror(errno); }

enum class CacheRead { kMissing, kTooLarge, kRead, kFailed };

// Reads at most `cap` bytes of a cached artifact: its size is checked on the
// open descriptor before anything is read, so an oversized (or growing) file
// never costs more than `cap` bytes of memory.
CacheRead read_cache_file(const std::filesystem::path& path, std::uint64_t cap, Bytes& out, std::uint64_t& size) {
  Fd f(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (f.fd < 0) return errno == ENOENT ? CacheRead::kMissing : CacheRead::kFailed;
  struct stat st {};
  if (::fstat(f.fd, &st) != 0 || !S_ISREG(st.st_mode)) return CacheRead::kFailed;
  size = static_cast<std::uint64_t>(st.st_size);
  if (size > cap) return CacheRead::kTooLarge;
  out.resize(static_cast<std::size_t>(size));
  std::size_t got = 0;
  while (got < out.size()) {
    const ssize_t n = ::read(f.fd, out.data() + got, out.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return CacheRead::kFailed;
    got += static_cast<std::size_t>(n);
  }
  return CacheRead::kRead;
}

// Writes `data` to a temporary file of its own (random name, O_EXCL) beside
// `path` and renames it over `path`: concurrent writers of one artifact never
// share a file, and readers see a whole artifact or none.
Status write_cache_file(const std::filesystem::path& path, ByteView data) {
  T3N_ASSIGN_OR_RETURN(Bytes suffix, crypto::random_vector(8));
  std::filesystem::path tmp = path;
  tmp += "." + common::hex_encode(suffix) + ".tmp";
  {
    Fd f(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (f.fd < 0) return common::internal_error("cannot create " + tmp.filename().string() + ": " + errno_text());
    std::size_t put = 0;
    while (put < data.size()) {
      const ssize_t n = ::write(f.fd, data.data() + put, data.size() - put);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        const std::string why = errno_text();
        ::unlink(tmp.c_str());
        return common::internal_error("cannot write " + tmp.filename().string() + ": " + why);
      }
      put += static_cast<std::size_t>(n);
    }
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = errno_text();
    ::unlink(tmp.c_str());
    return common::internal_error("cannot rename " + tmp.filename().string() + ": " + why);
  }
  return {};
}

// The cap on a cached artifact: Cranelift's output plus metadata stays well
// under 32× the component's wasm size (js-greeter: 12.1 MB → 43.3 MB sealed,
// 3.6×), and small components get a fixed floor.
constexpr std::uint64_t kCacheCapFloor = 64ull << 20;
constexpr std::uint64_t kCacheCapPerWasmByte = 32;

}  // namespace

// ---------------------------------------------------------------------------

struct Contract::Impl {
  crypto::Digest32 hash{};
  Manifest manifest;
  bool from_cache = false;
  wc::Component component;
  mutable wc::Linker linker;  // instantiate() is &self in Wasmtime: safe to share
  std::string export_interface;
  std::map<std::string, wc::ExportIndex> functions;
};

Contract::Contract(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Contract::~Contract() = default;
const crypto::Digest32& Contract::code_hash() const { return impl_->hash; }
const Manifest& Contract::manifest() const { return impl_->manifest; }
const std::string& Contract::export_interface() const { return impl_->export_interface; }
bool Contract::loaded_from_cache() const { return impl_->from_cache; }
std::vector<std::string> Contract::functions() const {
  std::vector<std::string> out;
  for (const auto& [name, idx] : impl_->functions) out.push_back(name);
  return out;
}

struct Runtime::Impl {
  // Fresh per-call store: fuel, epoch deadline, memory/table/instance limits,
  // WASI with nothing granted (stdout/stderr into the call's log).
  Status prepare_store(wasmtime::Store& store, CallContext& ctx, const Limits& limits) {
    wasmtime::Store::Context cx = store.context();
    cx.set_data(&ctx);
    if (!cx.set_fuel(limits.fuel)) return common::internal_error("fuel is not enabled");
    const std::uint64_t tick = std::max<std::uint64_t>(opts.epoch_tick_ms, 1);
    cx.set_epoch_deadline((limits.timeout_ms + tick - 1) / tick + 1);
    // Refused growth traps (native/src/lib.rs) so the call reports
    // memory_limit instead of whatever the contract does with a -1.
    if (t3n_store_limiter_trapping(store.capi(), static_cast<std::int64_t>(limits.memory_mib << 20), 200'000, 64, 64,
                                   8) != 0)
      return common::internal_error("store limiter setup failed");
    wasmtime::WasiConfig wasi;
    wasi_config_set_stdout_custom(wasi.capi(), stdout_sink, &ctx, nullptr);
    wasi_config_set_stderr_custom(wasi.capi(), stderr_sink, &ctx, nullptr);
    if (!cx.set_wasi(std::move(wasi))) return common::internal_error("WASI setup failed");
    return {};
  }

  RuntimeOptions opts;
  std::shared_ptr<const HostRegistry> hosts;
  wasmtime::Engine engine;
  std::optional<SecretBytes> cache_key;
  std::atomic<std::uint64_t> ticks{0};
  std::jthread ticker;  // declared last: stops before the engine goes away

  Impl(RuntimeOptions o, std::shared_ptr<const HostRegistry> h, wasmtime::Engine e)
      : opts(std::move(o)), hosts(std::move(h)), engine(std::move(e)) {}

  Result<wc::Component> compile_or_load(ByteView bytes, const crypto::Digest32& hash, bool& from_cache) {
    std::optional<std::filesystem::path> path;
    Bytes aad = common::to_bytes(kCacheAad);
    common::append(aad, hash);
    const std::string short_hash = common::hex_encode(hash).substr(0, 16);
    const std::uint64_t cap = opts.max_cached_artifact_bytes != 0
                                  ? opts.max_cached_artifact_bytes
                                  : std::max<std::uint64_t>(kCacheCapFloor, kCacheCapPerWasmByte * bytes.size());
    if (opts.cache_dir && cache_key) {
      path = *opts.cache_dir / (common::hex_encode(hash) + ".cwasm");
      Bytes sealed;
      std::uint64_t size = 0;
      switch (read_cache_file(*path, cap, sealed, size)) {
        case CacheRead::kMissing: break;
        case CacheRead::kFailed: opts.log.warn("compiled component {} could not be read, recompiling", short_hash); break;
        case CacheRead::kTooLarge:
          opts.log.warn("compiled component {} is {} bytes, above the cache cap of {} bytes; recompiling", short_hash, size, cap);
          break;
        case CacheRead::kRead: {
          auto plain = crypto::open_box(crypto::AeadAlg::kAes256Gcm, *cache_key, aad, sealed);
          if (plain.ok()) {
            auto c = wc::Component::deserialize(engine, wasmtime::Span<uint8_t>(plain->data(), plain->size()));
            if (c) {
              from_cache = true;
              return c.unwrap();
            }
            opts.log.warn("compiled component {} is stale, recompiling", short_hash);
          } else {
            opts.log.warn("compiled component {} failed authentication, recompiling", short_hash);
          }
          break;
        }
      }
    }
    auto compiled = wc::Component::compile(engine, wasmtime::Span<uint8_t>(const_cast<std::uint8_t*>(bytes.data()), bytes.size()));
    if (!compiled) return wasm_error(compiled.err(), "not a valid WebAssembly component");
    wc::Component component = compiled.unwrap();
    if (path) {
      auto serialized = component.serialize();
      if (serialized) {
        auto sealed = crypto::seal_box(crypto::AeadAlg::kAes256Gcm, *cache_key, aad, serialized.ok());
        if (sealed.ok() && sealed->size() > cap) {
          opts.log.warn("compiled component {} is {} bytes, above the cache cap of {} bytes; not cached", short_hash,
                        sealed->size(), cap);
        } else if (sealed.ok()) {
          std::error_code ec;
          std::filesystem::create_directories(*opts.cache_dir, ec);
          if (Status w = write_cache_file(*path, *sealed); !w.ok())
            opts.log.warn("could not write the compile cache: {}", w.message());
        }
      }
    }
    return component;
  }
};

Runtime::Runtime(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Runtime::~Runtime() = default;

Result<std::unique_ptr<Runtime>> Runtime::create(RuntimeOptions options, std::shared_ptr<const HostRegistry> hosts) {
  if (!hosts) return common::invalid_argument("runtime needs a host registry");
  if (options.cache_dir && !options.cache_secret)
    return common::invalid_argument("a compile cache directory needs a cache secret");
  if (!options.clock) options.clock = steady_clock_ns;
  wasmtime::Config config;
  config.wasm_component_model(true);
  config.epoch_interruption(true);
  config.consume_fuel(true);
  config.max_wasm_stack(options.max_wasm_stack);
  config.cranelift_opt_level(wasmtime::OptLevel::Speed);
  config.parallel_compilation(true);
  wasmtime::PoolAllocationConfig pool;
  const std::uint32_t n = std::max<std::uint32_t>(options.max_instances, 1);
  pool.total_component_instances(n);
  pool.total_core_instances(n * 16);
  pool.total_memories(n * 4);
  pool.total_tables(n * 16);
  pool.max_core_instances_per_component(64);
  pool.max_memories_per_component(8);
  pool.max_tables_per_component(32);
  pool.max_memory_size(static_cast<std::size_t>(options.ceilings.memory_mib) << 20);
  pool.table_elements(200'000);
  pool.max_core_instance_size(4 << 20);
  pool.max_component_instance_size(4 << 20);
  config.pooling_allocation_strategy(pool);
  wasmtime::Engine engine(std::move(config));

  auto impl = std::make_unique<Impl>(std::move(options), std::move(hosts), std::move(engine));
  if (impl->opts.cache_secret) {
    T3N_ASSIGN_OR_RETURN(SecretBytes k, crypto::derive_key(*impl->opts.cache_secret, "runtime/compile-cache", {}, 32));
    impl->cache_key = std::move(k);
  }
  const auto tick = std::chrono::milliseconds(std::max<std::uint64_t>(impl->opts.epoch_tick_ms, 1));
  Impl* raw = impl.get();
  impl->ticker = std::jthread([raw, tick](std::stop_token stop) {
    while (!stop.stop_requested()) {
      std::this_thread::sleep_for(tick);
      raw->engine.increment_epoch();
      raw->ticks.fetch_add(1, std::memory_order_relaxed);
    }
  });
  return std::unique_ptr<Runtime>(new Runtime(std::move(impl)));
}

std::uint64_t Runtime::epoch_ticks() const { return impl_->ticks.load(); }

Result<std::shared_ptr<const Contract>> Runtime::load(ByteView bytes, Manifest manifest) {
  if (bytes.size() < 8) return common::invalid_argument("not a WebAssembly component (too short)");
  auto c = std::make_unique<Contract::Impl>(Contract::Impl{crypto::sha256(bytes), std::move(manifest), false,
                                                           wc::Component(nullptr), wc::Linker(impl_->engine), {}, {}});
  T3N_ASSIGN_OR_RETURN(c->component, impl_->compile_or_load(bytes, c->hash, c->from_cache));
  auto& engine = impl_->engine;
  const wc::ComponentType type = c->component.type();

  // Imports: every host interface must be granted and match exactly.
  auto wasi = c->linker.add_wasip2();
  if (!wasi) return wasm_error(wasi.err(), "linking WASI");
  for (std::size_t i = 0; i < type.import_count(engine); ++i) {
    auto imp = type.import_nth(engine, i);
    if (!imp) continue;
    const std::string name(imp->first);
    if (name.rfind("wasi:", 0) == 0) continue;  // satisfied by WASI with nothing granted
    if (imp->second.is_component_instance()) {
      // Interfaces that only define types (shared records) need no host.
      bool has_funcs = false;
      const auto& it = imp->second.component_instance();
      for (std::size_t f = 0; f < it.export_count(engine) && !has_funcs; ++f) {
        auto e = it.export_nth(engine, f);
        has_funcs = e && e->second.is_component_func();
      }
      if (!has_funcs) continue;
    }
    const HostInterface* iface = impl_->hosts->find(name);
    const bool host_namespace = name.rfind("host:", 0) == 0 || name.rfind("t3n:", 0) == 0;
    if (iface == nullptr) {
      if (host_namespace) return Status(ErrorCode::kUnimplemented, "imports " + name + ", which this node does not provide");
      T3N_RETURN_IF_ERROR(link_trapping(c->linker, engine, name, imp->second));
      continue;
    }
    if (!c->manifest.grants(iface->capability))
      return common::permission_denied("imports " + name + ", which its manifest does not grant (capability '" +
                                       iface->capability + "')");
    if (!imp->second.is_component_instance())
      return common::invalid_argument("imports " + name + " as something other than an interface");
    const auto& inst_type = imp->second.component_instance();
    auto linker_inst = c->linker.root().add_instance(name);
    if (!linker_inst) return wasm_error(linker_inst.err(), "linking " + name);
    wc::LinkerInstance li = linker_inst.unwrap();
    for (std::size_t f = 0; f < inst_type.export_count(engine); ++f) {
      auto fn = inst_type.export_nth(engine, f);
      if (!fn || !fn->second.is_component_func()) continue;
      const std::string fname(fn->first);
      auto host_fn = iface->functions.find(fname);
      if (host_fn == iface->functions.end())
        return common::invalid_argument(name + "#" + fname + ": this node's " + name + " has no such function");
      const std::string declared = describe_func(fn->second.component_func());
      if (declared != host_fn->second.signature)
        return common::invalid_argument(name + "#" + fname + ": the contract declares " + declared +
                                        " but the host provides " + host_fn->second.signature);
      HostFn callback = host_fn->second.fn;
      auto added = li.add_func(fname, [callback](wasmtime::Store::Context cx, const wc::FuncType&,
                                                 wasmtime::Span<wc::Val> args,
                                                 wasmtime::Span<wc::Val> results) -> wasmtime::Result<std::monostate> {
        auto* ctx = std::any_cast<CallContext*>(cx.get_data());
        if (++ctx->host_calls > kMaxHostCallsPerCall) {
          ctx->host_call_limit_hit = true;  // classified by this flag, not by the trap's text
          return wasmtime::Error(std::string(kHostErrorPrefix) + "host call limit reached");
        }
        ValArgs a = args;
        ValArgs r = results;
        Status s = callback(*ctx, a, r);
        if (!s.ok()) return wasmtime::Error(std::string(kHostErrorPrefix) + s.message());
        return std::monostate();
      });
      if (!added) return wasm_error(added.err(), "linking " + name + "#" + fname);
    }
  }
  // (Wasmtime's define_unknown_imports_as_traps also redefines WASI's
  // resource types and breaks WASI linking, so unknown imports get trapping
  // functions here instead.)

  // Exports: the `contracts` interface and its functions.
  for (std::size_t i = 0; i < type.export_count(engine); ++i) {
    auto exp = type.export_nth(engine, i);
    if (!exp || !exp->second.is_component_instance() || !is_contracts_export(exp->first)) continue;
    c->export_interface = std::string(exp->first);
    auto iface_index = c->component.export_index(nullptr, exp->first);
    if (!iface_index) break;
    const auto& inst_type = exp->second.component_instance();
    for (std::size_t f = 0; f < inst_type.export_count(engine); ++f) {
      auto fn = inst_type.export_nth(engine, f);
      if (!fn || !fn->second.is_component_func()) continue;
      auto idx = c->component.export_index(&*iface_index, fn->first);
      if (idx) c->functions.emplace(std::string(fn->first), *idx);
    }
  }
  if (c->export_interface.empty())
    return common::invalid_argument("the component exports no `contracts` interface");

  // A trial instantiation, under the contract's own limits, so a component
  // that cannot link or whose start code fails is refused now, not per call.
  {
    wasmtime::Store store(engine);
    CallContext probe;
    probe.manifest = &c->manifest;
    T3N_RETURN_IF_ERROR(impl_->prepare_store(store, probe, c->manifest.limits));
    auto inst = c->linker.instantiate(store.context(), c->component);
    if (!inst) {
      const std::string m = inst.err().message();
      return common::invalid_argument("the component cannot be instantiated: " + m.substr(0, m.find('\n')));
    }
  }
  return std::shared_ptr<const Contract>(new Contract(std::move(c)));
}

CallOutcome Runtime::call(const Contract& contract, std::string_view function, const Json& input, CallContext& ctx) {
  const auto& c = *contract.impl_;
  CallOutcome out;
  const MonotonicClock& clock = impl_->opts.clock;
  const std::uint64_t t0 = clock();
  auto finish = [&](CallOutcome o) {
    const std::uint64_t t1 = clock();
    o.elapsed = std::chrono::microseconds(t1 > t0 ? (t1 - t0) / 1000 : 0);
    return o;
  };
  auto fail = [&](CallErrorKind kind, std::string message) {
    out.ok = false;
    out.error = kind;
    out.message = std::move(message);
    return finish(std::move(out));
  };

  auto fidx = c.functions.find(std::string(function));
  if (fidx == c.functions.end()) return fail(CallErrorKind::kUnknownFunction, "the contract has no function '" + std::string(function) + "'");
  const Limits& limits = c.manifest.limits;
  ctx.manifest = &c.manifest;
  ctx.clock = &clock;
  ctx.started_ns = t0;
  ctx.writes = WriteBudget(impl_->opts.write_limits);
  ctx.host_call_limit_hit = false;

  wasmtime::Store store(impl_->engine);
  wasmtime::Store::Context cx = store.context();
  if (Status s = impl_->prepare_store(store, ctx, limits); !s.ok()) return fail(CallErrorKind::kHostError, s.message());

  auto report_trap = [&](const wasmtime::Error& e) {
    const std::string message = e.message();
    const CallErrorKind kind = ctx.host_call_limit_hit ? CallErrorKind::kHostCallLimit : classify(message);
    impl_->opts.log.warn("contract {} function {} failed ({}): {} request_id={}",
                         common::hex_encode(c.hash).substr(0, 16), function, call_error_name(kind), message,
                         ctx.request_id);
    auto remaining = cx.get_fuel();
    if (remaining) out.fuel_consumed = limits.fuel - std::min(limits.fuel, remaining.ok());
    return fail(kind, client_message(kind, message));
  };

  auto instance = c.linker.instantiate(cx, c.component);
  if (!instance) return report_trap(instance.err());
  auto func = instance.ok().get_func(cx, fidx->second);
  if (!func) return fail(CallErrorKind::kUnknownFunction, "function '" + std::string(function) + "' is not callable");
  const wc::FuncType ftype = func->type(cx);

  // Arguments from JSON, by type.
  std::vector<wc::Val> args;
  const std::size_t nparams = ftype.param_count();
  if (nparams == 1) {
    auto p = ftype.param_nth(0);
    if (is_generic_input(p->second)) {
      std::vector<std::pair<std::string_view, wc::Val>> fields;
      auto opt_bytes = [](std::optional<Bytes> b) {
        return b ? wc::Val(wc::WitOption(bytes_to_val(*b))) : wc::Val(wc::WitOption(std::nullopt));
      };
      fields.emplace_back("input", opt_bytes(input.is_null() ? std::nullopt : std::optional<Bytes>(common::to_bytes(input.dump()))));
      fields.emplace_back("user-profile", opt_bytes(ctx.user_profile));
      fields.emplace_back("context", opt_bytes(common::to_bytes(minted_context(ctx).dump())));
      args.emplace_back(wc::Record(std::move(fields)));
    } else {
      auto v = json_to_val(input, p->second, "");
      if (!v.ok()) return fail(CallErrorKind::kBadInput, v.status().message());
      args.push_back(std::move(*v));
    }
  } else if (nparams > 1) {
    for (std::size_t i = 0; i < nparams; ++i) {
      auto p = ftype.param_nth(i);
      const std::string pname(p->first);
      const Json* arg = nullptr;
      if (input.is_object() && input.contains(pname)) arg = &input[pname];
      else if (input.is_array() && i < input.size()) arg = &input[i];
      static const Json kNull;
      auto v = json_to_val(arg != nullptr ? *arg : kNull, p->second, pname);
      if (!v.ok()) return fail(CallErrorKind::kBadInput, v.status().message());
      args.push_back(std::move(*v));
    }
  }
  std::vector<wc::Val> results;
  if (ftype.result()) results.emplace_back(false);

  auto called = func->call(cx, wasmtime::Span<const wc::Val>(args.data(), args.size()),
                           wasmtime::Span<wc::Val>(results.data(), results.size()));
  if (!called) return report_trap(called.err());
  (void)func->post_return(cx);
  if (auto remaining = cx.get_fuel()) out.fuel_consumed = limits.fuel - std::min(limits.fuel, remaining.ok());

  if (results.empty()) {
    out.ok = true;
    out.response = nullptr;
    return finish(std::move(out));
  }
  const wc::Val& r = results[0];
  if (r.is_result()) {
    const auto& res = r.get_result();
    if (!res.is_ok()) {
      std::string msg = res.payload() == nullptr ? std::string("error")
                        : res.payload()->is_string() ? std::string(res.payload()->get_string())
                                                     : val_to_json(*res.payload()).dump();
      if (msg.size() > 4096) msg.resize(4096);
      return fail(CallErrorKind::kContractError, msg);
    }
    out.ok = true;
    out.response = res.payload() == nullptr ? Json(nullptr) : val_to_json(*res.payload());
    return finish(std::move(out));
  }
  out.ok = true;
  out.response = val_to_json(r);
  return finish(std::move(out));
}

}  // namespace t3n::runtime
