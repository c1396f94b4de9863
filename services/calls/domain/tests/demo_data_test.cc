#include "tane/calls/demo_data.h"

#include <set>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tane/calls/call_rules.h"
#include "tane/calls/timestamps.h"
#include "test_data.h"

namespace tane::calls {
namespace {

using ::testing::HasSubstr;
using testing::Jst;
using testing::ShippedCatalog;

TEST(DemoDataTest, LoadsFy2017GoalsAreasAndCalls) {
  auto demo = LoadDemoDataFromFile(testing::DemoPath(), ShippedCatalog());
  ASSERT_TRUE(demo.ok()) << demo.status();
  EXPECT_EQ(demo->strategic_goals.size(), 6u);
  EXPECT_EQ(demo->research_areas.size(), 9u);
  EXPECT_EQ(demo->calls.size(), 10u);
  for (const auto& goal : demo->strategic_goals) EXPECT_EQ(goal.fiscal_year(), 2017);

  std::set<std::string> area_ids;
  for (const auto& area : demo->research_areas) area_ids.insert(area.area_id());
  for (const auto& call : demo->calls) {
    SCOPED_TRACE(call.title_ja());
    EXPECT_TRUE(area_ids.count(call.research_area_id()));
    EXPECT_EQ(call.state(), v1::CALL_STATE_PUBLISHED);
    EXPECT_EQ(call.fiscal_year(), 2017);
    EXPECT_EQ(ToTime(call.opens_at()), Jst(2017, 4, 12));
    EXPECT_TRUE(ValidateNewCall(call, ShippedCatalog()).ok());
    if (call.program_id() == "crest") {
      EXPECT_EQ(ToTime(call.closes_at()), Jst(2017, 6, 7));  // through 6 June
    } else {
      EXPECT_EQ(ToTime(call.closes_at()), Jst(2017, 5, 31));  // through 30 May
    }
  }
}

TEST(DemoDataTest, IdsAreStableAndAreasLinkPrograms) {
  auto first = LoadDemoDataFromFile(testing::DemoPath(), ShippedCatalog());
  auto second = LoadDemoDataFromFile(testing::DemoPath(), ShippedCatalog());
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first->calls[0].call_id(), second->calls[0].call_id());
  EXPECT_EQ(first->calls[0].call_id(), DemoId("fy2017-call-crest-thermal"));

  const v1::ResearchArea* amed = nullptr;
  for (const auto& area : first->research_areas) {
    if (area.area_id() == DemoId("fy2017-area-amed-life-course")) amed = &area;
  }
  ASSERT_NE(amed, nullptr);
  EXPECT_THAT(amed->program_ids(), ::testing::ElementsAre("amed-crest", "prime"));
  EXPECT_EQ(amed->supervisor().role(), v1::OFFICER_ROLE_PROGRAM_SUPERVISOR);
  ASSERT_EQ(amed->deputy_supervisors_size(), 1);
  EXPECT_EQ(amed->deputy_supervisors(0).role(), v1::OFFICER_ROLE_PROGRAM_OFFICER);
}

TEST(DemoDataTest, CrestDeadlineInDemoCall) {
  auto demo = LoadDemoDataFromFile(testing::DemoPath(), ShippedCatalog());
  ASSERT_TRUE(demo.ok());
  const v1::Call& crest = demo->calls[0];
  EXPECT_TRUE(IsOpen(crest, Jst(2017, 6, 6, 23, 59, 59)));
  EXPECT_FALSE(IsOpen(crest, Jst(2017, 6, 7)));
}

TEST(DemoDataTest, ErrorsNameTheEntry) {
  struct Case {
    const char* name;
    const char* yaml;
    const char* expected;
  };
  const Case cases[] = {
      {"unknown goal",
       "research_areas:\n  - {key: a, goal: nope, programs: [crest], title_ja: x,"
       " supervisor: {name: s, role: research_supervisor}}\n",
       "unknown strategic goal \"nope\""},
      {"unknown program",
       "strategic_goals:\n  - {key: g, fiscal_year: 2017, title_ja: t, field_category: general, "
       "agency: JST}\n"
       "research_areas:\n  - {key: a, goal: g, programs: [nope], title_ja: x,"
       " supervisor: {name: s, role: research_supervisor}}\n",
       "research_areas[0] (a): invalid research area: program_ids[0]: unknown program"},
      {"bad category",
       "strategic_goals:\n  - {key: g, fiscal_year: 2017, title_ja: t, field_category: art, "
       "agency: JST}\n",
       "field_category: unknown value \"art\""},
      {"call window reversed",
       "calls:\n  - {key: c, program: kakenhi-kiban-c, title_ja: t,"
       " opens_at: \"2017-06-01T00:00:00+09:00\", closes_at: \"2017-05-01T00:00:00+09:00\"}\n",
       "calls[0] (c): invalid call: closes_at"},
      {"bad time", "calls:\n  - {key: c, program: crest, opens_at: yesterday}\n",
       "opens_at: is not an RFC 3339 time"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto demo = LoadDemoDataFromString(c.yaml, ShippedCatalog());
    ASSERT_FALSE(demo.ok());
    EXPECT_THAT(std::string(demo.status().message()), HasSubstr(c.expected));
  }
}

}  // namespace
}  // namespace tane::calls
