#include <gtest/gtest.h>

#include "api/bhttp.h"
#include "test_util.h"

namespace t3n::api {
namespace {

using t3n::testing::hex;

HeaderFields fields(const common::Json& j) {
  HeaderFields out;
  for (const auto& f : j) out.emplace_back(f[0].get<std::string>(), f[1].get<std::string>());
  return out;
}

TEST(Bhttp, Rfc9292Examples) {
  auto v = t3n::testing::load_vectors("crypto/ohttp/rfc9292-bhttp-examples.json");
  int n = 0;
  for (const auto& e : v["examples"]) {
    const auto& d = e["decoded"];
    const Bytes data = hex(e["hex"]);
    SCOPED_TRACE(e["name"].get<std::string>());
    if (d["kind"] == "request") {
      auto r = decode_bhttp_request(data);
      ASSERT_TRUE(r.ok()) << r.status().to_string();
      EXPECT_EQ(r->method, d["method"]);
      EXPECT_EQ(r->scheme, d["scheme"]);
      EXPECT_EQ(r->authority, d["authority"]);
      EXPECT_EQ(r->path, d["path"]);
      EXPECT_EQ(r->headers, fields(d["header_fields"]));
      EXPECT_EQ(r->header("HOST"), "www.example.com");
      if (d["length_mode"] == "known-length") {
        EXPECT_EQ(encode_bhttp_request(*r), data);
      }
    } else {
      auto r = decode_bhttp_response(data);
      ASSERT_TRUE(r.ok()) << r.status().to_string();
      EXPECT_EQ(r->status, d["status"].get<int>());
      EXPECT_EQ(r->headers, fields(d["header_fields"]));
      EXPECT_EQ(common::to_string(r->content), d["content"].get<std::string>());
      EXPECT_EQ(r->trailers, fields(d["trailer_fields"]));
      ASSERT_EQ(r->informational.size(), d["informational_responses"].size());
      for (std::size_t i = 0; i < r->informational.size(); ++i) {
        EXPECT_EQ(r->informational[i].status, d["informational_responses"][i]["status"].get<int>());
        EXPECT_EQ(r->informational[i].headers, fields(d["informational_responses"][i]["header_fields"]));
      }
      if (d["length_mode"] == "known-length") {
        EXPECT_EQ(encode_bhttp_response(*r), data);
      }
    }
    ++n;
  }
  EXPECT_EQ(n, 4);
}

TEST(Bhttp, RoundTripAndBadInput) {
  BhttpRequest q{"POST", "https", "node.t3n", "/api/rpc", {{"content-type", "application/json"}},
                 common::to_bytes(R"({"jsonrpc":"2.0"})"), {}};
  Bytes enc = encode_bhttp_request(q);
  auto back = decode_bhttp_request(enc);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->content, q.content);
  EXPECT_EQ(back->header("content-type"), "application/json");
  // Every truncation of the control data is an error; padding is fine, garbage is not.
  for (std::size_t cut = 1; cut < 20; ++cut) EXPECT_FALSE(decode_bhttp_request(ByteView(enc).first(cut)).ok()) << cut;
  Bytes padded = enc;
  padded.insert(padded.end(), 5, 0);
  EXPECT_TRUE(decode_bhttp_request(padded).ok());
  Bytes garbage = enc;
  garbage.push_back(7);
  EXPECT_FALSE(decode_bhttp_request(garbage).ok());
  EXPECT_FALSE(decode_bhttp_request(Bytes{}).ok());
  EXPECT_FALSE(decode_bhttp_request(Bytes{1}).ok());  // a response framing
  EXPECT_FALSE(decode_bhttp_response(Bytes{0x01, 0x40, 0x32}).ok());  // status 50
  BhttpLimits small;
  small.max_content = 4;
  EXPECT_FALSE(decode_bhttp_request(enc, small).ok());
  BhttpRequest bad_header = q;
  bad_header.headers.push_back({"bad name", "x"});
  EXPECT_FALSE(decode_bhttp_request(encode_bhttp_request(bad_header)).ok());
}

}  // namespace
}  // namespace t3n::api
