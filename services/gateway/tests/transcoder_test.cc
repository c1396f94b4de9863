#include "tane/gateway/transcoder.h"

#include <gmock/gmock.h>
#include <google/protobuf/util/time_util.h>
#include <gtest/gtest.h>

#include "tane/core/errors.h"
#include "tane/gwtest/v1/gwtest.pb.h"

namespace tane::gateway {
namespace {

using gwtest::v1::Color;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

class TranscoderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto table = RouteTable::Build({gwtest::v1::Thing::descriptor()->file()->FindServiceByName("ThingService")});
    ASSERT_TRUE(table.ok()) << table.status();
    table_ = std::make_unique<RouteTable>(*std::move(table));
  }

  // Transcodes METHOD PATH?QUERY with BODY into `request`.
  absl::Status Build(const std::string& method, const std::string& target, const std::string& body,
                     google::protobuf::Message* request) {
    const size_t q = target.find('?');
    const std::string path = target.substr(0, q);
    const std::string query = q == std::string::npos ? "" : target.substr(q + 1);
    auto split = SplitRequestPath(path);
    EXPECT_TRUE(split.ok()) << path;
    auto match = table_->Find(method, *split);
    EXPECT_EQ(match.kind, RouteTable::Match::Kind::kFound) << method << " " << path;
    if (match.route == nullptr) return absl::NotFoundError(path);
    EXPECT_EQ(match.route->method->input_type(), request->GetDescriptor());
    return BuildRequest(*match.route, match.raw_values, query, body, request);
  }

  const Route& RouteOf(const std::string& method, const std::string& path) {
    return *table_->Find(method, *SplitRequestPath(path)).route;
  }

  std::unique_ptr<RouteTable> table_;
};

TEST_F(TranscoderTest, PathAndQueryIntoFields) {
  gwtest::v1::GetThingRequest request;
  ASSERT_TRUE(Build("GET", "/v1/things/t%201?revision=3", "", &request).ok());
  EXPECT_EQ(request.thing_id(), "t 1");
  EXPECT_EQ(request.revision(), 3);
}

TEST_F(TranscoderTest, QueryParametersOfEveryKind) {
  gwtest::v1::ListThingsRequest request;
  const std::string query =
      "pageSize=10&page_token=abc&colors=COLOR_RED&colors=2&ids=1&ids=9007199254740993"
      "&minSize.width=5&min_size.height=6&fragileOnly=true&createdAfter=2017-06-07T00:00:00%2B09:00"
      "&maxAge=1.5s&readMask=title,priceYen&maxPriceYen=100&limit=4294967295&minWeight=-1.5e2"
      "&cursor=AQID&inStock=false";
  absl::Status status = Build("GET", "/v1/shelves/s1/things?" + query, "", &request);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(request.shelf_id(), "s1");
  EXPECT_EQ(request.page_size(), 10);
  EXPECT_EQ(request.page_token(), "abc");
  EXPECT_THAT(request.colors(), ElementsAre(gwtest::v1::COLOR_RED, gwtest::v1::COLOR_GREEN));
  EXPECT_THAT(request.ids(), ElementsAre(1, 9007199254740993));
  EXPECT_EQ(request.min_size().width(), 5);
  EXPECT_EQ(request.min_size().height(), 6);
  EXPECT_TRUE(request.fragile_only());
  EXPECT_EQ(google::protobuf::util::TimeUtil::ToString(request.created_after()), "2017-06-06T15:00:00Z");
  EXPECT_EQ(request.max_age().seconds(), 1);
  EXPECT_EQ(request.max_age().nanos(), 500000000);
  EXPECT_THAT(request.read_mask().paths(), ElementsAre("title", "price_yen"));
  EXPECT_EQ(request.max_price_yen().value(), 100);
  EXPECT_EQ(request.limit(), 4294967295u);
  EXPECT_EQ(request.min_weight(), -150.0);
  EXPECT_EQ(request.cursor(), std::string("\x01\x02\x03"));
  ASSERT_TRUE(request.has_in_stock());
  EXPECT_FALSE(request.in_stock().value());
}

TEST_F(TranscoderTest, BodyFieldWithPathAndQuery) {
  gwtest::v1::CreateThingRequest request;
  const std::string body = R"({"title":"種の研究","priceYen":"9007199254740993","color":"COLOR_GREEN",
      "tags":["a","b"],"size":{"width":1},"createTime":"2017-06-07T00:00:00Z","rank":0,"blob":"AQI=",
      "counts":{"x":2}})";
  absl::Status status = Build("POST", "/v1/shelves/s1/things?idempotencyKey=k-1", body, &request);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(request.shelf_id(), "s1");
  EXPECT_EQ(request.idempotency_key(), "k-1");
  const gwtest::v1::Thing& thing = request.thing();
  EXPECT_EQ(thing.title(), "種の研究");
  EXPECT_EQ(thing.price_yen(), 9007199254740993);
  EXPECT_EQ(thing.color(), gwtest::v1::COLOR_GREEN);
  EXPECT_THAT(thing.tags(), ElementsAre("a", "b"));
  EXPECT_EQ(thing.size().width(), 1);
  EXPECT_EQ(thing.create_time().seconds(), 1496793600);
  EXPECT_TRUE(thing.has_rank());
  EXPECT_EQ(thing.blob(), std::string("\x01\x02"));
  EXPECT_EQ(thing.counts().at("x"), 2);
}

TEST_F(TranscoderTest, ProtoFieldNamesAreAcceptedInTheBody) {
  gwtest::v1::CreateThingRequest request;
  ASSERT_TRUE(
      Build("POST", "/v1/shelves/s1/things", R"({"price_yen":"5","create_time":"2017-06-07T00:00:00Z"})", &request)
          .ok());
  EXPECT_EQ(request.thing().price_yen(), 5);
}

TEST_F(TranscoderTest, NestedPathVariableInsideTheBodyField) {
  gwtest::v1::UpdateThingRequest request;
  absl::Status status =
      Build("PATCH", "/v1/shelves/s1/things/t1?updateMask=title,priceYen", R"({"title":"x"})", &request);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(request.thing().name(), "shelves/s1/things/t1");
  EXPECT_EQ(request.thing().title(), "x");
  EXPECT_THAT(request.update_mask().paths(), ElementsAre("title", "price_yen"));
  // The same name in the body is fine; a different one is refused.
  EXPECT_TRUE(Build("PATCH", "/v1/shelves/s1/things/t1", R"({"name":"shelves/s1/things/t1"})", &request).ok());
  status = Build("PATCH", "/v1/shelves/s1/things/t1", R"({"name":"shelves/s9/things/t9"})", &request);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(
      std::string(status.message()),
      HasSubstr("thing.name: is \"shelves/s1/things/t1\" in the path but \"shelves/s9/things/t9\" in the body"));
}

TEST_F(TranscoderTest, WholeBodyAndEmptyBody) {
  gwtest::v1::SubmitThingRequest request;
  ASSERT_TRUE(Build("POST", "/v1/things/t1:submit", R"({"version":"3","idempotencyKey":"k"})", &request).ok());
  EXPECT_EQ(request.thing_id(), "t1");
  EXPECT_EQ(request.version(), 3);
  EXPECT_EQ(request.idempotency_key(), "k");
  ASSERT_TRUE(Build("POST", "/v1/things/t2:submit", "", &request).ok());
  EXPECT_EQ(request.thing_id(), "t2");
  EXPECT_EQ(request.version(), 0);
  ASSERT_TRUE(Build("POST", "/v1/things/t3:submit", " \r\n", &request).ok());
}

TEST_F(TranscoderTest, RepeatedScalarBodyField) {
  gwtest::v1::SetTagsRequest request;
  ASSERT_TRUE(Build("PUT", "/v1/things/t1/tags", R"(["a","b"])", &request).ok());
  EXPECT_EQ(request.thing_id(), "t1");
  EXPECT_THAT(request.tags(), ElementsAre("a", "b"));
  absl::Status status = Build("PUT", "/v1/things/t1/tags", R"([1])", &request);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(TranscoderTest, MultiSegmentPathKeepsEscapedSlashes) {
  gwtest::v1::GetFileRequest request;
  ASSERT_TRUE(Build("GET", "/v1/files/reports/2017%2F18/%E7%A8%AE.pdf", "", &request).ok());
  EXPECT_EQ(request.path(), "reports/2017%2F18/種.pdf");
}

struct ErrorCase {
  std::string name;
  std::string method;
  std::string target;
  std::string body;
  std::string message;              // substring of the status message
  std::vector<std::string> fields;  // the BadRequest's field paths, in order
};

void PrintTo(const ErrorCase& c, std::ostream* os) { *os << c.name; }

class TranscoderErrorTest : public TranscoderTest, public ::testing::WithParamInterface<ErrorCase> {};

TEST_P(TranscoderErrorTest, IsInvalidArgumentWithAPreciseMessage) {
  const ErrorCase& c = GetParam();
  const Route& route = RouteOf(c.method, c.target.substr(0, c.target.find('?')));
  std::unique_ptr<google::protobuf::Message> request(
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(route.method->input_type())->New());
  absl::Status status = Build(c.method, c.target, c.body, request.get());
  ASSERT_FALSE(status.ok()) << c.name;
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.name;
  EXPECT_THAT(std::string(status.message()), HasSubstr(c.message)) << c.name;
  std::vector<std::string> fields;
  for (const auto& v : core::ViolationsOf(status)) fields.push_back(v.field);
  EXPECT_EQ(fields, c.fields) << c.name;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, TranscoderErrorTest,
    ::testing::Values(
        ErrorCase{"malformed_json",
                  "POST",
                  "/v1/shelves/s/things",
                  R"({"title": })",
                  "request body is not valid JSON: line 1, column 11: unexpected character '}', expected a JSON value",
                  {}},
        ErrorCase{"truncated_json",
                  "POST",
                  "/v1/shelves/s/things",
                  "{\n  \"title\": \"x\"",
                  "line 2, column 15: unexpected end of input, expected ',' or '}'",
                  {}},
        ErrorCase{"unknown_field",
                  "POST",
                  "/v1/shelves/s/things",
                  R"({"titel":"x"})",
                  "invalid request body: titel: unknown field",
                  {"titel"}},
        ErrorCase{"nested_unknown_field",
                  "POST",
                  "/v1/shelves/s/things",
                  R"({"size":{"depth":1}})",
                  "size.depth: unknown field",
                  {"size.depth"}},
        ErrorCase{"wrong_type",
                  "POST",
                  "/v1/shelves/s/things",
                  R"({"title":3})",
                  "title: invalid value 3, expected a string",
                  {"title"}},
        ErrorCase{"wrong_enum",
                  "POST",
                  "/v1/shelves/s/things",
                  R"({"color":"PURPLE"})",
                  "expected one of COLOR_UNSPECIFIED, COLOR_RED, COLOR_GREEN",
                  {"color"}},
        ErrorCase{"wrong_int64",
                  "POST",
                  "/v1/shelves/s/things",
                  R"({"priceYen":"12abc"})",
                  "priceYen: invalid value \"12abc\", expected a 64-bit integer",
                  {"priceYen"}},
        ErrorCase{"wrong_element_type",
                  "POST",
                  "/v1/shelves/s/things",
                  R"({"tags":["a",2]})",
                  "tags[1]: invalid value 2, expected a string",
                  {"tags[1]"}},
        ErrorCase{"unknown_field_in_array_element",
                  "POST",
                  "/v1/things/t1:submit",
                  R"({"version":"1","extra":{}})",
                  "extra: unknown field",
                  {"extra"}},
        ErrorCase{"wrong_nested_type",
                  "POST",
                  "/v1/shelves/s/things",
                  R"({"size":{"width":"wide"}})",
                  "size.width: invalid value \"wide\", expected an integer",
                  {"size.width"}},
        ErrorCase{"wrong_timestamp",
                  "POST",
                  "/v1/shelves/s/things",
                  R"({"createTime":"yesterday"})",
                  "createTime: invalid time format: yesterday, expected an RFC 3339 timestamp",
                  {"createTime"}},
        ErrorCase{"bad_utf8",
                  "POST",
                  "/v1/shelves/s/things",
                  "{\"title\":\"\xff\"}",
                  "request body is not valid JSON: line 1, column 11: not valid UTF-8",
                  {}},
        ErrorCase{"lone_surrogate",
                  "POST",
                  "/v1/shelves/s/things",
                  R"({"title":"\ud800"})",
                  "high surrogate \\u escape without its low surrogate",
                  {}},
        ErrorCase{"duplicate_key",
                  "POST",
                  "/v1/shelves/s/things",
                  R"({"title":"a","title":"b"})",
                  "line 1, column 14: duplicate key \"title\"",
                  {}},
        ErrorCase{"array_for_message",
                  "POST",
                  "/v1/shelves/s/things",
                  "[1]",
                  "invalid request body: the body must be a JSON object",
                  {}},
        ErrorCase{"body_on_get", "GET", "/v1/things/t1", "{}", "GET /v1/things/{thing_id} takes no request body", {}},
        ErrorCase{"unknown_query_parameter",
                  "GET",
                  "/v1/things/t1?revison=2",
                  "",
                  "invalid query parameter: revison: unknown query parameter",
                  {"revison"}},
        ErrorCase{"bad_query_int",
                  "GET",
                  "/v1/shelves/s/things?pageSize=ten",
                  "",
                  "pageSize: \"ten\" is not an integer from -2147483648 to 2147483647",
                  {"pageSize"}},
        ErrorCase{"bad_query_enum",
                  "GET",
                  "/v1/shelves/s/things?colors=PURPLE",
                  "",
                  "\"PURPLE\" is not one of COLOR_UNSPECIFIED, COLOR_RED, COLOR_GREEN",
                  {"colors"}},
        ErrorCase{"query_uint_overflow",
                  "GET",
                  "/v1/shelves/s/things?limit=4294967296",
                  "",
                  "is not an integer from 0 to 4294967295",
                  {"limit"}},
        ErrorCase{"query_bool",
                  "GET",
                  "/v1/shelves/s/things?fragileOnly=yes",
                  "",
                  "\"yes\" is not true or false",
                  {"fragileOnly"}},
        ErrorCase{"query_timestamp",
                  "GET",
                  "/v1/shelves/s/things?createdAfter=June",
                  "",
                  "\"June\" is not an RFC 3339 timestamp",
                  {"createdAfter"}},
        ErrorCase{"query_twice",
                  "GET",
                  "/v1/shelves/s/things?pageSize=1&page_size=2",
                  "",
                  "page_size: given more than once, but it is not a repeated field",
                  {"page_size"}},
        ErrorCase{"query_sets_path_field",
                  "GET",
                  "/v1/shelves/s/things?shelfId=other",
                  "",
                  "shelfId: is set by the path",
                  {"shelfId"}},
        ErrorCase{"query_sets_body_field",
                  "POST",
                  "/v1/shelves/s/things?thing.title=x",
                  "{}",
                  "thing.title: is part of the request body",
                  {"thing.title"}},
        ErrorCase{"query_with_whole_body",
                  "POST",
                  "/v1/things/t1:submit?version=2",
                  "{}",
                  "version: unknown query parameter: this method takes all its fields from the request body",
                  {"version"}},
        ErrorCase{"query_names_a_message",
                  "GET",
                  "/v1/shelves/s/things?minSize=3",
                  "",
                  "minSize: is a message; set its fields instead (minSize.<field>)",
                  {"minSize"}},
        ErrorCase{"query_bad_escape",
                  "GET",
                  "/v1/shelves/s/things?pageToken=%zz",
                  "",
                  "pageToken: invalid percent-encoding",
                  {"pageToken"}},
        ErrorCase{"every_query_problem_at_once",
                  "GET",
                  "/v1/shelves/s/things?pageSize=x&nope=1&limit=-1",
                  "",
                  "(and 2 more)",
                  {"pageSize", "nope", "limit"}},
        ErrorCase{"path_param_not_an_int",
                  "POST",
                  "/v1/fail/abc",
                  "{}",
                  "invalid path parameter: code: \"abc\" is not an integer from -2147483648 to 2147483647",
                  {"code"}},
        ErrorCase{"path_param_bad_escape",
                  "GET",
                  "/v1/things/%zz",
                  "",
                  "invalid path parameter: thing_id: invalid percent-encoding at \"%zz\"",
                  {"thing_id"}},
        ErrorCase{"path_param_bad_utf8",
                  "GET",
                  "/v1/things/%FF%FE",
                  "",
                  "invalid path parameter: thing_id: not valid UTF-8",
                  {"thing_id"}}),
    [](const auto& info) { return info.param.name; });

TEST_F(TranscoderTest, ResponseKeepsItsShape) {
  gwtest::v1::Thing thing;
  thing.set_title("種");
  thing.set_price_yen(9007199254740993);
  auto json = RenderResponse(RouteOf("GET", "/v1/things/t"), thing);
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_THAT(*json, HasSubstr(R"("title":"種")"));
  EXPECT_THAT(*json, HasSubstr(R"("priceYen":"9007199254740993")"));
  EXPECT_THAT(*json, HasSubstr(R"("tags":[])"));
  EXPECT_THAT(*json, HasSubstr(R"("color":"COLOR_UNSPECIFIED")"));
  EXPECT_THAT(*json, HasSubstr(R"("fragile":false)"));
  EXPECT_THAT(*json, Not(HasSubstr("rank")));        // unset optional
  EXPECT_THAT(*json, Not(HasSubstr("createTime")));  // unset message
  thing.set_rank(0);
  EXPECT_THAT(*RenderResponse(RouteOf("GET", "/v1/things/t"), thing), HasSubstr(R"("rank":0)"));
}

TEST_F(TranscoderTest, ResponseBodyField) {
  gwtest::v1::CountThingsResponse count;
  count.set_total(42);
  EXPECT_EQ(*RenderResponse(RouteOf("GET", "/v1/shelves/s/things:count"), count), R"("42")");
}

TEST_F(TranscoderTest, SetFieldFromTextParsesEachType) {
  const auto* desc = gwtest::v1::ListThingsRequest::descriptor();
  auto chain = [&](const std::string& path) { return *ResolveFieldPath(*desc, path); };
  gwtest::v1::ListThingsRequest request;
  EXPECT_TRUE(SetFieldFromText(&request, chain("page_size"), "-2147483648").ok());
  EXPECT_EQ(request.page_size(), std::numeric_limits<int32_t>::min());
  EXPECT_FALSE(SetFieldFromText(&request, chain("page_size"), "2147483648").ok());
  EXPECT_FALSE(SetFieldFromText(&request, chain("page_size"), "1.0").ok());
  EXPECT_FALSE(SetFieldFromText(&request, chain("page_size"), "").ok());
  EXPECT_FALSE(SetFieldFromText(&request, chain("page_size"), " 1").ok());
  EXPECT_TRUE(SetFieldFromText(&request, chain("min_weight"), "NaN").ok());
  EXPECT_TRUE(std::isnan(request.min_weight()));
  EXPECT_FALSE(SetFieldFromText(&request, chain("min_weight"), "1e400").ok());
  EXPECT_TRUE(SetFieldFromText(&request, chain("cursor"), "_-8").ok());  // web-safe base64
  EXPECT_FALSE(SetFieldFromText(&request, chain("cursor"), "!!").ok());
  EXPECT_TRUE(SetFieldFromText(&request, chain("min_size.width"), "7").ok());
  EXPECT_EQ(request.min_size().width(), 7);
  EXPECT_FALSE(SetFieldFromText(&request, chain("ids"), "x").ok());
  EXPECT_EQ(request.ids_size(), 0);
  EXPECT_FALSE(SetFieldFromText(&request, chain("max_age"), "soon").ok());
}

}  // namespace
}  // namespace tane::gateway
