// The session channel's untrusted inputs: multipart bodies (executeWithBlob)
// and sealed messages for a live session (base64-free bytes here: the
// transport decodes base64 first). Garbage must be refused without creating
// or changing anything; what one session seals must open only there, once.
#include <cstdlib>
#include <string>
#include <string_view>

#include "api/session_auth.h"
#include "api/session_client.h"
#include "api/sessions.h"

using namespace t3n;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 3) {
    case 0: {
      (void)api::parse_session_multipart("multipart/form-data; boundary=xYzZY", rest);
      // The content type is attacker text too.
      const auto cut = rest.find('\n');
      if (cut != std::string_view::npos) (void)api::parse_session_multipart(rest.substr(0, cut), rest.substr(cut + 1));
      break;
    }
    case 1: {
      std::uint64_t now = 1'000'000;
      api::SessionTable table(api::SessionLimits{}, [&] { return now; });
      const Bytes secret(32, 7);
      auto id = table.create(secret, std::nullopt);
      if (!id.ok()) std::abort();
      // Unsealed bytes never open.
      if (table.open(*id, ByteView(data + 1, size - 1)).ok()) std::abort();
      break;
    }
    default: {
      std::uint64_t now = 1'000'000;
      api::SessionTable table(api::SessionLimits{}, [&] { return now; });
      const Bytes secret(32, 9);
      auto a = table.create(secret, std::nullopt);
      auto b = table.create(secret, std::nullopt);
      if (!a.ok() || !b.ok()) std::abort();
      auto keys = api::derive_session_keys(secret);
      if (!keys.ok()) std::abort();
      auto sealed = api::session_seal(keys->c2s, ByteView(data + 1, size - 1));
      if (!sealed.ok()) std::abort();
      auto opened = table.open(*a, *sealed);
      if (!opened.ok() || *opened != Bytes(data + 1, data + size)) std::abort();
      if (table.open(*a, *sealed).ok()) std::abort();  // replay
      break;
    }
  }
  return 0;
}
