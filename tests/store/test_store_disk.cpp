// What reaches the disk: persistence, confidentiality, tamper detection and
// crash consistency.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "store/store.h"
#include "store/store_test_util.h"

namespace t3n::store {
namespace {

using namespace t3n::store::testing;

void create(Store& s, const std::string& map, std::vector<std::uint32_t> writers = {1}) {
  auto tx = s.begin(Principal::system());
  ASSERT_TRUE(tx.create_map({map, Visibility::kPrivate, std::move(writers), {}}).ok());
  ASSERT_TRUE(s.commit(tx).ok());
}

void put(Store& s, const std::string& map, std::string_view k, std::string_view v) {
  auto tx = s.begin(Principal::system());
  ASSERT_TRUE(tx.put(map, b(k), b(v)).ok());
  auto r = s.commit(tx);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
}

std::optional<Bytes> get(Store& s, const std::string& map, std::string_view k) {
  auto tx = s.begin(Principal::system());
  auto r = tx.get(map, b(k));
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  return r.ok() ? *r : std::nullopt;
}

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::filesystem::path> files_in(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> out;
  for (const auto& f : std::filesystem::recursive_directory_iterator(dir))
    if (f.is_regular_file()) out.push_back(f.path());
  return out;
}

TEST(StoreDisk, ReopenRestoresStateAndRoots) {
  TempDir dir;
  const std::string map = tenant_map("m");
  Digest32 state_root{}, history_root{};
  Seqno last = 0;
  {
    auto s = must_open(options_for(dir.path()));
    create(*s, map);
    for (int i = 0; i < 20; ++i) put(*s, map, "k" + std::to_string(i), "v" + std::to_string(i));
    auto tx = s->begin(Principal::system());
    ASSERT_TRUE(tx.remove(map, b("k3")).ok());
    ASSERT_TRUE(s->commit(tx).ok());
    ASSERT_TRUE(s->sign_now().ok());
    state_root = s->state_root();
    history_root = s->history_root();
    last = s->last_seqno();
  }
  auto s = must_open(options_for(dir.path()));
  EXPECT_EQ(s->last_seqno(), last);
  EXPECT_EQ(s->state_root(), state_root);
  EXPECT_EQ(s->history_root(), history_root);
  EXPECT_EQ(*get(*s, map, "k7"), b("v7"));
  EXPECT_FALSE(get(*s, map, "k3").has_value());
  EXPECT_TRUE(s->map_spec(map).has_value());
  EXPECT_TRUE(verify_receipt(*s->receipt(5)).ok());
  put(*s, map, "after", "reopen");
  EXPECT_EQ(s->last_seqno(), last + 1);
}

TEST(StoreDisk, KeyRotationKeepsOldEntriesReadable) {
  TempDir dir;
  const std::string map = tenant_map("m");
  {
    auto s = must_open(options_for(dir.path()));
    create(*s, map);
    put(*s, map, "old", "epoch0");
    EXPECT_EQ(s->rotate_ledger_secret(secret(0, 0x99)).code(), ErrorCode::kInvalidArgument);
    ASSERT_TRUE(s->rotate_ledger_secret(secret(1, 0x22)).ok());
    EXPECT_EQ(s->current_epoch(), 1u);
    put(*s, map, "new", "epoch1");
    EXPECT_EQ(s->entry(s->last_seqno())->key_epoch, 1u);
    EXPECT_EQ(s->entry(2)->key_epoch, 0u);
  }
  auto both = options_for(dir.path());
  both.ledger_secrets.push_back(secret(1, 0x22));
  auto s = must_open(std::move(both));
  EXPECT_EQ(*get(*s, map, "old"), b("epoch0"));
  EXPECT_EQ(*get(*s, map, "new"), b("epoch1"));
  s.reset();
  // Without the epoch-1 secret the ledger cannot be read: a clear error, not garbage.
  auto missing = Store::open(options_for(dir.path()));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), ErrorCode::kDataLoss);
  EXPECT_NE(missing.status().message().find("epoch 1"), std::string::npos);
}

TEST(StoreDisk, WrongLedgerSecretIsDetected) {
  TempDir dir;
  {
    auto s = must_open(options_for(dir.path()));
    create(*s, tenant_map("m"));
  }
  auto o = options_for(dir.path());
  o.ledger_secrets[0] = secret(0, 0x12);
  auto s = Store::open(std::move(o));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), ErrorCode::kDataLoss);
}

TEST(StoreDisk, NoPlaintextOfPrivateMapsReachesTheDisk) {
  TempDir dir;
  const std::string map = tenant_map("MarkerMapNameQ7");
  {
    auto s = must_open(options_for(dir.path()));
    create(*s, map);
    create(*s, "markersystemmapq7");
    for (int i = 0; i < 50; ++i) {
      put(*s, map, "MarkerKeyQ7-" + std::to_string(i), "MarkerValueQ7 alice@example.com " + std::to_string(i));
      put(*s, "markersystemmapq7", "MarkerSysKeyQ7", "MarkerSysValueQ7");
    }
    ASSERT_TRUE(s->sign_now().ok());
    ASSERT_TRUE(s->flush().ok());
    put(*s, map, "MarkerKeyQ7-wal", "MarkerValueQ7-in-the-WAL");  // left in the write-ahead log
  }
  std::size_t scanned = 0;
  for (const auto& f : files_in(dir.path())) {
    const std::string content = slurp(f);
    scanned += content.size();
    for (const char* marker : {"MarkerMapNameQ7", "MarkerKeyQ7", "MarkerValueQ7", "alice@example.com",
                               "markersystemmapq7", "MarkerSysKeyQ7", "MarkerSysValueQ7"})
      EXPECT_EQ(content.find(marker), std::string::npos) << marker << " found in " << f;
  }
  EXPECT_GT(scanned, 5000u);
}

TEST(StoreDisk, AFlippedByteInAnyDataFileIsDetected) {
  TempDir dir;
  const std::string map = tenant_map("m");
  std::map<std::string, Bytes> expected;
  {
    auto s = must_open(options_for(dir.path()));
    create(*s, map);
    for (int i = 0; i < 40; ++i) {
      put(*s, map, "k" + std::to_string(i), std::string(100, static_cast<char>('a' + i % 26)));
      expected["k" + std::to_string(i)] = Bytes(100, static_cast<std::uint8_t>('a' + i % 26));
    }
    ASSERT_TRUE(s->flush().ok());
    for (int i = 40; i < 45; ++i) {  // some entries only in the WAL
      put(*s, map, "k" + std::to_string(i), "wal");
      expected["k" + std::to_string(i)] = b("wal");
    }
  }
  int sst_flips = 0, detected = 0, harmless = 0;
  for (const auto& f : files_in(dir.path())) {
    const std::string name = f.filename().string();
    if (name.rfind("LOG", 0) == 0 || name == "LOCK") continue;  // diagnostics, not data
    const std::string original = slurp(f);
    if (original.empty()) continue;
    for (double where : {0.1, 0.5, 0.9}) {
      std::string flipped = original;
      flipped[static_cast<std::size_t>(where * static_cast<double>(flipped.size() - 1))] ^= 0x20;
      { std::ofstream(f, std::ios::binary | std::ios::trunc) << flipped; }
      bool ok = false;
      {
        auto s = Store::open(options_for(dir.path()));
        if (s.ok()) {
          ok = true;
          for (const auto& [k, v] : expected) {
            auto tx = (*s)->begin(Principal::system());
            auto got = tx.get(map, b(k));
            // Never garbage: either the right bytes or an error.
            ASSERT_TRUE(!got.ok() || (got->has_value() && **got == v)) << name << " " << k;
            ok = ok && got.ok();
          }
        } else {
          EXPECT_TRUE(s.status().code() == ErrorCode::kDataLoss || s.status().code() == ErrorCode::kUnavailable ||
                      s.status().code() == ErrorCode::kFailedPrecondition)
              << s.status().to_string();
        }
      }
      if (name.size() > 4 && name.substr(name.size() - 4) == ".sst") {
        ++sst_flips;
        EXPECT_FALSE(ok) << "flip in " << name << " at " << where << " went unnoticed";
      }
      (ok ? harmless : detected)++;
      { std::ofstream(f, std::ios::binary | std::ios::trunc) << original; }
    }
  }
  EXPECT_GT(sst_flips, 0);
  EXPECT_GT(detected, 0);
  // And with every file restored the store opens cleanly.
  auto s = must_open(options_for(dir.path()));
  EXPECT_EQ(*get(*s, map, "k44"), b("wal"));
}

TEST(StoreDisk, KillNineMidCommitLosesNoAcknowledgedTransaction) {
  TempDir dir;
  const std::string map = tenant_map("crash");
  {
    auto s = must_open(options_for(dir.path()));
    create(*s, map);
  }
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(fds[0]);
    auto o = options_for(dir.path());
    o.sync_writes = true;  // acknowledged = durable
    auto s = Store::open(std::move(o));
    if (!s.ok()) ::_exit(2);
    for (std::uint32_t i = 1;; ++i) {
      auto tx = (*s)->begin(Principal::system());
      const std::string n = std::to_string(i);
      if (!tx.put(map, b("k" + n), b("v" + n)).ok() || !tx.put(map, b("last"), b(n)).ok()) ::_exit(3);
      if (!(*s)->commit(tx).ok()) ::_exit(4);
      if (::write(fds[1], &i, sizeof i) != sizeof i) ::_exit(5);  // acknowledge
    }
  }
  ::close(fds[1]);
  std::uint32_t acked = 0, v = 0;
  while (acked < 60 && ::read(fds[0], &v, sizeof v) == sizeof v) acked = v;
  ::kill(child, SIGKILL);
  while (::read(fds[0], &v, sizeof v) == sizeof v) acked = v;  // acks sent before the kill
  ::close(fds[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "child exited on its own with " << WEXITSTATUS(status);
  ASSERT_GE(acked, 60u);

  auto s = must_open(options_for(dir.path()));
  ASSERT_NE(s, nullptr);
  auto last = get(*s, map, "last");
  ASSERT_TRUE(last.has_value());
  const auto committed = static_cast<std::uint32_t>(std::stoul(common::to_string(*last)));
  EXPECT_GE(committed, acked);
  // Exactly the prefix 1..committed, each transaction whole.
  for (std::uint32_t i = 1; i <= committed; ++i)
    ASSERT_EQ(get(*s, map, "k" + std::to_string(i)), b("v" + std::to_string(i))) << i;
  EXPECT_FALSE(get(*s, map, "k" + std::to_string(committed + 1)).has_value());
  EXPECT_EQ(s->last_seqno(), committed + 1);  // + the map creation
}

}  // namespace
}  // namespace t3n::store
