// Cases and the call review from the calls service's events; rules from the
// shipped catalog; JST day arithmetic.

#include <gtest/gtest.h>

#include "tane/core/ids.h"
#include "test_support.h"

namespace tane::reviews::testing {
namespace {

calls::v1::ApplicationSubmitted Submitted(const calls::v1::Application& app) {
  calls::v1::ApplicationSubmitted e;
  *e.mutable_application() = app;
  e.set_program_id("crest");
  e.set_research_area_id("area-thermal");
  e.set_call_fiscal_year(2017);
  e.mutable_review_model()->add_stages(kDocument);
  e.mutable_review_model()->add_stages(kInterview);
  e.mutable_review_model()->set_reviewers_per_proposal(3);
  return e;
}

TEST(OpenCaseTest, TheSnapshotBecomesTheServicesOwnCopy) {
  World w;
  auto app = App("app-1", "10000001", "inst-kyoto", "");
  app.set_abstract("本研究はフォノンの輸送を制御する。\n第二段落。");
  AddCoInvestigator(app, "10000002", "inst-osaka");
  const auto e = Submitted(app);
  auto opened = OpenCase(e, w.Ctx(System()));
  ASSERT_TRUE(opened.ok()) << opened.status();
  const v1::ReviewCase& c = opened->review_case;
  EXPECT_EQ(c.case_id(), core::NameUuid(kCaseIdNamespace, "app-1"));
  EXPECT_EQ(c.case_id(), CaseIdForApplication("app-1")) << "a redelivery maps to the same case";
  EXPECT_EQ(c.state(), v1::CASE_STATE_IN_REVIEW);
  EXPECT_EQ(c.stage(), kDocument);
  EXPECT_EQ(c.version(), 1);
  EXPECT_EQ(c.program_id(), "crest");
  EXPECT_TRUE(opened->events.empty());
  v1::ReviewCase parsed;
  ASSERT_TRUE(parsed.ParseFromString(c.SerializeAsString()));
  EXPECT_EQ(parsed.application().SerializeAsString(), app.SerializeAsString());
  EXPECT_EQ(parsed.application().title_ja(), "ナノスケール熱輸送の研究 app-1");
  EXPECT_EQ(parsed.application().abstract(), "本研究はフォノンの輸送を制御する。\n第二段落。");

  struct Row {
    const char* name;
    void (*edit)(calls::v1::Application&);
    std::vector<std::string> fields;
  };
  const Row rows[] = {
      {"no application id", [](auto& a) { a.clear_application_id(); },
       {"application.application_id"}},
      {"no call id", [](auto& a) { a.clear_call_id(); }, {"application.call_id"}},
      {"a draft", [](auto& a) { a.set_state(calls::v1::APPLICATION_STATE_DRAFT); },
       {"application.state"}},
  };
  for (const Row& row : rows) {
    auto bad = app;
    row.edit(bad);
    EXPECT_EQ(ViolationFields(OpenCase(Submitted(bad), w.Ctx(System())).status()), row.fields)
        << row.name;
  }
}

TEST(OpenCaseTest, EngineProposalFromTheSnapshot) {
  World w;
  auto app = App("app-1", "10000001", "inst-kyoto", "", {"phonon", "熱"});
  AddCoInvestigator(app, "10000002", "inst-osaka");
  AddCoInvestigator(app, "", "");  // a foreign collaborator without ids
  auto c = OpenCase(Submitted(app), w.Ctx(System()))->review_case;
  assignment::Proposal p = ToEngineProposal(c);
  EXPECT_EQ(p.id, c.case_id());
  EXPECT_EQ(p.review_section, "area:area-thermal") << "area advisors are the candidates";
  EXPECT_EQ(p.keywords, (std::vector<std::string>{"phonon", "熱"}));
  EXPECT_EQ(p.pi.researcher_id, "10000001");
  EXPECT_EQ(p.pi.institution_ids, std::vector<std::string>{"inst-kyoto"});
  ASSERT_EQ(p.co_investigators.size(), 2u);
  EXPECT_EQ(p.co_investigators[0].institution_ids, std::vector<std::string>{"inst-osaka"});
  EXPECT_TRUE(p.co_investigators[1].institution_ids.empty());
  c.mutable_application()->set_review_section("A-01-100");
  EXPECT_EQ(ToEngineProposal(c).review_section, "A-01-100");
  c.mutable_application()->clear_review_section();
  c.clear_research_area_id();
  EXPECT_EQ(ToEngineProposal(c).review_section, "") << "keywords decide";
}

TEST(CallReviewTest, CreatedByTheFirstSubmissionOrByCallClosed) {
  World w;
  const auto e = Submitted(App("app-1", "10000001", "inst-kyoto", "S1"));
  auto created = NoteSubmission(std::nullopt, e, w.Ctx(System()));
  ASSERT_TRUE(created.has_value());
  EXPECT_EQ(created->call_id(), kCallId);
  EXPECT_EQ(created->state(), v1::CALL_REVIEW_STATE_COLLECTING);
  EXPECT_EQ(created->stages_size(), 2);
  EXPECT_EQ(created->reviewers_per_proposal(), 3);
  EXPECT_EQ(created->institution_window_years(), 3);
  EXPECT_EQ(created->version(), 1);
  EXPECT_FALSE(NoteSubmission(created, e, w.Ctx(System())).has_value()) << "nothing new";

  calls::v1::CallClosed closed;
  closed.set_call_id(kCallId);
  closed.set_program_id("crest");
  *closed.mutable_closed_at() = ToTimestamp(CloseTime());
  closed.set_application_count(3);
  closed.set_applications_ever_submitted(4);
  // CallClosed before any ApplicationSubmitted: events of different
  // aggregates arrive in any order.
  auto early = CloseCallReview(std::nullopt, closed, w.Ctx(System()));
  ASSERT_TRUE(early.ok());
  EXPECT_EQ(early->state(), v1::CALL_REVIEW_STATE_CLOSED);
  EXPECT_EQ(early->expected_cases(), 4);
  EXPECT_EQ(FromTimestamp(early->closed_at()), CloseTime());
  auto filled = NoteSubmission(*early, e, w.Ctx(System()));
  ASSERT_TRUE(filled.has_value());
  EXPECT_EQ(filled->stages_size(), 2);
  EXPECT_EQ(filled->state(), v1::CALL_REVIEW_STATE_CLOSED);
  EXPECT_EQ(filled->version(), 2);
  EXPECT_EQ(CloseCallReview(*filled, closed, w.Ctx(System())).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(CallReviewTest, EveryCaseCountsWhenEverItWasWithdrawn) {
  struct Row {
    const char* name;
    std::vector<std::pair<std::string, std::optional<absl::Time>>> cases;  // withdrawn at
    int64_t ever_submitted;
    int counted;
    bool ready;
  };
  const absl::Time close = CloseTime();
  const Row rows[] = {
      {"all here", {{"A", {}}, {"B", {}}}, 2, 2, true},
      {"one missing", {{"A", {}}}, 2, 1, false},
      {"withdrawn before closing", {{"A", {}}, {"B", close - absl::Seconds(1)}}, 2, 2, true},
      {"withdrawn at closing", {{"A", {}}, {"B", close}}, 2, 2, true},
      {"withdrawn after closing", {{"A", {}}, {"B", close + absl::Hours(1)}}, 2, 2, true},
      // B was withdrawn while the call was CLOSING, before the calls service
      // counted: CallClosed counts A and C SUBMITTED, but three ever
      // submitted, so C's case is still awaited.
      {"withdrawn while closing, one missing", {{"A", {}}, {"B", close + absl::Milliseconds(5)}}, 3, 2, false},
  };
  for (const Row& row : rows) {
    World w;
    for (const auto& [id, withdrawn_at] : row.cases) {
      ASSERT_TRUE(w.Submit(App(id, "10000001", "inst-kyoto", "S1")).ok());
      if (withdrawn_at) {
        calls::v1::ApplicationWithdrawn e;
        e.set_application_id(id);
        *e.mutable_withdrawn_at() = ToTimestamp(*withdrawn_at);
        auto t = WithdrawCase(w.Case(id), e, 0, w.Ctx(System()));
        ASSERT_TRUE(t.ok());
        w.Apply(*t);
      }
    }
    ASSERT_TRUE(w.Close(row.ever_submitted).ok());
    EXPECT_EQ(CountedCases(*w.call, w.cases), row.counted) << row.name;
    EXPECT_EQ(ReadyForAssignment(*w.call, w.cases), row.ready) << row.name;
  }
}

TEST(CallReviewTest, WithdrawingADecidedCaseKeepsTheDecision) {
  World w;
  ASSERT_TRUE(w.AddReviewer(Rev("a", "", "inst-ra", {"S1"})).ok());
  ASSERT_TRUE(w.AddReviewer(Rev("b", "", "inst-rb", {"S1"})).ok());
  ASSERT_TRUE(w.Open({App("A", "10000001", "inst-kyoto", "S1")}).ok());
  ASSERT_TRUE(w.Review("A", "r-a", 5).ok());
  ASSERT_TRUE(w.Review("A", "r-b", 5).ok());
  ASSERT_TRUE(w.Shortlist("A").ok());
  ASSERT_TRUE(w.Decide("A", true).ok());
  calls::v1::ApplicationWithdrawn e;
  e.set_application_id("A");
  e.set_reason("辞退");
  auto t = WithdrawCase(w.Case("A"), e, 0, w.Ctx(System()));
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->review_case.state(), v1::CASE_STATE_DECIDED);
  EXPECT_TRUE(t->review_case.decision().adopted());
  EXPECT_EQ(t->review_case.withdraw_reason(), "辞退");
  EXPECT_TRUE(t->events.empty());
  e.set_application_id("other");
  EXPECT_EQ(WithdrawCase(w.Case("A"), e, 0, w.Ctx(System())).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ResubmitCaseTest, OnlyANewerEventFollowsTheCase) {
  v1::ReviewCase c;
  c.set_application_version(4);
  *c.mutable_application()->mutable_submitted_at() = ToTimestamp(CloseTime() - absl::Hours(2));
  struct Row {
    const char* name;
    int64_t case_version;
    ApplicationEventOrder order;
    bool follows;
  };
  const absl::Time submitted = CloseTime() - absl::Hours(2);
  const Row rows[] = {
      {"newer version", 4, {5, submitted - absl::Hours(1)}, true},
      {"same version (a redelivery)", 4, {4, submitted + absl::Hours(1)}, false},
      {"older version (a replay)", 4, {3, submitted + absl::Hours(1)}, false},
      {"no version: later", 0, {0, submitted + absl::Seconds(1)}, true},
      {"no version: same time", 0, {0, submitted}, false},
      {"case without version: by time", 0, {7, submitted - absl::Seconds(1)}, false},
  };
  for (const Row& row : rows) {
    c.set_application_version(row.case_version);
    EXPECT_EQ(FollowsCase(c, row.order), row.follows) << row.name;
  }
  c.set_application_version(0);
  *c.mutable_withdrawn_at() = ToTimestamp(submitted + absl::Hours(1));
  EXPECT_FALSE(FollowsCase(c, {0, submitted + absl::Minutes(30)})) << "before the withdrawal";
  EXPECT_TRUE(FollowsCase(c, {0, submitted + absl::Hours(2)}));
}

TEST(ResubmitCaseTest, ANewerSnapshotReplacesTheOldAndReopensAWithdrawnCase) {
  World w;
  ASSERT_TRUE(w.AddReviewer(Rev("a", "", "inst-ra", {"S1"})).ok());
  ASSERT_TRUE(w.AddReviewer(Rev("b", "", "inst-rb", {"S1"})).ok());
  ASSERT_TRUE(w.Open({App("A", "10000001", "inst-kyoto", "S1")}).ok());
  ASSERT_EQ(w.ReviewersOf("A").size(), 2u);
  auto app = App("A", "10000001", "inst-kyoto", "S1");
  app.set_title_ja("改訂版");
  app.set_version(9);
  const auto e = Submitted(app);

  auto t = ResubmitCase(w.Case("A"), e, w.Ctx(System()));
  ASSERT_TRUE(t.ok()) << t.status();
  const v1::ReviewCase& c = t->review_case;
  EXPECT_EQ(c.case_id(), w.Case("A").case_id());
  EXPECT_EQ(c.application().title_ja(), "改訂版");
  EXPECT_EQ(c.application_version(), 9);
  EXPECT_EQ(c.state(), v1::CASE_STATE_IN_REVIEW);
  EXPECT_EQ(c.assignments_size(), 0) << "the first stage is solved afresh";
  EXPECT_EQ(c.version(), w.Case("A").version() + 1);
  ASSERT_EQ(t->events.size(), 1u) << "the old version's reviewers released";
  const auto& released = std::get<v1::ReviewersAssigned>(t->events[0]);
  EXPECT_EQ(released.cause(), v1::ASSIGNMENT_CHANGE_KIND_WITHDRAWN);
  EXPECT_EQ(released.removed_reviewer_ids_size(), 2);
  EXPECT_EQ(released.reviewers_size(), 0);

  calls::v1::ApplicationWithdrawn withdrawn;
  withdrawn.set_application_id("A");
  auto dropped = WithdrawCase(w.Case("A"), withdrawn, 8, w.Ctx(System()));
  ASSERT_TRUE(dropped.ok());
  EXPECT_EQ(dropped->review_case.application_version(), 8);
  auto reopened = ResubmitCase(dropped->review_case, e, w.Ctx(System()));
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_EQ(reopened->review_case.state(), v1::CASE_STATE_IN_REVIEW);
  EXPECT_FALSE(reopened->review_case.has_withdrawn_at());
  EXPECT_TRUE(reopened->events.empty()) << "the withdrawal released them already";

  auto other = app;
  other.set_application_id("B");
  EXPECT_EQ(ResubmitCase(w.Case("A"), Submitted(other), w.Ctx(System())).status().code(),
            absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(w.Review("A", w.ReviewersOf("A")[0], 4).ok());
  EXPECT_EQ(ResubmitCase(w.Case("A"), e, w.Ctx(System())).status().code(), absl::StatusCode::kFailedPrecondition)
      << "a reviewed version is never replaced silently";
}

TEST(CallReviewTest, SetReviewDeadline) {
  World w({kDocument, kInterview}, 2);
  ASSERT_TRUE(w.Submit(App("A", "10000001", "inst-kyoto", "S1")).ok());
  ASSERT_TRUE(w.Close().ok());
  struct Row {
    const char* name;
    Stage stage;
    absl::Time deadline;
    absl::StatusCode code;
  };
  const Row rows[] = {
      {"document", kDocument, Jst(2017, 7, 1), absl::StatusCode::kOk},
      {"interview", kInterview, Jst(2017, 8, 20), absl::StatusCode::kOk},
      {"a stage the call lacks", calls::v1::REVIEW_STAGE_PANEL, Jst(2017, 7, 1),
       absl::StatusCode::kInvalidArgument},
      {"unset", kDocument, absl::InfinitePast(), absl::StatusCode::kInvalidArgument},
      {"now", kDocument, CloseTime(), absl::StatusCode::kFailedPrecondition},
  };
  for (const Row& row : rows) {
    v1::SetReviewDeadlineRequest r;
    r.set_call_id(kCallId);
    r.set_stage(row.stage);
    if (row.deadline != absl::InfinitePast()) *r.mutable_review_deadline() = ToTimestamp(row.deadline);
    auto set = SetReviewDeadline(*w.call, r, w.PoCtx());
    EXPECT_EQ(set.status().code(), row.code) << row.name;
    if (!set.ok()) continue;
    w.call = *set;
    EXPECT_EQ(ReviewDeadline(*w.call, row.stage), row.deadline);
  }
  EXPECT_EQ(w.call->schedules_size(), 2);
  EXPECT_TRUE(w.call->schedules(0).deadline_set_explicitly());
}

TEST(JstDayTest, EndOfTheJstDay) {
  struct Row {
    absl::Time t;
    int days;
    absl::Time end;
  };
  const Row rows[] = {
      {Jst(2017, 6, 7), 28, Jst(2017, 7, 6)},
      {Jst(2017, 6, 7, 23, 59, 59), 0, Jst(2017, 6, 8)},
      {Jst(2017, 6, 7, 0, 0, 0), 0, Jst(2017, 6, 8)},
      {Jst(2017, 6, 6, 23, 59, 59) + absl::Milliseconds(999), 1, Jst(2017, 6, 8)},
      {Jst(2018, 3, 31, 12), 1, Jst(2018, 4, 2)},
  };
  for (const Row& row : rows) EXPECT_EQ(EndOfJstDayAfter(row.t, row.days), row.end) << row.t;
  // 2017-06-06T15:30Z is already 7 June in Tokyo.
  EXPECT_EQ(EndOfJstDayAfter(absl::FromUnixSeconds(1496763000), 0), Jst(2017, 6, 8));
}

TEST(RulesTest, FromTheShippedCatalog) {
  auto catalog = calls::Catalog::LoadFromFile(std::string(TANE_CALLS_CATALOG_DIR) + "/programs.yaml");
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  const ReviewRules crest = ReviewRules::FromProgram(catalog->Find("crest"));
  EXPECT_EQ(crest.program_id, "crest");
  EXPECT_EQ(crest.stages, (std::vector<Stage>{kDocument, kInterview}));
  EXPECT_EQ(crest.reviewers_per_proposal, 5);
  EXPECT_TRUE(crest.Validate().ok());
  const ReviewRules kiban = ReviewRules::FromProgram(catalog->Find("kakenhi-kiban-s"));
  EXPECT_EQ(kiban.stages, std::vector<Stage>{kDocument});
  const ReviewRules forest = ReviewRules::FromProgram(catalog->Find("forest"));
  EXPECT_EQ(forest.stages, (std::vector<Stage>{kDocument, kInterview, calls::v1::REVIEW_STAGE_PANEL}))
      << "two document rounds run as one";
  const ReviewRules none = ReviewRules::FromProgram(nullptr);
  EXPECT_EQ(none.stages, std::vector<Stage>{kDocument});
  EXPECT_EQ(none.reviewers_per_proposal, 5);
  EXPECT_EQ(none.rank_bands, (std::vector<int>{20, 50, 100}));
  for (const auto& p : catalog->programs()) {
    EXPECT_TRUE(ReviewRules::FromProgram(&p).Validate().ok())
        << p.id << ": " << ReviewRules::FromProgram(&p).Validate();
  }
}

TEST(RulesTest, DefaultFormAndValidation) {
  const v1::ReviewForm f = DefaultReviewForm("crest", kInterview);
  EXPECT_EQ(f.stage(), kInterview);
  EXPECT_EQ(f.overall_min(), 1);
  EXPECT_EQ(f.overall_max(), 5);
  EXPECT_TRUE(f.comment_to_applicant_required());
  for (const auto& c : f.criteria()) {
    EXPECT_EQ(c.min_score(), 1);
    EXPECT_EQ(c.max_score(), 5);
    EXPECT_FALSE(c.name_ja().empty());
  }
  ReviewRules custom;
  v1::ReviewForm four = DefaultReviewForm("kakenhi", kDocument);
  four.set_overall_max(4);
  custom.forms.push_back(four);
  EXPECT_EQ(custom.FormFor(kDocument).overall_max(), 4);
  EXPECT_EQ(custom.FormFor(kInterview).overall_max(), 5) << "default for other stages";

  struct Row {
    const char* name;
    void (*edit)(ReviewRules&);
    std::vector<std::string> fields;
  };
  const Row rows[] = {
      {"defaults", [](auto&) {}, {}},
      {"no stages", [](auto& r) { r.stages.clear(); }, {"stages"}},
      {"stage twice", [](auto& r) { r.stages.push_back(kDocument); }, {"stages[1]"}},
      {"N 0", [](auto& r) { r.reviewers_per_proposal = 0; }, {"reviewers_per_proposal"}},
      {"bands not ending at 100", [](auto& r) { r.rank_bands = {20, 50}; }, {"rank_bands"}},
      {"bands falling", [](auto& r) { r.rank_bands = {50, 20, 100}; }, {"rank_bands[1]"}},
      {"form with an empty scale",
       [](auto& r) {
         v1::ReviewForm f = DefaultReviewForm("x", kDocument);
         f.set_overall_max(1);
         f.mutable_criteria(0)->set_max_score(1);
         r.forms.push_back(f);
       },
       {"forms[0].overall_max", "forms[0].criteria[0].max_score"}},
  };
  for (const Row& row : rows) {
    ReviewRules r;
    row.edit(r);
    EXPECT_EQ(ViolationFields(r.Validate()), row.fields) << row.name;
  }
}

}  // namespace
}  // namespace tane::reviews::testing
