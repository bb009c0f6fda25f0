// JSON ⇄ WIT conversion, through a real component that echoes every type.
#include <gtest/gtest.h>

#include "runtime/runtime_fixture.h"

namespace t3n::runtime {
namespace {

using common::Json;

class ValuesTest : public testing::RuntimeFixture {
 protected:
  void SetUp() override {
    RuntimeFixture::SetUp();
    typed_ = load("typed", {});
    ASSERT_NE(typed_, nullptr);
  }
  Json echo(std::string_view fn, const Json& in) {
    auto r = call(*typed_, fn, in);
    EXPECT_TRUE(r.ok) << fn << ": " << r.message;
    return r.response;
  }
  std::string error(std::string_view fn, const Json& in) {
    auto r = call(*typed_, fn, in);
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.error, CallErrorKind::kBadInput) << r.message;
    return r.message;
  }
  std::shared_ptr<const Contract> typed_;
};

Json order() {
  return {{"id", 18446744073709551615ull},
          {"customer-name", "Zoë"},
          {"lines", Json::array({Json::array({"seat", 2}), Json::array({"meal", 1})})},
          {"note", "window"},
          {"color", "green"},
          {"origin", {{"x", -5}, {"y", 7}}},
          {"tags", Json::array({"a", "b"})},
          {"small", -128},
          {"big", -9223372036854775807ll},
          {"ratio", 0.5},
          {"initial", "ß"},
          {"active", true},
          {"blob", {{"base64", "AAH/"}}}};
}

TEST_F(ValuesTest, EveryTypeRoundTrips) {
  EXPECT_EQ(echo("echo-order", order()), order());
  Json no_note = order();
  no_note["note"] = nullptr;
  EXPECT_EQ(echo("echo-order", no_note), no_note);
  EXPECT_EQ(echo("echo-shape", {{"circle", 1.5}}), (Json{{"circle", 1.5}}));
  EXPECT_EQ(echo("echo-shape", {{"square", 3}}), (Json{{"square", 3}}));
  EXPECT_EQ(echo("echo-shape", "empty"), "empty");
  EXPECT_EQ(echo("echo-color", "blue"), "blue");
  EXPECT_EQ(echo("echo-perms", Json::array({"read", "admin"})), Json::array({"read", "admin"}));
  EXPECT_EQ(echo("echo-perms", Json::array()), Json::array());
  EXPECT_EQ(echo("echo-option", 65535), 65535);
  EXPECT_EQ(echo("echo-option", nullptr), nullptr);
  EXPECT_EQ(echo("echo-result", {{"ok", 9}}), (Json{{"ok", 9}}));
  EXPECT_EQ(echo("echo-result", {{"err", "no"}}), (Json{{"err", "no"}}));
  Json points = Json::array({{{"x", 1}, {"y", 2}}, {{"x", -3}, {"y", 4}}});
  EXPECT_EQ(echo("echo-list", points), points);
  EXPECT_EQ(echo("echo-list", Json::array()), Json::array());
  EXPECT_EQ(echo("plain", "as is"), "as is");
}

TEST_F(ValuesTest, BytesMapping) {
  // JSON text inside bytes comes back as JSON; other bytes as base64.
  EXPECT_EQ(echo("echo-bytes", Json{{"k", 1}}), (Json{{"k", 1}}));
  EXPECT_EQ(echo("echo-bytes", Json::array({0, 1, 255})), (Json{{"base64", "AAH/"}}));
  EXPECT_EQ(echo("echo-bytes", "plain text"), (Json{{"base64", "cGxhaW4gdGV4dA=="}}));
  EXPECT_EQ(echo("echo-bytes", "\"quoted\""), "quoted");
}

TEST_F(ValuesTest, MultipleParametersByNameOrPosition) {
  EXPECT_EQ(echo("add", {{"a", 2}, {"b", 3}}), 5);
  EXPECT_EQ(echo("add", Json::array({4, 5})), 9);
  auto overflow = call(*typed_, "add", {{"a", 4294967295u}, {"b", 1}});
  EXPECT_EQ(overflow.error, CallErrorKind::kContractError);
  EXPECT_EQ(overflow.message, "overflow");
}

TEST_F(ValuesTest, IllTypedInputNamesTheField) {
  Json o = order();
  o["origin"]["x"] = "left";
  EXPECT_NE(error("echo-order", o).find("'origin.x': expected an integer"), std::string::npos);
  o = order();
  o.erase("customer-name");
  EXPECT_NE(error("echo-order", o).find("'customer-name' is missing"), std::string::npos);
  o = order();
  o["surprise"] = 1;
  EXPECT_NE(error("echo-order", o).find("'surprise': unknown field"), std::string::npos);
  o = order();
  o["small"] = 200;
  EXPECT_NE(error("echo-order", o).find("out of range for s8"), std::string::npos);
  o = order();
  o["color"] = "purple";
  EXPECT_NE(error("echo-order", o).find("unknown enum case 'purple'"), std::string::npos);
  o = order();
  o["lines"] = Json::array({Json::array({"seat"})});
  EXPECT_NE(error("echo-order", o).find("'lines[0]'"), std::string::npos);
  o = order();
  o["initial"] = "ab";
  EXPECT_NE(error("echo-order", o).find("one-character"), std::string::npos);
  EXPECT_NE(error("echo-shape", {{"triangle", 1}}).find("unknown variant case"), std::string::npos);
  EXPECT_NE(error("echo-shape", "circle").find("needs a payload"), std::string::npos);
  EXPECT_NE(error("echo-perms", Json::array({"root"})).find("unknown flag"), std::string::npos);
  EXPECT_NE(error("echo-result", 5).find("\"ok\""), std::string::npos);
  EXPECT_NE(error("echo-bytes", Json::array({256})).find("expected a byte"), std::string::npos);
  EXPECT_NE(error("add", {{"a", 1}}).find("'b'"), std::string::npos);
  // snake_case field names are accepted on input.
  o = order();
  o["customer_name"] = o["customer-name"];
  o.erase("customer-name");
  EXPECT_EQ(echo("echo-order", o)["customer-name"], "Zoë");
}

}  // namespace
}  // namespace t3n::runtime
