// node.toml loading: the shipped example loads; [oidc.<name>] tables become
// providers; bad providers and typos are errors that say what is wrong;
// t3nd dev's --oidc spec parses the same way.
#include <gtest/gtest.h>

#include <fstream>

#include "node/node.h"
#include "store/store_test_util.h"

namespace t3n::node {
namespace {

Result<NodeConfig> load_text(const store::testing::TempDir& dir, const std::string& text) {
  const auto path = dir.path() / "node.toml";
  std::ofstream(path) << text;
  return load_node_config(path);
}

TEST(NodeConfig, TheShippedExampleLoads) {
  auto c = load_node_config(std::string(T3N_SOURCE_DIR) + "/config/node.example.toml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_TRUE(c->oidc_providers.empty());
  EXPECT_EQ(c->session_limits.max_sessions, 100000u);
}

TEST(NodeConfig, OidcTablesBecomeProviders) {
  store::testing::TempDir dir;
  auto c = load_text(dir, R"(
[oidc.google]
issuer = "https://accounts.google.com"
jwks_url = "https://www.googleapis.com/oauth2/v3/certs"
client_ids = ["a.apps.googleusercontent.com", "b"]
[oidc.corp]
issuer = "https://login.corp.example"
jwks_url = "https://login.corp.example/jwks"
client_ids = ["t3n"]
ca_file = "/etc/corp-ca.pem"
)");
  ASSERT_TRUE(c.ok()) << c.status().message();
  ASSERT_EQ(c->oidc_providers.size(), 2u);
  const auto& g = c->oidc_providers[0].name == "google" ? c->oidc_providers[0] : c->oidc_providers[1];
  EXPECT_EQ(g.issuer, "https://accounts.google.com");
  EXPECT_EQ(g.client_ids.size(), 2u);
}

TEST(NodeConfig, BadProvidersAndTyposSayWhatIsWrong) {
  store::testing::TempDir dir;
  auto http = load_text(dir, "[oidc.g]\nissuer = \"https://i\"\njwks_url = \"http://i/jwks\"\nclient_ids = [\"c\"]\n");
  ASSERT_FALSE(http.ok());
  EXPECT_NE(http.status().message().find("https://"), std::string::npos) << http.status().message();
  auto typo = load_text(dir, "[oidc.g]\nissuer = \"https://i\"\njwks_uri = \"https://i/jwks\"\nclient_ids = [\"c\"]\n");
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(typo.status().message().find("jwks_uri"), std::string::npos) << typo.status().message();
  auto no_client = load_text(dir, "[oidc.g]\nissuer = \"https://i\"\njwks_url = \"https://i/jwks\"\n");
  EXPECT_FALSE(no_client.ok());
}

TEST(NodeConfig, DevOidcSpecParses) {
  auto p = parse_oidc_provider_spec("name=google,issuer=https://i,jwks_url=https://i/jwks,client_id=a,client_id=b,ca_file=/x.pem");
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(p->name, "google");
  EXPECT_EQ(p->client_ids, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(p->ca_file, "/x.pem");
  EXPECT_FALSE(parse_oidc_provider_spec("name=g,issuer=https://i,jwks_url=https://i/jwks").ok());
  EXPECT_FALSE(parse_oidc_provider_spec("name=g,colour=blue").ok());
  EXPECT_FALSE(parse_oidc_provider_spec("garbage").ok());
}

// [cluster_config], [providers.<id>] and [signing] (the host interfaces'
// operator configuration): shapes kept, bad values named.
TEST(NodeConfig, ClusterConfigProvidersAndIssuers) {
  store::testing::TempDir dir;
  auto c = load_text(dir, R"(
[cluster_config]
region = "eu-1"
max_items = 7
[providers.kyc]
secret_contracts = ["z:aaaa:kyc"]
[providers.kyc.config]
url = "https://api.kyc.example"
levels = ["basic", "full"]
[providers.kyc.secret]
api_key = "k"
[signing]
default_issuer = "acme"
[signing.issuers.acme]
iss = "https://issuer.acme.example"
)");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->cluster_config.at("region"), "eu-1");
  EXPECT_EQ(c->cluster_config.at("max_items").get<std::uint64_t>(), 7u);
  ASSERT_EQ(c->providers.count("kyc"), 1u);
  EXPECT_EQ(c->providers.at("kyc").config["levels"][1], "full");
  EXPECT_EQ(c->providers.at("kyc").secret["api_key"], "k");
  EXPECT_EQ(c->providers.at("kyc").secret_contracts, std::vector<std::string>{"z:aaaa:kyc"});
  EXPECT_EQ(c->sd_jwt_issuers.at("acme"), "https://issuer.acme.example");
  EXPECT_EQ(c->default_issuer, "acme");

  auto negative = load_text(dir, "[cluster_config]\nlimit = -1\n");
  ASSERT_FALSE(negative.ok());
  EXPECT_NE(negative.status().message().find("cluster_config.limit"), std::string::npos);
  auto nested = load_text(dir, "[cluster_config.deep]\nx = 1\n");
  EXPECT_FALSE(nested.ok()) << "cluster configuration is flat";
  auto orphan = load_text(dir, "[signing]\ndefault_issuer = \"nobody\"\n");
  ASSERT_FALSE(orphan.ok());
  EXPECT_NE(orphan.status().message().find("default_issuer"), std::string::npos);
  auto typo = load_text(dir, "[providers.kyc]\nsecret_contract = [\"x\"]\n");
  EXPECT_FALSE(typo.ok()) << "an unknown provider key is a typo";
}

TEST(NodeConfig, TrustedIssuersOfVpVerify) {
  store::testing::TempDir dir;
  auto key = crypto::P256PrivateKey::generate();
  ASSERT_TRUE(key.ok());
  common::Json jwk = host::p256_jwk(key->public_key());
  jwk["kid"] = "2026-1";
  const std::string jwks = common::Json{{"keys", {jwk}}}.dump();
  auto c = load_text(dir, "[vp]\ntrust_own_issuers = false\n[vp.trusted_issuers.gov]\niss = \"https://issuer.gov.example\"\njwks = '" + jwks + "'\n");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_FALSE(c->trust_own_issuers);
  ASSERT_EQ(c->trusted_issuers.size(), 1u);
  EXPECT_EQ(c->trusted_issuers[0].iss, "https://issuer.gov.example");
  ASSERT_EQ(c->trusted_issuers[0].keys.size(), 1u);
  EXPECT_EQ(c->trusted_issuers[0].keys[0].first, "2026-1");
  EXPECT_EQ(c->trusted_issuers[0].keys[0].second, key->public_key());
  EXPECT_TRUE(load_text(dir, "[node]\nid = \"n\"\n")->trust_own_issuers) << "own issuers are trusted by default";

  auto rsa = load_text(dir, "[vp.trusted_issuers.gov]\niss = \"https://i\"\njwks = '{\"keys\":[{\"kty\":\"RSA\",\"n\":\"x\",\"e\":\"AQAB\"}]}'\n");
  ASSERT_FALSE(rsa.ok()) << "a key that cannot verify ES256 is refused, not skipped";
  EXPECT_NE(rsa.status().message().find("vp.trusted_issuers.gov.jwks"), std::string::npos) << rsa.status().message();
  auto no_keys = load_text(dir, "[vp.trusted_issuers.gov]\niss = \"https://i\"\njwks = '{\"keys\":[]}'\n");
  EXPECT_FALSE(no_keys.ok());
  auto no_jwks = load_text(dir, "[vp.trusted_issuers.gov]\niss = \"https://i\"\n");
  EXPECT_FALSE(no_jwks.ok());
}

}  // namespace
}  // namespace t3n::node
