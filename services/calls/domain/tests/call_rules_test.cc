#include "tane/calls/call_rules.h"

#include <functional>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tane/calls/timestamps.h"
#include "test_data.h"

namespace tane::calls {
namespace {

using ::testing::Contains;
using testing::CrestCall;
using ::testing::ElementsAre;
using testing::FieldsOf;
using ::testing::HasSubstr;
using testing::Jst;
using testing::ShippedCatalog;
using ::testing::UnorderedElementsAre;

v1::Call DraftCrestCall() {
  v1::Call call = CrestCall();
  call.set_state(v1::CALL_STATE_DRAFT);
  return call;
}

TEST(CallRulesTest, ValidCallPasses) {
  EXPECT_TRUE(ValidateNewCall(CrestCall(), ShippedCatalog()).ok());
}

TEST(CallRulesTest, EachRuleReportsItsField) {
  struct Case {
    const char* name;
    std::function<void(v1::Call&)> mutate;
    const char* field;
  };
  const Case cases[] = {
      {"program missing", [](v1::Call& c) { c.clear_program_id(); }, "program_id"},
      {"program unknown", [](v1::Call& c) { c.set_program_id("moonshot"); }, "program_id"},
      {"title missing", [](v1::Call& c) { c.clear_title_ja(); }, "title_ja"},
      {"title not UTF-8", [](v1::Call& c) { c.set_title_ja("\xC0\xAF"); }, "title_ja"},
      {"opens_at missing", [](v1::Call& c) { c.clear_opens_at(); }, "opens_at"},
      {"closes_at missing", [](v1::Call& c) { c.clear_closes_at(); }, "closes_at"},
      {"window reversed",
       [](v1::Call& c) { *c.mutable_closes_at() = ToTimestamp(Jst(2017, 4, 1)); }, "closes_at"},
      {"empty window", [](v1::Call& c) { *c.mutable_closes_at() = c.opens_at(); }, "closes_at"},
      {"bad nanos", [](v1::Call& c) { c.mutable_opens_at()->set_nanos(-1); }, "opens_at"},
      {"start before opening",
       [](v1::Call& c) { *c.mutable_research_starts_not_before() = ToTimestamp(Jst(2017, 1, 1)); },
       "research_starts_not_before"},
      {"total cap above program's (¥500M)",
       [](v1::Call& c) { c.set_max_total_direct_yen(500'000'001); }, "max_total_direct_yen"},
      {"total cap below program's minimum (¥150M)",
       [](v1::Call& c) { c.set_max_total_direct_yen(100'000'000); }, "max_total_direct_yen"},
      {"total cap not positive", [](v1::Call& c) { c.set_max_total_direct_yen(0); },
       "max_total_direct_yen"},
      {"yearly cap above total cap",
       [](v1::Call& c) {
         c.set_max_total_direct_yen(200'000'000);
         c.set_max_yearly_direct_yen(300'000'000);
       },
       "max_yearly_direct_yen"},
      {"indirect rate differs from the program's",
       [](v1::Call& c) { c.set_indirect_rate_percent(10); }, "indirect_rate_percent"},
      {"indirect rate out of range", [](v1::Call& c) { c.set_indirect_rate_percent(101); },
       "indirect_rate_percent"},
      {"unknown required field", [](v1::Call& c) { c.add_required_fields("favourite_colour"); },
       "required_fields[0]"},
      {"malformed partner agency", [](v1::Call& c) { c.set_partner_agency("nsf usa"); },
       "partner_agency"},
      {"area missing for an area-based program", [](v1::Call& c) { c.clear_research_area_id(); },
       "research_area_id"},
      {"area id not a UUID", [](v1::Call& c) { c.set_research_area_id("thermal"); },
       "research_area_id"},
      {"international call without partner",
       [](v1::Call& c) {
         c.set_program_id("sicorp-consortium");
         c.clear_research_area_id();
       },
       "partner_agency"},
      {"program not yet available (FY2014 < FY2015)",
       [](v1::Call& c) {
         c.set_program_id("kakenhi-intl-joint-fund");
         c.clear_research_area_id();
         *c.mutable_opens_at() = ToTimestamp(Jst(2014, 9, 1));
         *c.mutable_closes_at() = ToTimestamp(Jst(2014, 11, 1));
         c.clear_research_starts_not_before();
       },
       "opens_at"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    v1::Call call = CrestCall();
    c.mutate(call);
    const absl::Status status = ValidateNewCall(call, ShippedCatalog());
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(FieldsOf(status), ElementsAre(c.field)) << status;
  }
}

TEST(CallRulesTest, CapsWithinProgramAreAccepted) {
  v1::Call call = CrestCall();
  call.set_max_total_direct_yen(500'000'000);  // exactly the program's cap
  call.set_max_yearly_direct_yen(100'000'000);
  call.set_indirect_rate_percent(30);  // equal to the program's
  EXPECT_TRUE(ValidateNewCall(call, ShippedCatalog()).ok());
}

TEST(CallRulesTest, AllViolationsReturnedTogether) {
  v1::Call call = CrestCall();
  call.clear_title_ja();
  call.set_max_total_direct_yen(600'000'000);
  call.clear_closes_at();
  const absl::Status status = ValidateNewCall(call, ShippedCatalog());
  EXPECT_THAT(FieldsOf(status),
              UnorderedElementsAre("title_ja", "max_total_direct_yen", "closes_at"));
  EXPECT_THAT(std::string(status.message()), HasSubstr("(and 2 more)"));
}

TEST(CallRulesTest, ResearchAreaMustRunTheProgram) {
  v1::ResearchArea area;
  area.set_area_id(testing::kAreaId);
  area.add_program_ids("presto");
  EXPECT_THAT(FieldsOf(ValidateNewCall(CrestCall(), ShippedCatalog(), &area)),
              ElementsAre("program_id"));
  area.add_program_ids("crest");
  EXPECT_TRUE(ValidateNewCall(CrestCall(), ShippedCatalog(), &area).ok());
}

// The window is [opens_at, closes_at): the deadline second itself is too late.
TEST(CallRulesTest, IsOpenAtTheBoundaries) {
  const v1::Call call = CrestCall();
  struct Case {
    const char* name;
    absl::Time now;
    bool open;
  };
  const Case cases[] = {
      {"one second before opening", Jst(2017, 4, 11, 23, 59, 59), false},
      {"at opening", Jst(2017, 4, 12), true},
      {"one second before the deadline", Jst(2017, 6, 6, 23, 59, 59), true},
      {"one nanosecond before the deadline", Jst(2017, 6, 7) - absl::Nanoseconds(1), true},
      {"at the deadline", Jst(2017, 6, 7), false},
      {"one second after the deadline", Jst(2017, 6, 7, 0, 0, 1), false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(IsOpen(call, c.now), c.open);
  }
  v1::Call draft = DraftCrestCall();
  EXPECT_FALSE(IsOpen(draft, Jst(2017, 5, 1)));
  EXPECT_FALSE(IsPastDeadline(call, Jst(2017, 6, 6, 23, 59, 59)));
  EXPECT_TRUE(IsPastDeadline(call, Jst(2017, 6, 7)));
}

TEST(CallRulesTest, PrepareNewCallFillsServerFields) {
  v1::Call input = CrestCall();
  input.set_state(v1::CALL_STATE_CLOSED);  // ignored
  input.set_version(9);
  input.clear_fiscal_year();
  auto call = PrepareNewCall(input, "11111111-2222-3333-4444-555555555555", ShippedCatalog(),
                             nullptr, Jst(2017, 4, 1));
  ASSERT_TRUE(call.ok()) << call.status();
  EXPECT_EQ(call->call_id(), "11111111-2222-3333-4444-555555555555");
  EXPECT_EQ(call->state(), v1::CALL_STATE_DRAFT);
  EXPECT_EQ(call->version(), 0);
  EXPECT_EQ(call->fiscal_year(), 2017);
  EXPECT_EQ(call->review_model().decided_by(), "research_supervisor");
  EXPECT_EQ(ToTime(call->create_time()), Jst(2017, 4, 1));
}

TEST(CallRulesTest, StateTransitions) {
  const absl::Time before_deadline = Jst(2017, 5, 1);
  const absl::Time after_deadline = Jst(2017, 6, 8);
  using Act = std::function<absl::StatusOr<v1::Call>(const v1::Call&)>;
  struct Case {
    const char* name;
    v1::CallState from;
    Act act;
    absl::StatusCode code;
    v1::CallState to;
  };
  const Act publish = [&](const v1::Call& c) { return PublishCall(c, ShippedCatalog(), before_deadline); };
  const Act begin_close = [&](const v1::Call& c) { return BeginClose(c, after_deadline); };
  const Act finish_close = [&](const v1::Call& c) -> absl::StatusOr<v1::Call> {
    auto closed = FinishClose(c, after_deadline);
    if (!closed.ok()) return closed.status();
    return closed->call;
  };
  const Act cancel = [&](const v1::Call& c) { return CancelCall(c, "budget withdrawn", before_deadline); };
  const Act finish_cancel = [&](const v1::Call& c) { return FinishCancel(c, before_deadline); };
  constexpr auto kOk = absl::StatusCode::kOk;
  constexpr auto kRefused = absl::StatusCode::kFailedPrecondition;
  const Case cases[] = {
      {"publish draft", v1::CALL_STATE_DRAFT, publish, kOk, v1::CALL_STATE_PUBLISHED},
      {"publish published", v1::CALL_STATE_PUBLISHED, publish, kRefused, {}},
      {"publish closing", v1::CALL_STATE_CLOSING, publish, kRefused, {}},
      {"publish closed", v1::CALL_STATE_CLOSED, publish, kRefused, {}},
      {"publish cancelled", v1::CALL_STATE_CANCELLED, publish, kRefused, {}},
      {"begin close published", v1::CALL_STATE_PUBLISHED, begin_close, kOk, v1::CALL_STATE_CLOSING},
      {"begin close draft", v1::CALL_STATE_DRAFT, begin_close, kRefused, {}},
      {"begin close closing", v1::CALL_STATE_CLOSING, begin_close, kRefused, {}},
      {"begin close closed", v1::CALL_STATE_CLOSED, begin_close, kRefused, {}},
      {"begin close cancelling", v1::CALL_STATE_CANCELLING, begin_close, kRefused, {}},
      {"finish close closing", v1::CALL_STATE_CLOSING, finish_close, kOk, v1::CALL_STATE_CLOSED},
      {"finish close published", v1::CALL_STATE_PUBLISHED, finish_close, kRefused, {}},
      {"finish close closed", v1::CALL_STATE_CLOSED, finish_close, kRefused, {}},
      {"finish close cancelling", v1::CALL_STATE_CANCELLING, finish_close, kRefused, {}},
      {"cancel draft", v1::CALL_STATE_DRAFT, cancel, kOk, v1::CALL_STATE_CANCELLED},
      {"cancel published", v1::CALL_STATE_PUBLISHED, cancel, kOk, v1::CALL_STATE_CANCELLING},
      {"cancel closing", v1::CALL_STATE_CLOSING, cancel, kRefused, {}},
      {"cancel closed", v1::CALL_STATE_CLOSED, cancel, kRefused, {}},
      {"cancel cancelling", v1::CALL_STATE_CANCELLING, cancel, kRefused, {}},
      {"cancel cancelled", v1::CALL_STATE_CANCELLED, cancel, kRefused, {}},
      {"finish cancel cancelling", v1::CALL_STATE_CANCELLING, finish_cancel, kOk, v1::CALL_STATE_CANCELLED},
      {"finish cancel published", v1::CALL_STATE_PUBLISHED, finish_cancel, kRefused, {}},
      {"finish cancel closing", v1::CALL_STATE_CLOSING, finish_cancel, kRefused, {}},
      {"finish cancel cancelled", v1::CALL_STATE_CANCELLED, finish_cancel, kRefused, {}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    v1::Call call = CrestCall();
    call.set_state(c.from);
    auto result = c.act(call);
    EXPECT_EQ(result.status().code(), c.code) << result.status();
    if (result.ok()) {
      EXPECT_EQ(result->state(), c.to);
      EXPECT_EQ(result->version(), call.version()) << "the store owns versions";
    }
  }
  auto published = PublishCall(DraftCrestCall(), ShippedCatalog(), before_deadline);
  ASSERT_TRUE(published.ok());
  EXPECT_EQ(published->state(), v1::CALL_STATE_PUBLISHED);
  EXPECT_EQ(ToTime(published->published_at()), before_deadline);
  EXPECT_EQ(published->version(), 3) << "the store owns versions";

  const absl::Status illegal = PublishCall(CrestCall(), ShippedCatalog(), before_deadline).status();
  EXPECT_THAT(std::string(illegal.message()),
              HasSubstr("is PUBLISHED; only a DRAFT call can be published"));
}

TEST(CallRulesTest, CannotPublishAfterTheDeadline) {
  auto published = PublishCall(DraftCrestCall(), ShippedCatalog(), Jst(2017, 6, 7));
  EXPECT_EQ(published.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(published.status().message()), HasSubstr("after its deadline"));
}

// By deadline or early is decided when the close begins, not when it
// finishes: a close begun a second before the deadline and finished after it
// (an interrupted one) is still early.
TEST(CallRulesTest, CloseReportsWhetherByDeadlineAsBegun) {
  struct Case {
    const char* name;
    absl::Time begun;
    absl::Time finished;
    bool by_deadline;
  };
  const Case cases[] = {
      {"early", Jst(2017, 6, 6, 23, 59, 59), Jst(2017, 6, 6, 23, 59, 59), false},
      {"early, finished after the deadline", Jst(2017, 6, 6, 23, 59, 59), Jst(2017, 6, 7, 0, 0, 5), false},
      {"at the deadline", Jst(2017, 6, 7), Jst(2017, 6, 7), true},
      {"after the deadline", Jst(2017, 6, 8), Jst(2017, 6, 8, 0, 1), true},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto closing = BeginClose(CrestCall(), c.begun);
    ASSERT_TRUE(closing.ok()) << closing.status();
    EXPECT_EQ(closing->state(), v1::CALL_STATE_CLOSING);
    EXPECT_EQ(ToTime(closing->closed_at()), c.begun);
    auto closed = FinishClose(*closing, c.finished);
    ASSERT_TRUE(closed.ok()) << closed.status();
    EXPECT_EQ(closed->by_deadline, c.by_deadline);
    EXPECT_EQ(closed->call.state(), v1::CALL_STATE_CLOSED);
    EXPECT_EQ(ToTime(closed->call.closed_at()), c.begun) << "closed when the close was decided";
    EXPECT_EQ(ToTime(closed->call.update_time()), c.finished);
  }
}

TEST(CallRulesTest, CancellingAPublishedCallKeepsItsReasonUntilCancelled) {
  const absl::Time decided = Jst(2017, 5, 1);
  auto cancelling = CancelCall(CrestCall(), "予算の取り下げ", decided);
  ASSERT_TRUE(cancelling.ok()) << cancelling.status();
  EXPECT_EQ(cancelling->state(), v1::CALL_STATE_CANCELLING);
  EXPECT_FALSE(IsOpen(*cancelling, decided)) << "takes no submissions";
  auto cancelled = FinishCancel(*cancelling, decided + absl::Seconds(3));
  ASSERT_TRUE(cancelled.ok()) << cancelled.status();
  EXPECT_EQ(cancelled->state(), v1::CALL_STATE_CANCELLED);
  EXPECT_EQ(cancelled->cancel_reason(), "予算の取り下げ");
  EXPECT_EQ(ToTime(cancelled->cancelled_at()), decided);
  EXPECT_EQ(CallStateName(v1::CALL_STATE_CANCELLING), "CANCELLING");
  EXPECT_EQ(CallStateName(v1::CALL_STATE_CLOSING), "CLOSING");
}

TEST(CallRulesTest, UpdateOnlyInDraft) {
  const absl::Time now = Jst(2017, 4, 1);
  v1::Call patch;
  patch.set_title_en("FY2017 CREST call (revised)");
  patch.set_max_total_direct_yen(300'000'000);
  google::protobuf::FieldMask mask;
  mask.add_paths("title_en");
  mask.add_paths("max_total_direct_yen");

  auto updated = ApplyCallUpdate(DraftCrestCall(), patch, mask, ShippedCatalog(), nullptr, now);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->title_en(), "FY2017 CREST call (revised)");
  EXPECT_EQ(updated->max_total_direct_yen(), 300'000'000);
  EXPECT_EQ(updated->title_ja(), CrestCall().title_ja()) << "fields outside the mask stay";

  // A masked field left unset in the patch is cleared.
  google::protobuf::FieldMask clear_mask;
  clear_mask.add_paths("max_total_direct_yen");
  auto cleared = ApplyCallUpdate(*updated, v1::Call(), clear_mask, ShippedCatalog(), nullptr, now);
  ASSERT_TRUE(cleared.ok()) << cleared.status();
  EXPECT_FALSE(cleared->has_max_total_direct_yen());

  EXPECT_EQ(
      ApplyCallUpdate(CrestCall(), patch, mask, ShippedCatalog(), nullptr, now).status().code(),
      absl::StatusCode::kFailedPrecondition);

  google::protobuf::FieldMask bad_mask;
  bad_mask.add_paths("state");
  auto bad = ApplyCallUpdate(DraftCrestCall(), patch, bad_mask, ShippedCatalog(), nullptr, now);
  EXPECT_THAT(FieldsOf(bad.status()), ElementsAre("update_mask.paths[0]"));

  EXPECT_THAT(FieldsOf(ApplyCallUpdate(DraftCrestCall(), patch, google::protobuf::FieldMask(),
                                       ShippedCatalog(), nullptr, now)
                           .status()),
              ElementsAre("update_mask"));

  v1::Call stale = patch;
  stale.set_version(2);
  EXPECT_EQ(ApplyCallUpdate(DraftCrestCall(), stale, mask, ShippedCatalog(), nullptr, now)
                .status()
                .code(),
            absl::StatusCode::kAborted);

  v1::Call too_big;
  too_big.set_max_total_direct_yen(900'000'000);
  google::protobuf::FieldMask cap_mask;
  cap_mask.add_paths("max_total_direct_yen");
  EXPECT_THAT(
      FieldsOf(ApplyCallUpdate(DraftCrestCall(), too_big, cap_mask, ShippedCatalog(), nullptr, now)
                   .status()),
      ElementsAre("max_total_direct_yen"));
}

TEST(CallRulesTest, EffectiveLimitsFallBackToTheProgram) {
  const ProgramRule& crest = testing::Program("crest");
  CallLimits limits = EffectiveLimits(CrestCall(), crest);
  EXPECT_EQ(limits.max_total_direct_yen, 500'000'000);
  EXPECT_FALSE(limits.max_yearly_direct_yen.has_value());
  EXPECT_EQ(limits.indirect_rate_percent, 30);
  v1::Call call = CrestCall();
  call.set_max_yearly_direct_yen(90'000'000);
  call.set_max_total_direct_yen(400'000'000);
  limits = EffectiveLimits(call, crest);
  EXPECT_EQ(limits.max_total_direct_yen, 400'000'000);
  EXPECT_EQ(limits.max_yearly_direct_yen, 90'000'000);
}

TEST(CallRulesTest, KnownApplicationPaths) {
  EXPECT_TRUE(IsKnownApplicationPath("title_en"));
  EXPECT_TRUE(IsKnownApplicationPath("principal_investigator.orcid"));
  EXPECT_FALSE(IsKnownApplicationPath("state"));
}

}  // namespace
}  // namespace tane::calls
