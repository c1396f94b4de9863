#include "tane/calls/events.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tane/calls/application_rules.h"
#include "tane/calls/commitments.h"
#include "tane/calls/text.h"
#include "tane/calls/timestamps.h"
#include "test_data.h"

namespace tane::calls {
namespace {

using testing::CrestApplication;
using testing::CrestCall;
using testing::DuringCrestWindow;
using ::testing::ElementsAre;
using testing::Jst;

TEST(EventsTest, ApplicationSubmittedCarriesSnapshotAndCallInfo) {
  v1::Call call = CrestCall();
  *call.mutable_review_model() = testing::Program("crest").ToProto(2017).review_model();
  auto submitted =
      SubmitApplication(CrestApplication(), call, testing::Program("crest"), DuringCrestWindow());
  ASSERT_TRUE(submitted.ok());
  const v1::ApplicationSubmitted event = ApplicationSubmittedEvent(*submitted, call);
  EXPECT_EQ(event.application().SerializeAsString(), submitted->SerializeAsString());
  EXPECT_EQ(event.program_id(), "crest");
  EXPECT_EQ(event.research_area_id(), testing::kAreaId);
  EXPECT_EQ(event.call_fiscal_year(), 2017);
  EXPECT_EQ(event.review_model().decided_by(), "research_supervisor");
  EXPECT_EQ(event.title_ja_hash(), MatchingHash(submitted->title_ja()));
  EXPECT_EQ(event.application().total_indirect_yen(), 126'000'000);
}

TEST(EventsTest, CallClosed) {
  auto closing = BeginClose(CrestCall(), Jst(2017, 6, 7));
  ASSERT_TRUE(closing.ok());
  auto closed = FinishClose(*closing, Jst(2017, 6, 7, 0, 0, 1));
  ASSERT_TRUE(closed.ok());
  const v1::CallClosed event = CallClosedEvent(*closed, 42, 45);
  EXPECT_EQ(event.call_id(), testing::kCallId);
  EXPECT_TRUE(event.by_deadline());
  EXPECT_EQ(event.application_count(), 42);
  EXPECT_EQ(event.applications_ever_submitted(), 45);
  EXPECT_EQ(ToTime(event.closed_at()), Jst(2017, 6, 7));
}

TEST(EventsTest, DuplicateSuspectedGroupsByResearcherAndReason) {
  const v1::Application mine = CrestApplication();
  v1::DuplicateFinding a, b, c;
  a.set_researcher_id("12345678");
  a.set_other_application_id("x1");
  a.set_other_call_id("c1");
  a.set_reason(v1::DUPLICATE_REASON_SAME_TITLE);
  b = a;
  b.set_other_application_id("x2");
  b.set_other_call_id("c2");
  c = a;
  c.set_reason(v1::DUPLICATE_REASON_SAME_ABSTRACT);
  const auto events = DuplicateSuspectedEvents(mine, {a, b, c}, Jst(2017, 5, 1));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].reason(), v1::DUPLICATE_REASON_SAME_TITLE);
  EXPECT_THAT(events[0].application_ids(), ElementsAre(testing::kApplicationId, "x1", "x2"));
  EXPECT_THAT(events[0].call_ids(), ElementsAre(testing::kCallId, "c1", "c2"));
  EXPECT_EQ(events[0].text_hash(), MatchingHash(mine.title_ja()));
  EXPECT_EQ(events[1].reason(), v1::DUPLICATE_REASON_SAME_ABSTRACT);
  EXPECT_EQ(events[1].text_hash(), MatchingHash(mine.abstract()));
}

}  // namespace
}  // namespace tane::calls
