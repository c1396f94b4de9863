#include "tane/gateway/path_template.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tane::gateway {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

TEST(PathTemplateTest, ParsesTheGrammar) {
  struct Case {
    std::string text;
    std::vector<std::string> variables;  // field paths
    std::string verb;
    std::string shape;
  } cases[] = {
      {"/v1/calls", {}, "", "/v1/calls"},
      {"/v1/calls/{call_id}", {"call_id"}, "", "/v1/calls/*"},
      {"/v1/calls/{call_id}:publish", {"call_id"}, "publish", "/v1/calls/*:publish"},
      {"/v1/calls/{call.call_id}", {"call.call_id"}, "", "/v1/calls/*"},
      {"/v1/{name=shelves/*/books/*}", {"name"}, "", "/v1/shelves/*/books/*"},
      {"/v1/files/{path=**}", {"path"}, "", "/v1/files/**"},
      {"/v1/{parent=projects/*}/reports:count", {"parent"}, "count", "/v1/projects/*/reports:count"},
      {"/v1/calls/{call_id}/applications:count", {"call_id"}, "count", "/v1/calls/*/applications:count"},
      {"/v1/a/{x}/b/{y}", {"x", "y"}, "", "/v1/a/*/b/*"},
      {"/v1/joint-calls/{joint_call_id}/proposals", {"joint_call_id"}, "", "/v1/joint-calls/*/proposals"},
  };
  for (const Case& c : cases) {
    auto t = PathTemplate::Parse(c.text);
    ASSERT_TRUE(t.ok()) << c.text << ": " << t.status();
    std::vector<std::string> vars;
    for (const auto& v : t->variables()) vars.push_back(v.field_path);
    EXPECT_EQ(vars, c.variables) << c.text;
    EXPECT_EQ(t->verb(), c.verb) << c.text;
    EXPECT_EQ(t->ShapeKey(), c.shape) << c.text;
    EXPECT_EQ(t->text(), c.text);
  }
}

TEST(PathTemplateTest, RefusesMalformedTemplatesSayingWhy) {
  struct Case {
    std::string text;
    std::string error;
  } cases[] = {
      {"", "a template starts with '/'"},
      {"v1/calls", "a template starts with '/'"},
      {"/v1//calls", "expected a literal segment"},
      {"/v1/calls/", "expected a literal segment"},
      {"/v1/{call_id", "expected '}' to close the variable"},
      {"/v1/{1abc}", "expected a field name"},
      {"/v1/{a.}", "expected a field name"},
      {"/v1/{a=b/{c}}", "variables cannot nest"},
      {"/v1/{a}/{a}", "field \"a\" is bound twice"},
      {"/v1/{path=**}/tail", "\"**\" must be the last segment"},
      {"/v1/*", "a wildcard must be inside a variable"},
      {"/v1/calls:", "expected a literal segment"},
      {"/v1/calls:a:b", "unexpected character"},
      {"/v1/ca lls", "unexpected character"},
      {"/v1/calls?x=1", "unexpected character"},
  };
  for (const Case& c : cases) {
    auto t = PathTemplate::Parse(c.text);
    ASSERT_FALSE(t.ok()) << c.text;
    EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(t.status().message()), HasSubstr(c.error)) << c.text;
  }
}

TEST(PathTemplateTest, Matches) {
  struct Case {
    std::string templ;
    std::string path;
    bool match;
    std::vector<std::string> values;
  } cases[] = {
      {"/v1/calls", "/v1/calls", true, {}},
      {"/v1/calls", "/v1/calls/x", false, {}},
      {"/v1/calls/{call_id}", "/v1/calls/c-1", true, {"c-1"}},
      {"/v1/calls/{call_id}", "/v1/calls/c-1:publish", false, {}},
      {"/v1/calls/{call_id}:publish", "/v1/calls/c-1:publish", true, {"c-1"}},
      {"/v1/calls/{call_id}:publish", "/v1/calls/c-1:close", false, {}},
      {"/v1/calls/{call_id}:publish", "/v1/calls/c-1", false, {}},
      {"/v1/calls/{call_id}", "/v1/calls/a%3Ab", true, {"a%3Ab"}},
      {"/v1/{name=shelves/*/books/*}", "/v1/shelves/s/books/b", true, {"shelves/s/books/b"}},
      {"/v1/{name=shelves/*/books/*}", "/v1/shelves/s/notes/b", false, {}},
      {"/v1/files/{path=**}", "/v1/files/a/b/c.txt", true, {"a/b/c.txt"}},
      {"/v1/files/{path=**}", "/v1/files", true, {""}},
      {"/v1/files/{path=**}:download", "/v1/files/a/b:download", true, {"a/b"}},
      {"/v1/a/{x}/b/{y}", "/v1/a/1/b/2", true, {"1", "2"}},
      {"/v1/a/{x}/b/{y}", "/v1/a/1/c/2", false, {}},
  };
  for (const Case& c : cases) {
    auto t = PathTemplate::Parse(c.templ);
    ASSERT_TRUE(t.ok()) << c.templ;
    auto path = SplitRequestPath(c.path);
    ASSERT_TRUE(path.ok()) << c.path;
    std::vector<std::string> values;
    EXPECT_EQ(t->Match(*path, &values), c.match) << c.templ << " vs " << c.path;
    if (c.match) {
      EXPECT_EQ(values, c.values) << c.templ << " vs " << c.path;
    }
  }
}

TEST(PathTemplateTest, SplitsRequestPaths) {
  auto p = SplitRequestPath("/v1/applications/a-1:submit");
  ASSERT_TRUE(p.ok());
  EXPECT_THAT(p->segments, ElementsAre("v1", "applications", "a-1"));
  EXPECT_EQ(p->verb, "submit");
  auto no_verb = SplitRequestPath("/v1/calls");
  ASSERT_TRUE(no_verb.ok());
  EXPECT_EQ(no_verb->verb, "");
  for (std::string bad : {"", "v1/calls", "/v1//calls", "/v1/calls/", "/"}) {
    EXPECT_EQ(SplitRequestPath(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(PathTemplateTest, MoreSpecificOrdersLiteralsFirst) {
  std::vector<std::string> texts = {"/v1/{a=**}", "/v1/{a}/x", "/v1/things/{id}", "/v1/things/special", "/v1/things"};
  std::vector<PathTemplate> templates;
  for (const auto& text : texts) templates.push_back(*PathTemplate::Parse(text));
  std::sort(templates.begin(), templates.end(), PathTemplate::MoreSpecific);
  std::vector<std::string> sorted;
  for (const auto& t : templates) sorted.push_back(t.text());
  EXPECT_THAT(sorted,
              ElementsAreArray({"/v1/things", "/v1/things/special", "/v1/things/{id}", "/v1/{a}/x", "/v1/{a=**}"}));
}

TEST(PathTemplateTest, SameShapeMeansSameKey) {
  EXPECT_EQ(PathTemplate::Parse("/v1/calls/{call_id}")->ShapeKey(), PathTemplate::Parse("/v1/calls/{id}")->ShapeKey());
  EXPECT_NE(PathTemplate::Parse("/v1/calls/{call_id}")->ShapeKey(),
            PathTemplate::Parse("/v1/calls/{call_id}:publish")->ShapeKey());
  EXPECT_NE(PathTemplate::Parse("/v1/files/{p=*}")->ShapeKey(), PathTemplate::Parse("/v1/files/{p=**}")->ShapeKey());
}

TEST(PathTemplateTest, OpenApiPath) {
  EXPECT_EQ(PathTemplate::Parse("/v1/calls/{call_id}:publish")->OpenApiPath(), "/v1/calls/{call_id}:publish");
  EXPECT_EQ(PathTemplate::Parse("/v1/{name=shelves/*/things/*}")->OpenApiPath(), "/v1/{name}");
  EXPECT_EQ(PathTemplate::Parse("/v1/calls/{call.call_id}")->OpenApiPath(), "/v1/calls/{call.call_id}");
  EXPECT_EQ(PathTemplate::Parse("/v1/files/{path=**}")->OpenApiPath(), "/v1/files/{path}");
}

}  // namespace
}  // namespace tane::gateway
