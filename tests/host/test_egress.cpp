// Egress (host/egress.h), placeholders (host/placeholders.h) and the
// http / http-with-placeholders interfaces through a real contract
// (sdk/examples/egress), against an HTTPS upstream stand-in on 127.0.0.1
// started here (certificate for allowed.test, other.test and 127.0.0.1 made
// with the openssl tool). Names are mapped to addresses with the policy's
// resolve overrides: no packet goes anywhere but 127.0.0.1.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <thread>

#include "host/egress.h"
#include "https_upstream.h"
#include "host/host.h"
#include "host/placeholders.h"
#include "runtime/runtime_fixture.h"

namespace t3n::host {
namespace {

using common::Json;

using t3n::testing::Upstream;

// Names → 127.0.0.1 for the stand-in; the rest map to addresses that must
// be refused before any connection.
EgressPolicy test_policy(const Upstream& up, bool allow_private) {
  EgressPolicy p;
  p.allow_private_targets = allow_private;
  p.ca_file = up.ca();
  p.resolve_overrides = {{"allowed.test", "127.0.0.1"}, {"other.test", "127.0.0.1"},     {"api.allowed.test", "127.0.0.1"},
                         {"evil.test", "127.0.0.1"},    {"private.test", "10.0.0.7"},     {"metadata.test", "169.254.169.254"},
                         {"v6local.test", "::1"},       {"mapped.test", "::ffff:127.0.0.1"}, {"cgnat.test", "100.100.100.200"}};
  p.total_timeout_ms = 2000;
  p.max_response_bytes = 16 * 1024;
  return p;
}

const std::vector<std::string> kAllow = {"allowed.test", "*.allowed.test", "other.test", "private.test", "metadata.test",
                                         "v6local.test", "mapped.test", "cgnat.test"};

TEST(EgressRules, AllowListMatchesExactAndStrictSuffix) {
  EXPECT_TRUE(host_allowed("api.example.com", {"api.example.com"}));
  EXPECT_FALSE(host_allowed("example.com", {"*.example.com"}));
  EXPECT_TRUE(host_allowed("a.b.example.com", {"*.example.com"}));
  EXPECT_FALSE(host_allowed("badexample.com", {"*.example.com"}));
  EXPECT_FALSE(host_allowed("api.example.com.evil.test", {"api.example.com"}));
}

TEST(EgressRules, ForbiddenAddresses) {
  for (const char* a : {"127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0",
                        "224.0.0.1", "255.255.255.255", "198.18.0.1", "::1", "::", "fe80::1", "fc00::1", "fd00:ec2::254",
                        "ff02::1", "::ffff:127.0.0.1", "64:ff9b::7f00:1", "2001:db8::1", "2002:7f00:1::1", "not-an-ip"})
    EXPECT_TRUE(is_forbidden_address(a)) << a;
  for (const char* a : {"8.8.8.8", "1.1.1.1", "93.184.216.34", "2606:4700:4700::1111", "2a00:1450:4001:81b::200e"})
    EXPECT_FALSE(is_forbidden_address(a)) << a;
}

class EgressTest : public ::testing::Test {
 protected:
  Upstream up_;
  Egress::Outcome get(const Egress& e, const std::string& url, const std::vector<std::string>& allow = kAllow) {
    return e.send({"GET", url, {}, {}}, allow);
  }
};

TEST_F(EgressTest, SsrfTargetsAreRefusedBeforeAnyConnection) {
  Egress strict(test_policy(up_, /*allow_private=*/false));
  for (const char* host : {"allowed.test", "private.test", "metadata.test", "v6local.test", "mapped.test", "cgnat.test"}) {
    auto out = get(strict, up_.url(host, "/hello"));
    ASSERT_FALSE(out.ok) << host;
    EXPECT_EQ(out.error.kind, EgressError::Kind::kDenied) << host;
    EXPECT_NE(out.error.message.find("non-public"), std::string::npos) << out.error.message;
  }
  EXPECT_EQ(up_.hits(), 0) << "nothing was sent";
}

TEST_F(EgressTest, LiteralsUserinfoSchemesAndUnlistedHostsAreRefused) {
  Egress e(test_policy(up_, true));
  const std::string port = std::to_string(up_.port());
  for (const std::string& url : std::vector<std::string>{
           "https://127.0.0.1:" + port + "/hello", "https://[::1]:" + port + "/hello", "https://2130706433:" + port + "/hello",
        "https://0x7f.1:" + port + "/hello", "https://user@allowed.test:" + port + "/hello",
        "https://allowed.test:x@evil.test:" + port + "/hello", "http://allowed.test:" + port + "/hello",
        "file:///etc/passwd", "gopher://allowed.test/", "ftp://allowed.test/", "https://unlisted.test:" + port + "/hello",
        "https://allowed.test.evil.test:" + port + "/hello", "not a url"}) {
    auto out = get(e, url);
    EXPECT_FALSE(out.ok) << url;
    EXPECT_EQ(out.error.kind, EgressError::Kind::kDenied) << url << ": " << out.error.message;
  }
  EXPECT_EQ(up_.hits(), 0);
}

TEST_F(EgressTest, AnAllowedHostIsReachedOnItsCheckedAddress) {
  Egress e(test_policy(up_, true));
  auto out = get(e, up_.url("allowed.test", "/hello"));
  ASSERT_TRUE(out.ok) << out.error.message;
  EXPECT_EQ(out.response.code, 200);
  EXPECT_EQ(common::to_string(out.response.body), "hello from upstream");
  EXPECT_EQ(up_.last().get_header_value("Host"), "allowed.test:" + std::to_string(up_.port()));
  auto sub = get(e, up_.url("api.allowed.test", "/hello"));
  EXPECT_TRUE(sub.ok) << sub.error.message;
}

TEST_F(EgressTest, RedirectsAreCheckedLikeTheFirstRequest) {
  Egress e(test_policy(up_, true));
  auto evil = get(e, up_.url("allowed.test", "/to-evil"));
  ASSERT_FALSE(evil.ok);
  EXPECT_EQ(evil.error.kind, EgressError::Kind::kDenied);
  EXPECT_NE(evil.error.message.find("redirect refused"), std::string::npos) << evil.error.message;
  EXPECT_EQ(up_.hits(), 1) << "the redirect target was never contacted";
  auto other = get(e, up_.url("allowed.test", "/to-other"));
  ASSERT_TRUE(other.ok) << other.error.message;
  EXPECT_EQ(common::to_string(other.response.body), "hello from upstream");
}

TEST_F(EgressTest, OversizedAndSlowResponsesAreCut) {
  EgressPolicy p = test_policy(up_, true);
  p.total_timeout_ms = 300;
  Egress e(p);
  auto big = get(e, up_.url("allowed.test", "/big"));
  ASSERT_FALSE(big.ok);
  EXPECT_EQ(big.error.kind, EgressError::Kind::kUpstream);
  EXPECT_NE(big.error.message.find("larger than"), std::string::npos) << big.error.message;
  auto slow = get(e, up_.url("allowed.test", "/slow"));
  ASSERT_FALSE(slow.ok);
  EXPECT_NE(slow.error.message.find("timed out"), std::string::npos) << slow.error.message;
}

TEST_F(EgressTest, HostOwnedHeadersAndInjectionAreRefused) {
  Egress e(test_policy(up_, true));
  for (const auto& h : std::vector<std::pair<std::string, std::string>>{
           {"Host", "evil.test"}, {"Content-Length", "1"}, {"Transfer-Encoding", "chunked"}, {"X-A", "1\r\nX-B: 2"},
           {"Bad Name", "x"}, {"Proxy-Authorization", "x"}}) {
    auto out = e.send({"GET", up_.url("allowed.test", "/hello"), {h}, {}}, kAllow);
    EXPECT_FALSE(out.ok) << h.first;
  }
  EXPECT_FALSE(e.send({"TRACE", up_.url("allowed.test", "/hello"), {}, {}}, kAllow).ok);
  EXPECT_EQ(up_.hits(), 0);
}

// ---- placeholders, as a pure function ----

const Json kProfile = {{"email_address", "ada@example.com"},
                       {"verified_contacts", {{"email", {{"value", "ada+work@example.com"}}}}},
                       {"payout", {{"account_number", "GB33\"BUKB"}}},
                       {"note", "line\r\nX-Evil: 1"}};

std::optional<EgressRequest> fill(EgressRequest r, PlaceholderFailure& why, const std::vector<std::string>& allow = {"email_address", "profile.verified_contacts", "payout", "note"}) {
  return substitute_placeholders(r, &kProfile, allow, why);
}

TEST(Placeholders, EachPositionGetsItsEscaping) {
  PlaceholderFailure why;
  EgressRequest r{"POST", "https://a.test/x?to={{profile.email_address}}&n=1", {{"X-Email", "{{profile.email_address}}"}, {"Content-Type", "application/json"}},
                  common::to_bytes(R"({"a":"{{profile.payout.account_number}}","b":{{profile.verified_contacts.email}}})")};
  auto out = fill(r, why);
  ASSERT_TRUE(out) << why.message;
  EXPECT_EQ(out->url, "https://a.test/x?to=ada%40example.com&n=1");
  EXPECT_EQ(out->headers[0].second, "ada@example.com");
  EXPECT_EQ(common::to_string(out->body), R"({"a":"GB33\"BUKB","b":{"value":"ada+work@example.com"}})");
  auto parsed = Json::parse(common::to_string(out->body));
  EXPECT_EQ(parsed["a"], "GB33\"BUKB");
}

TEST(Placeholders, RefusalsNameThePathNeverTheValue) {
  PlaceholderFailure why;
  EXPECT_FALSE(fill({"GET", "https://{{profile.email_address}}/x", {}, {}}, why));
  EXPECT_EQ(why.kind, PlaceholderFailure::Kind::kDenied);
  EXPECT_FALSE(fill({"GET", "https://a.test/{{profile.email_address}}", {}, {}}, why));
  EXPECT_EQ(why.kind, PlaceholderFailure::Kind::kDenied);
  EXPECT_FALSE(fill({"GET", "https://a.test/?x={{profile.secret}}", {}, {}}, why, {"email_address"}));
  EXPECT_EQ(why.kind, PlaceholderFailure::Kind::kDenied);
  EXPECT_FALSE(fill({"GET", "https://a.test/?x={{profile.email_address_2}}", {}, {}}, why, {"email_address"})) << "prefix is by segment";
  EXPECT_FALSE(fill({"GET", "https://a.test/?x={{profile.payout.iban}}", {}, {}}, why));
  EXPECT_EQ(why.kind, PlaceholderFailure::Kind::kUnknown);
  EXPECT_FALSE(fill({"GET", "https://a.test/", {{"X", "{{profile.note}}"}}, {}}, why));
  EXPECT_EQ(why.kind, PlaceholderFailure::Kind::kDenied);
  EXPECT_FALSE(fill({"GET", "https://a.test/?x={{user.email}}", {}, {}}, why));
  EXPECT_EQ(why.kind, PlaceholderFailure::Kind::kDenied);
  EXPECT_EQ(why.message.find("ada"), std::string::npos);
  PlaceholderFailure none;
  EXPECT_FALSE(substitute_placeholders({"GET", "https://a.test/?x={{profile.email_address}}", {}, {}}, nullptr, {"email_address"}, none));
  EXPECT_EQ(none.kind, PlaceholderFailure::Kind::kNoUserContext);
}

// ---- through a contract ----

class HttpContractTest : public runtime::testing::RuntimeFixture {
 protected:
  void SetUp() override {
    RuntimeFixture::SetUp();
    egress_ = std::make_unique<Egress>(test_policy(up_, true));
    auto r = runtime::Runtime::create(runtime::RuntimeOptions{}, core_registry(nullptr, egress_.get()));
    ASSERT_TRUE(r.ok());
    rt_ = std::move(*r);
  }
  runtime::CallOutcome run(std::string_view fn, const std::string& url, std::optional<Json> profile,
                           std::vector<std::string> placeholders = {"email_address", "verified_contacts"}) {
    runtime::Manifest m = runtime::testing::manifest_with({"http", "http_with_placeholders", "logging", "outbox", "kv_store", "tenant_context"});
    m.http_allow_list = {"allowed.test"};
    m.placeholder_allowlist = std::move(placeholders);
    auto c = rt_->load(runtime::testing::read_contract("egress"), m);
    EXPECT_TRUE(c.ok()) << c.status().to_string();
    if (!c.ok()) return {};
    runtime::CallContext ctx;
    ctx.tenant_tid = store::testing::tid();
    if (profile) ctx.user_profile = common::to_bytes(profile->dump());
    auto out = rt_->call(**c, fn, url, ctx);
    log_ = ctx.contract_log;
    egress_bytes_ = ctx.egress_bytes;
    return out;
  }
  Upstream up_;
  std::unique_ptr<Egress> egress_;
  std::unique_ptr<runtime::Runtime> rt_;
  std::vector<std::string> log_;
  std::uint64_t egress_bytes_ = 0;
};

TEST_F(HttpContractTest, AContractFetchesFromItsAllowedHostOnly) {
  auto ok = run("fetch", up_.url("allowed.test", "/hello"), std::nullopt);
  ASSERT_TRUE(ok.ok) << ok.message;
  EXPECT_EQ(ok.response, "200 hello from upstream");
  EXPECT_GT(egress_bytes_, 0u);
  auto refused = run("fetch", up_.url("other.test", "/hello"), std::nullopt);
  ASSERT_FALSE(refused.ok);
  EXPECT_NE(refused.message.find("egress-denied"), std::string::npos) << refused.message;
}

TEST_F(HttpContractTest, TheUpstreamGetsTheProfileTheContractNeverSees) {
  const Json profile = {{"email_address", "ada@example.com"}, {"verified_contacts", {{"email", {{"value", "ada.work@example.com"}}}}}};
  auto out = run("notify", up_.url("allowed.test", "/notify"), profile);
  ASSERT_TRUE(out.ok) << out.message;
  const auto got = up_.last();
  EXPECT_EQ(got.get_header_value("x-user-email"), "ada@example.com");
  EXPECT_EQ(Json::parse(got.body), (Json{{"email", "ada@example.com"}, {"contact", "ada.work@example.com"}}));
  // Everything the contract could see — its result and its log — holds markers only.
  const std::string seen = out.response.dump();
  EXPECT_EQ(seen.find("ada"), std::string::npos) << seen;
  EXPECT_NE(seen.find("{{profile.email_address}}"), std::string::npos) << seen;
  for (const auto& line : log_) EXPECT_EQ(line.find("ada"), std::string::npos) << line;
}

TEST_F(HttpContractTest, PlaceholderFailuresAreTheTypedVariant) {
  auto no_user = run("notify", up_.url("allowed.test", "/notify"), std::nullopt);
  ASSERT_FALSE(no_user.ok);
  EXPECT_NE(no_user.message.find("placeholder-no-user-context"), std::string::npos) << no_user.message;
  auto denied = run("notify", up_.url("allowed.test", "/notify"), Json{{"email_address", "a@b.c"}}, {"email_address"});
  ASSERT_FALSE(denied.ok);
  EXPECT_NE(denied.message.find("placeholder-denied"), std::string::npos) << denied.message;
  auto unknown = run("notify", up_.url("allowed.test", "/notify"), Json{{"email_address", "a@b.c"}});
  ASSERT_FALSE(unknown.ok);
  EXPECT_NE(unknown.message.find("placeholder-unknown"), std::string::npos) << unknown.message;
  EXPECT_EQ(unknown.message.find("a@b.c"), std::string::npos);
  EXPECT_EQ(up_.hits(), 0) << "nothing was sent for a request that could not be filled";
}

}  // namespace
}  // namespace t3n::host
