#include <gtest/gtest.h>

#include "common/encoding.h"

namespace t3n::common {
namespace {

// RFC 4648 §10 test vectors.
struct Rfc4648Case {
  const char* in;
  const char* b64;
  const char* b32;
};
constexpr Rfc4648Case kRfc4648[] = {
    {"", "", ""},
    {"f", "Zg==", "my"},
    {"fo", "Zm8=", "mzxq"},
    {"foo", "Zm9v", "mzxw6"},
    {"foob", "Zm9vYg==", "mzxw6yq"},
    {"fooba", "Zm9vYmE=", "mzxw6ytb"},
    {"foobar", "Zm9vYmFy", "mzxw6ytboi"},
};

TEST(Encoding, Rfc4648Base64AndBase32) {
  for (const auto& c : kRfc4648) {
    Bytes in = to_bytes(c.in);
    EXPECT_EQ(base64_encode(in), c.b64);
    EXPECT_EQ(base32_encode(in), c.b32);
    EXPECT_EQ(*base64_decode(c.b64), in);
    EXPECT_EQ(*base32_decode(c.b32), in);
    std::string url = c.b64;
    while (!url.empty() && url.back() == '=') url.pop_back();
    EXPECT_EQ(base64url_encode(in), url);
    EXPECT_EQ(*base64url_decode(url), in);
  }
}

TEST(Encoding, HexRoundTripAndPrefix) {
  Bytes b{0x00, 0xab, 0xff};
  EXPECT_EQ(hex_encode(b), "00abff");
  EXPECT_EQ(*hex_decode("00ABff"), b);
  EXPECT_EQ(*hex_decode("0x00abff"), b);
  EXPECT_EQ(hex_decode("abc").status().code(), ErrorCode::kInvalidArgument);
  auto bad = hex_decode("zz");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("position 0"), std::string::npos);
}

TEST(Encoding, Base58btcKnownAnswers) {
  // Bitcoin alphabet; leading zero bytes become '1'.
  EXPECT_EQ(base58btc_encode(to_bytes("Hello World!")), "2NEpo7TZRRrLZSi2U");
  EXPECT_EQ(base58btc_encode(Bytes{0, 0, 0x28, 0x7f, 0xb4, 0xcd}), "11233QC4");
  EXPECT_EQ(*base58btc_decode("11233QC4"), (Bytes{0, 0, 0x28, 0x7f, 0xb4, 0xcd}));
  EXPECT_EQ(base58btc_encode({}), "");
  EXPECT_EQ(*base58btc_decode(""), Bytes{});
  EXPECT_FALSE(base58btc_decode("0OIl").ok());  // not in the alphabet
}

TEST(Encoding, DecodersAreStrict) {
  EXPECT_FALSE(base64url_decode("Zg=").ok());    // padding is not base64url
  EXPECT_FALSE(base64url_decode("Zh").ok());     // non-zero trailing bits
  EXPECT_FALSE(base64url_decode("Z").ok());      // impossible length
  EXPECT_FALSE(base64_decode("Zm9").ok());       // missing padding
  EXPECT_FALSE(base64_decode("Zm+/Zg=a").ok());  // '=' in the middle
  EXPECT_FALSE(base32_decode("MZXW6").ok());     // upper case is not the lower alphabet
  EXPECT_FALSE(base32_decode("mzx").ok());       // impossible length
  EXPECT_FALSE(base32_decode("mz").ok());        // non-zero trailing bits
}

TEST(Encoding, MultibaseRoundTripsEveryBase) {
  Bytes data{0x01, 0x70, 0x12, 0x20, 0xff};
  for (auto base : {Multibase::kBase16, Multibase::kBase32, Multibase::kBase58btc, Multibase::kBase64url}) {
    std::string text = multibase_encode(base, data);
    EXPECT_EQ(text[0], static_cast<char>(base));
    auto back = multibase_decode(text);
    ASSERT_TRUE(back.ok()) << text;
    EXPECT_EQ(*back, data);
  }
  EXPECT_FALSE(multibase_decode("").ok());
  EXPECT_FALSE(multibase_decode("Qabc").ok());
  // did:key of the RFC 8032 test-1 Ed25519 key (multicodec 0xed01).
  EXPECT_EQ(multibase_encode(Multibase::kBase58btc, *hex_decode("ed01d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")),
            "z6MktwupdmLXVVqTzCw4i46r4uGyosGXRnR3XjN4Zq7oMMsw");
}

}  // namespace
}  // namespace t3n::common
