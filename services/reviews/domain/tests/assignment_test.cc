// Assignment commands: building the engine's instance from cases and the
// pool, translating its result (shortfalls included), pins and forbids,
// incremental runs, reassignment and withdrawal.

#include <gtest/gtest.h>

#include <map>

#include "test_support.h"

namespace tane::reviews::testing {
namespace {

std::string Pi(int i) { return absl::StrCat("1000", 1000 + i); }

World SixCasesFiveReviewers() {
  World w;
  for (int i = 0; i < 6; ++i) {
    EXPECT_TRUE(w.Submit(App(absl::StrCat("A", i), Pi(i), absl::StrCat("inst-a", i), "S1")).ok());
  }
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(w.AddReviewer(Rev(absl::StrCat("r", i), "", absl::StrCat("inst-r", i), {"S1"}, 3))
                    .ok());
  }
  EXPECT_TRUE(w.Close().ok());
  return w;
}

TEST(SolveTest, AssignsNReviewersPerCaseWithinLoads) {
  World w = SixCasesFiveReviewers();
  auto solved = w.Solve();
  ASSERT_TRUE(solved.ok()) << solved.status();
  std::map<std::string, int> load;
  for (const auto& c : w.cases) {
    const auto ids = w.ReviewersOf(c.application_id());
    EXPECT_EQ(ids.size(), 2u) << c.application_id();
    for (const auto& id : ids) ++load[id];
    const auto* sa = FindStageAssignment(c, kDocument);
    EXPECT_EQ(sa->required_reviewers(), 2);
    EXPECT_FALSE(sa->has_shortfall());
    EXPECT_EQ(c.version(), 2);
    ASSERT_EQ(c.assignment_history_size(), 1);
    EXPECT_EQ(c.assignment_history(0).kind(), v1::ASSIGNMENT_CHANGE_KIND_SOLVED);
    EXPECT_EQ(c.assignment_history(0).changed_by().role(), "program_officer");
  }
  for (const auto& [id, n] : load) EXPECT_LE(n, 3) << id;
  EXPECT_EQ(w.AssignedEvents().size(), 6u);
  EXPECT_EQ(solved->run.cases(), 6);
  EXPECT_EQ(solved->run.fully_covered(), 6);
  EXPECT_EQ(solved->run.new_pairs(), 12);
  EXPECT_EQ(solved->run.settings().reviewers_per_proposal(), 2);
  // Default deadline: end of the JST day 28 days after the first assignment.
  EXPECT_EQ(ReviewDeadline(*w.call, kDocument), Jst(2017, 7, 6));
  EXPECT_EQ(w.call->schedules(0).last_run().run_id(), solved->run.run_id());
}

TEST(SolveTest, InfeasibleCasesAreReportedWithTheReasonAndTheRestAssigned) {
  struct Row {
    const char* name;
    int reviewers_in_s1;
    int load;
    v1::ShortfallReason reason;
  };
  const Row rows[] = {
      // One reviewer for a section where N = 2.
      {"not enough candidates", 1, 10, v1::SHORTFALL_REASON_NOT_ENOUGH_CANDIDATES},
      // Two reviewers with load 2 for three cases of N = 2: 4 slots for 6.
      {"capacity exhausted", 2, 2, v1::SHORTFALL_REASON_CAPACITY_EXHAUSTED},
  };
  for (const Row& row : rows) {
    World w;
    for (int i = 0; i < 3; ++i) {
      ASSERT_TRUE(w.Submit(App(absl::StrCat("A", i), Pi(i), "inst-a", "S1")).ok());
    }
    ASSERT_TRUE(w.Submit(App("B", Pi(9), "inst-b", "S2")).ok());
    for (int i = 0; i < row.reviewers_in_s1; ++i) {
      ASSERT_TRUE(
          w.AddReviewer(Rev(absl::StrCat("s1-", i), "", "inst-x", {"S1"}, row.load)).ok());
    }
    ASSERT_TRUE(w.AddReviewer(Rev("s2a", "", "inst-y", {"S2"})).ok());
    ASSERT_TRUE(w.AddReviewer(Rev("s2b", "", "inst-z", {"S2"})).ok());
    ASSERT_TRUE(w.Close().ok());
    auto solved = w.Solve();
    ASSERT_TRUE(solved.ok()) << row.name << ": " << solved.status();
    EXPECT_EQ(w.ReviewersOf("B").size(), 2u) << row.name << ": the rest is assigned";
    ASSERT_GT(solved->run.shortfalls_size(), 0) << row.name;
    for (const auto& s : solved->run.shortfalls()) {
      EXPECT_EQ(s.reason(), row.reason) << row.name;
      EXPECT_EQ(s.required(), 2);
      EXPECT_LT(s.assigned(), 2);
      EXPECT_FALSE(s.detail().empty());
      EXPECT_EQ(w.Case(s.application_id()).case_id(), s.case_id());
      const auto* sa = FindStageAssignment(w.Case(s.application_id()), kDocument);
      EXPECT_EQ(sa->shortfall().SerializeAsString(), s.SerializeAsString());
      EXPECT_EQ(sa->reviewers_size(), s.assigned()) << "keeps what it got";
    }
    // The event carries the shortfall too.
    for (const auto* e : w.AssignedEvents()) {
      EXPECT_EQ(e->has_shortfall(), e->reviewers_size() < 2);
    }
  }
}

TEST(SolveTest, WaitsForTheCallToCloseAndEveryCountedApplication) {
  World w;
  ASSERT_TRUE(w.AddReviewer(Rev("r", "", "inst-r", {"S1"})).ok());
  ASSERT_TRUE(w.Submit(App("A1", Pi(1), "inst-a", "S1")).ok());
  ASSERT_TRUE(w.Submit(App("A2", Pi(2), "inst-a", "S1")).ok());
  EXPECT_EQ(w.Solve().status().code(), absl::StatusCode::kFailedPrecondition) << "not closed";

  // Withdrawn before closing: its case still counts, as it does in
  // CallClosed.applications_ever_submitted.
  calls::v1::ApplicationWithdrawn withdrawn;
  withdrawn.set_application_id("A2");
  *withdrawn.mutable_withdrawn_at() = ToTimestamp(w.now);
  auto dropped = WithdrawCase(w.Case("A2"), withdrawn, 0, w.Ctx(System()));
  ASSERT_TRUE(dropped.ok());
  w.Apply(*dropped);
  // Three applications were ever submitted (A1, A2, A3); A3's event has not arrived.
  ASSERT_TRUE(w.Close(3).ok());
  EXPECT_EQ(CountedCases(*w.call, w.cases), 2);
  EXPECT_FALSE(ReadyForAssignment(*w.call, w.cases));
  auto early = w.Solve();
  EXPECT_EQ(early.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(early.status().message().find("only 2 have arrived"), std::string::npos);
  ASSERT_TRUE(w.Submit(App("A3", Pi(3), "inst-a", "S1")).ok());
  EXPECT_TRUE(ReadyForAssignment(*w.call, w.cases));
  EXPECT_TRUE(w.Solve().ok());
  EXPECT_TRUE(w.ReviewersOf("A2").empty());
}

TEST(SolveTest, ACallWithoutApplicationsSolvesToNothing) {
  World w;
  ASSERT_TRUE(w.AddReviewer(Rev("r", "", "inst-r", {"S1"})).ok());
  ASSERT_TRUE(w.Close(0).ok());
  auto solved = w.Solve();
  ASSERT_TRUE(solved.ok()) << solved.status();
  EXPECT_EQ(solved->run.cases(), 0);
  EXPECT_TRUE(solved->transition.cases.empty());
  EXPECT_FALSE(ReviewDeadline(*w.call, kDocument).has_value());
}

TEST(SolveTest, RequestValidationListsEveryProblem) {
  World w = SixCasesFiveReviewers();
  struct Row {
    const char* name;
    void (*edit)(v1::SolveAssignmentRequest&);
    std::vector<std::string> fields;
  };
  const Row rows[] = {
      {"unknown stage", [](auto& r) { r.set_stage(kInterview); }, {"stage"}},
      {"N too big", [](auto& r) { r.set_reviewers_per_proposal(51); }, {"reviewers_per_proposal"}},
      {"negative min affinity", [](auto& r) { r.set_min_affinity(-1); }, {"min_affinity"}},
      {"negative window", [](auto& r) { r.set_institution_window_years(-1); },
       {"institution_window_years"}},
      {"unknown reviewer", [](auto& r) { r.add_reviewer_ids("r-nobody"); }, {"reviewer_ids[0]"}},
      {"bad language", [](auto& r) { r.set_required_language("english!"); },
       {"required_language"}},
      {"everything at once",
       [](auto& r) {
         r.set_min_affinity(-5);
         r.set_reviewers_per_proposal(99);
         r.add_reviewer_ids("r-nobody");
       },
       {"reviewers_per_proposal", "min_affinity", "reviewer_ids[0]"}},
  };
  for (const Row& row : rows) {
    v1::SolveAssignmentRequest r;
    r.set_call_id(kCallId);
    row.edit(r);
    auto solved = SolveAssignment(*w.call, w.cases, w.pool, r, w.PoCtx());
    EXPECT_EQ(solved.status().code(), absl::StatusCode::kInvalidArgument) << row.name;
    EXPECT_EQ(ViolationFields(solved.status()), row.fields) << row.name;
  }
  v1::SolveAssignmentRequest stale;
  stale.set_call_id(kCallId);
  stale.set_version(w.call->version() + 1);
  EXPECT_EQ(SolveAssignment(*w.call, w.cases, w.pool, stale, w.PoCtx()).status().code(),
            absl::StatusCode::kAborted);
}

TEST(SolveTest, PinsAndForbidsAreHonoured) {
  World w;
  ASSERT_TRUE(w.Submit(App("A1", Pi(1), "inst-a", "S1", {"thermal"})).ok());
  v1::Reviewer best = Rev("best", "", "inst-b", {"S1"});
  best.add_keywords("thermal");
  ASSERT_TRUE(w.AddReviewer(best).ok());
  ASSERT_TRUE(w.AddReviewer(Rev("ok1", "", "inst-c", {"S1"})).ok());
  ASSERT_TRUE(w.AddReviewer(Rev("ok2", "", "inst-d", {"S1"})).ok());
  v1::Reviewer outside = Rev("outside", "", "inst-e", {"S7"});  // out of scope
  ASSERT_TRUE(w.AddReviewer(outside).ok());

  const auto rule = [&](const std::string& id, v1::PairRuleKind kind) {
    v1::SetPairRuleRequest r;
    r.set_case_id(w.Case("A1").case_id());
    r.set_reviewer_id(id);
    r.set_kind(kind);
    r.set_note("PO judgement");
    auto t = SetPairRule(w.Case("A1"), *w.call, w.pool, r, w.PoCtx());
    ASSERT_TRUE(t.ok()) << t.status();
    w.Apply(*t);
  };
  rule("r-best", v1::PAIR_RULE_KIND_FORBID);
  rule("r-outside", v1::PAIR_RULE_KIND_PIN);
  ASSERT_TRUE(w.Close().ok());
  ASSERT_TRUE(w.Solve().ok());
  const auto* sa = FindStageAssignment(w.Case("A1"), kDocument);
  ASSERT_EQ(sa->reviewers_size(), 2);
  std::map<std::string, bool> pinned;
  for (const auto& r : sa->reviewers()) pinned[r.reviewer_id()] = r.pinned();
  EXPECT_FALSE(pinned.contains("r-best"));
  ASSERT_TRUE(pinned.contains("r-outside"));
  EXPECT_TRUE(pinned["r-outside"]);
  EXPECT_EQ(w.Case("A1").pair_rules_size(), 2);
  EXPECT_EQ(w.Case("A1").pair_rules(0).set_by().subject(), "po-1");
}

TEST(SetPairRuleTest, Refusals) {
  World w = SixCasesFiveReviewers();
  struct Row {
    const char* name;
    std::string reviewer;
    v1::PairRuleKind kind;
    Stage stage;
    absl::StatusCode code;
  };
  const Row rows[] = {
      {"unknown reviewer", "r-nobody", v1::PAIR_RULE_KIND_PIN, kDocument,
       absl::StatusCode::kNotFound},
      {"clear without a rule", "r-r0", v1::PAIR_RULE_KIND_CLEAR, kDocument,
       absl::StatusCode::kNotFound},
      {"no kind", "r-r0", v1::PAIR_RULE_KIND_UNSPECIFIED, kDocument,
       absl::StatusCode::kInvalidArgument},
      {"stage the call lacks", "r-r0", v1::PAIR_RULE_KIND_PIN, kInterview,
       absl::StatusCode::kInvalidArgument},
  };
  for (const Row& row : rows) {
    v1::SetPairRuleRequest r;
    r.set_case_id(w.Case("A0").case_id());
    r.set_reviewer_id(row.reviewer);
    r.set_kind(row.kind);
    r.set_stage(row.stage);
    EXPECT_EQ(SetPairRule(w.Case("A0"), *w.call, w.pool, r, w.PoCtx()).status().code(), row.code)
        << row.name;
  }
  // Two pins fill N = 2; a third is refused.
  for (const char* id : {"r-r0", "r-r1", "r-r2"}) {
    v1::SetPairRuleRequest r;
    r.set_case_id(w.Case("A0").case_id());
    r.set_reviewer_id(id);
    r.set_kind(v1::PAIR_RULE_KIND_PIN);
    auto t = SetPairRule(w.Case("A0"), *w.call, w.pool, r, w.PoCtx());
    if (std::string(id) == "r-r2") {
      EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
    } else {
      ASSERT_TRUE(t.ok()) << t.status();
      w.Apply(*t);
    }
  }
  ASSERT_TRUE(w.Solve().ok());
  v1::SetPairRuleRequest late;
  late.set_case_id(w.Case("A0").case_id());
  late.set_reviewer_id("r-r3");
  late.set_kind(v1::PAIR_RULE_KIND_FORBID);
  EXPECT_EQ(SetPairRule(w.Case("A0"), *w.call, w.pool, late, w.PoCtx()).status().code(),
            absl::StatusCode::kFailedPrecondition)
      << "after assignment: reassign instead";
}

TEST(SolveTest, ASecondRunKeepsCurrentReviewersAndFillsGaps) {
  World w;
  ASSERT_TRUE(w.Submit(App("A1", Pi(1), "inst-a", "S1")).ok());
  ASSERT_TRUE(w.Submit(App("A2", Pi(2), "inst-a", "S2")).ok());
  ASSERT_TRUE(w.AddReviewer(Rev("s1a", "", "inst-x", {"S1"})).ok());
  ASSERT_TRUE(w.AddReviewer(Rev("s1b", "", "inst-y", {"S1"})).ok());
  ASSERT_TRUE(w.AddReviewer(Rev("s2a", "", "inst-z", {"S2"})).ok());
  ASSERT_TRUE(w.Close().ok());
  ASSERT_TRUE(w.Solve().ok());
  ASSERT_EQ(w.ReviewersOf("A2").size(), 1u);
  const v1::ReviewCase a1_before = w.Case("A1");
  w.now += absl::Hours(48);
  ASSERT_TRUE(w.AddReviewer(Rev("s2b", "", "inst-w", {"S2"})).ok());
  const size_t events_before = w.events.size();
  auto second = w.Solve();
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(w.ReviewersOf("A2").size(), 2u);
  EXPECT_EQ(second->transition.cases.size(), 1u) << "only the short case changed";
  EXPECT_EQ(w.Case("A1").SerializeAsString(), a1_before.SerializeAsString());
  EXPECT_EQ(w.events.size(), events_before + 1);
  EXPECT_EQ(second->run.new_pairs(), 1);
  // The kept reviewer keeps their assignment time; the new one is stamped now.
  for (const auto& r : FindStageAssignment(w.Case("A2"), kDocument)->reviewers()) {
    EXPECT_EQ(FromTimestamp(r.assigned_at()),
              r.reviewer_id() == "r-s2a" ? CloseTime() : w.now);
  }
  // The deadline stays the one set at the first assignment.
  EXPECT_EQ(ReviewDeadline(*w.call, kDocument), Jst(2017, 7, 6));
}

TEST(SolveTest, RestrictedPoolLanguageAndAvailability) {
  World w;
  ASSERT_TRUE(w.Submit(App("A1", Pi(1), "inst-a", "S1")).ok());
  v1::Reviewer en = Rev("en", "", "inst-b", {"S1"});
  en.add_languages("en-GB");
  ASSERT_TRUE(w.AddReviewer(en).ok());
  ASSERT_TRUE(w.AddReviewer(Rev("ja", "", "inst-c", {"S1"})).ok());
  v1::Reviewer away = Rev("away", "", "inst-d", {"S1"});
  away.add_languages("en");
  auto* p = away.add_unavailable();
  *p->mutable_start_time() = ToTimestamp(Jst(2017, 6, 1));
  *p->mutable_end_time() = ToTimestamp(Jst(2017, 9, 1));
  ASSERT_TRUE(w.AddReviewer(away).ok());
  v1::Reviewer suspended = Rev("suspended", "", "inst-e", {"S1"});
  suspended.add_languages("en");
  suspended.set_suspended(true);
  ASSERT_TRUE(w.AddReviewer(suspended).ok());
  ASSERT_TRUE(w.Close().ok());
  v1::SolveAssignmentRequest r;
  r.set_required_language("en");
  auto solved = w.Solve(r);
  ASSERT_TRUE(solved.ok()) << solved.status();
  EXPECT_EQ(w.ReviewersOf("A1"), std::vector<std::string>{"r-en"});
  ASSERT_EQ(solved->run.shortfalls_size(), 1);
  EXPECT_EQ(solved->run.shortfalls(0).unavailable(), 3);

  World w2;
  ASSERT_TRUE(w2.Submit(App("A1", Pi(1), "inst-a", "S1")).ok());
  for (const char* n : {"a", "b", "c"}) {
    ASSERT_TRUE(w2.AddReviewer(Rev(n, "", std::string("inst-") + n, {"S1"})).ok());
  }
  ASSERT_TRUE(w2.Close().ok());
  v1::SolveAssignmentRequest only;
  only.add_reviewer_ids("r-b");
  only.add_reviewer_ids("r-c");
  ASSERT_TRUE(w2.Solve(only).ok());
  EXPECT_EQ(w2.ReviewersOf("A1"), (std::vector<std::string>{"r-b", "r-c"}));
}

TEST(ReassignTest, ExplicitReplacementIsRecordedWithWhoAndWhy) {
  World w = SixCasesFiveReviewers();
  ASSERT_TRUE(w.Solve().ok());
  const auto before = w.ReviewersOf("A0");
  const std::string removed = before[0];
  std::string added;
  for (const auto& r : w.pool) {
    if (std::find(before.begin(), before.end(), r.reviewer_id()) == before.end()) {
      std::map<std::string, int> load;
      for (const auto& c : w.cases) {
        for (const auto& id : w.ReviewersOf(c.application_id())) ++load[id];
      }
      if (load[r.reviewer_id()] < 3) added = r.reviewer_id();
    }
  }
  ASSERT_FALSE(added.empty());
  ASSERT_TRUE(w.Review("A0", removed, 4).ok());
  v1::ReassignReviewerRequest r;
  r.set_case_id(w.Case("A0").case_id());
  r.set_remove_reviewer_id(removed);
  r.set_add_reviewer_id(added);
  r.set_reason("専門外と判明");
  auto t = ReassignReviewer(*w.call, w.cases, w.pool, r, w.PoCtx());
  ASSERT_TRUE(t.ok()) << t.status();
  w.Apply(*t);
  const auto& c = w.Case("A0");
  const auto now = w.ReviewersOf("A0");
  EXPECT_EQ(std::count(now.begin(), now.end(), removed), 0);
  EXPECT_EQ(std::count(now.begin(), now.end(), added), 1);
  const auto& h = c.assignment_history(c.assignment_history_size() - 1);
  EXPECT_EQ(h.kind(), v1::ASSIGNMENT_CHANGE_KIND_REASSIGNED);
  EXPECT_EQ(h.reason(), "専門外と判明");
  EXPECT_EQ(h.changed_by().subject(), "po-1");
  EXPECT_EQ(h.removed_reviewer_ids(0), removed);
  EXPECT_EQ(h.added_reviewer_ids(0), added);
  for (const auto& ar : FindStageAssignment(c, kDocument)->reviewers()) {
    if (ar.reviewer_id() == added) {
      EXPECT_TRUE(ar.manual());
    }
  }
  for (const auto& review : c.reviews()) {
    if (review.reviewer_id() == removed) {
      EXPECT_FALSE(review.counted());
    }
  }
  // The removed reviewer is forbidden from coming back in a later run.
  const auto& forbid = c.pair_rules(c.pair_rules_size() - 1);
  EXPECT_EQ(forbid.kind(), v1::PAIR_RULE_KIND_FORBID);
  EXPECT_EQ(forbid.reviewer_id(), removed);
  const auto* e = w.AssignedEvents().back();
  EXPECT_EQ(e->cause(), v1::ASSIGNMENT_CHANGE_KIND_REASSIGNED);
  EXPECT_EQ(e->reason(), "専門外と判明");
}

TEST(ReassignTest, BestAvailableWhenNoReplacementIsNamed) {
  World w;
  ASSERT_TRUE(w.Submit(App("A1", Pi(1), "inst-a", "S1", {"thermal"})).ok());
  for (const char* n : {"a", "b"}) {
    v1::Reviewer r = Rev(n, "", std::string("inst-r") + n, {"S1"});
    r.add_keywords("thermal");
    ASSERT_TRUE(w.AddReviewer(r).ok());
  }
  ASSERT_TRUE(w.AddReviewer(Rev("plain", "", "inst-p", {"S1"})).ok());
  ASSERT_TRUE(w.AddReviewer(Rev("other", "", "inst-o", {"S5"})).ok());
  ASSERT_TRUE(w.Close().ok());
  ASSERT_TRUE(w.Solve().ok());
  v1::ReassignReviewerRequest r;
  r.set_case_id(w.Case("A1").case_id());
  r.set_remove_reviewer_id("r-a");
  r.set_reason("late");
  auto t = ReassignReviewer(*w.call, w.cases, w.pool, r, w.PoCtx());
  ASSERT_TRUE(t.ok()) << t.status();
  w.Apply(*t);
  EXPECT_EQ(w.ReviewersOf("A1"), (std::vector<std::string>{"r-b", "r-plain"}));
}

TEST(ReassignTest, Refusals) {
  World w = SixCasesFiveReviewers();
  ASSERT_TRUE(w.Solve().ok());
  const auto on = w.ReviewersOf("A0");
  std::string off;
  for (const auto& r : w.pool) {
    if (std::find(on.begin(), on.end(), r.reviewer_id()) == on.end()) off = r.reviewer_id();
  }
  struct Row {
    const char* name;
    std::string remove, add, reason;
    absl::StatusCode code;
  };
  const Row rows[] = {
      {"no reason", on[0], "", "", absl::StatusCode::kInvalidArgument},
      {"not assigned", off, "", "x", absl::StatusCode::kFailedPrecondition},
      {"already on the case", on[0], on[1], "x", absl::StatusCode::kFailedPrecondition},
      {"unknown replacement", on[0], "r-nobody", "x", absl::StatusCode::kNotFound},
      {"same reviewer", on[0], on[0], "x", absl::StatusCode::kInvalidArgument},
  };
  for (const Row& row : rows) {
    v1::ReassignReviewerRequest r;
    r.set_case_id(w.Case("A0").case_id());
    r.set_remove_reviewer_id(row.remove);
    r.set_add_reviewer_id(row.add);
    r.set_reason(row.reason);
    EXPECT_EQ(ReassignReviewer(*w.call, w.cases, w.pool, r, w.PoCtx()).status().code(), row.code)
        << row.name;
  }
}

TEST(ReassignTest, ReplacementAtTheirLoadCapIsRefused) {
  World w;
  ASSERT_TRUE(w.Submit(App("A1", Pi(1), "inst-a", "S1")).ok());
  ASSERT_TRUE(w.Submit(App("A2", Pi(2), "inst-a", "S2")).ok());
  ASSERT_TRUE(w.AddReviewer(Rev("s1a", "", "inst-x", {"S1"})).ok());
  ASSERT_TRUE(w.AddReviewer(Rev("s1b", "", "inst-y", {"S1"})).ok());
  ASSERT_TRUE(w.AddReviewer(Rev("s2a", "", "inst-z", {"S2"})).ok());
  ASSERT_TRUE(w.AddReviewer(Rev("busy", "", "inst-w", {"S2"}, 1)).ok());
  ASSERT_TRUE(w.Close().ok());
  ASSERT_TRUE(w.Solve().ok());
  ASSERT_EQ(w.ReviewersOf("A2").size(), 2u);  // busy holds its one slot there
  v1::ReassignReviewerRequest r;
  r.set_case_id(w.Case("A1").case_id());
  r.set_remove_reviewer_id("r-s1a");
  r.set_add_reviewer_id("r-busy");
  r.set_reason("broader view");
  auto t = ReassignReviewer(*w.call, w.cases, w.pool, r, w.PoCtx());
  EXPECT_EQ(t.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(t.status().message().find("load cap"), std::string::npos);
  // A reviewer outside the section family is fine when under their cap.
  r.set_add_reviewer_id("r-s2a");
  EXPECT_TRUE(ReassignReviewer(*w.call, w.cases, w.pool, r, w.PoCtx()).ok());
}

TEST(WithdrawTest, WithdrawnCaseIsDroppedAndItsLoadsFreed) {
  World w;
  ASSERT_TRUE(w.Submit(App("A1", Pi(1), "inst-a", "S1")).ok());
  ASSERT_TRUE(w.Submit(App("A2", Pi(2), "inst-a", "S1")).ok());
  ASSERT_TRUE(w.AddReviewer(Rev("a", "", "inst-x", {"S1"}, 1)).ok());
  ASSERT_TRUE(w.AddReviewer(Rev("b", "", "inst-y", {"S1"}, 1)).ok());
  ASSERT_TRUE(w.Close().ok());
  ASSERT_TRUE(w.Solve().ok());
  const std::string full = w.ReviewersOf("A1").size() == 2 ? "A1" : "A2";
  const std::string empty = full == "A1" ? "A2" : "A1";
  ASSERT_TRUE(w.ReviewersOf(empty).empty());

  calls::v1::ApplicationWithdrawn withdrawn;
  withdrawn.set_application_id(full);
  withdrawn.set_was_submitted(true);
  withdrawn.set_reason("辞退");
  auto t = WithdrawCase(w.Case(full), withdrawn, 0, w.Ctx(System()));
  ASSERT_TRUE(t.ok()) << t.status();
  w.Apply(*t);
  EXPECT_EQ(w.Case(full).state(), v1::CASE_STATE_WITHDRAWN);
  EXPECT_TRUE(w.ReviewersOf(full, kDocument).empty());
  const auto* e = w.AssignedEvents().back();
  EXPECT_EQ(e->cause(), v1::ASSIGNMENT_CHANGE_KIND_WITHDRAWN);
  EXPECT_EQ(e->removed_reviewer_ids_size(), 2);
  EXPECT_EQ(WithdrawCase(w.Case(full), withdrawn, 0, w.Ctx(System())).status().code(),
            absl::StatusCode::kFailedPrecondition);
  // The freed loads now cover the other case.
  ASSERT_TRUE(w.Solve().ok());
  EXPECT_EQ(w.ReviewersOf(empty).size(), 2u);
  EXPECT_TRUE(w.ReviewersOf(full, kDocument).empty());
  // Nobody sees the withdrawn case.
  EXPECT_FALSE(ReviewerMaySee(w.Case(full), *w.call, w.Reviewer("r-a"), w.now));
}

}  // namespace
}  // namespace tane::reviews::testing

namespace tane::reviews::testing {
namespace {

TEST(SetPairRuleTest, AShortStageTakesPinsForItsNextRun) {
  World w;
  ASSERT_TRUE(w.Submit(App("A1", "10000001", "inst-a", "S1")).ok());
  ASSERT_TRUE(w.AddReviewer(Rev("s1", "", "inst-x", {"S1"})).ok());
  ASSERT_TRUE(w.AddReviewer(Rev("elsewhere", "", "inst-y", {"S8"})).ok());
  ASSERT_TRUE(w.Close().ok());
  ASSERT_TRUE(w.Solve().ok());
  ASSERT_EQ(w.ReviewersOf("A1"), std::vector<std::string>{"r-s1"});
  v1::SetPairRuleRequest r;
  r.set_case_id(w.Case("A1").case_id());
  r.set_reviewer_id("r-s1");
  r.set_kind(v1::PAIR_RULE_KIND_FORBID);
  EXPECT_EQ(SetPairRule(w.Case("A1"), *w.call, w.pool, r, w.PoCtx()).status().code(),
            absl::StatusCode::kFailedPrecondition)
      << "a current reviewer leaves through :reassign";
  r.set_reviewer_id("r-elsewhere");
  r.set_kind(v1::PAIR_RULE_KIND_PIN);
  auto pinned = SetPairRule(w.Case("A1"), *w.call, w.pool, r, w.PoCtx());
  ASSERT_TRUE(pinned.ok()) << pinned.status();
  w.Apply(*pinned);
  ASSERT_TRUE(w.Solve().ok());
  EXPECT_EQ(w.ReviewersOf("A1"), (std::vector<std::string>{"r-elsewhere", "r-s1"}));
  EXPECT_FALSE(FindStageAssignment(w.Case("A1"), kDocument)->has_shortfall());
  r.set_reviewer_id("r-s1");
  r.set_kind(v1::PAIR_RULE_KIND_PIN);
  EXPECT_EQ(SetPairRule(w.Case("A1"), *w.call, w.pool, r, w.PoCtx()).status().code(),
            absl::StatusCode::kFailedPrecondition)
      << "fully assigned now";
}

TEST(ReassignTest, BringingBackARemovedReviewerLiftsTheirForbid) {
  World w;
  ASSERT_TRUE(w.Submit(App("A1", "10000001", "inst-a", "S1")).ok());
  for (const char* n : {"a", "b", "c"}) {
    ASSERT_TRUE(w.AddReviewer(Rev(n, "", std::string("inst-r") + n, {"S1"})).ok());
  }
  ASSERT_TRUE(w.Close().ok());
  ASSERT_TRUE(w.Solve().ok());
  const auto on = w.ReviewersOf("A1");
  std::string off;
  for (const auto& r : w.pool) {
    if (std::find(on.begin(), on.end(), r.reviewer_id()) == on.end()) off = r.reviewer_id();
  }
  const auto reassign = [&](const std::string& remove, const std::string& add) {
    v1::ReassignReviewerRequest r;
    r.set_case_id(w.Case("A1").case_id());
    r.set_remove_reviewer_id(remove);
    r.set_add_reviewer_id(add);
    r.set_reason("swap");
    auto t = ReassignReviewer(*w.call, w.cases, w.pool, r, w.PoCtx());
    ASSERT_TRUE(t.ok()) << t.status();
    w.Apply(*t);
  };
  reassign(on[0], off);
  reassign(off, on[0]);
  EXPECT_EQ(w.ReviewersOf("A1"), on);
  for (const auto& rule : w.Case("A1").pair_rules()) {
    EXPECT_NE(rule.reviewer_id(), on[0]) << "no forbid left on a current reviewer";
  }
  EXPECT_TRUE(w.Solve().ok()) << "a later run still validates";
}

TEST(EventTest, PayloadAndCaseOfEachEvent) {
  World w;
  ASSERT_TRUE(w.AddReviewer(Rev("a", "", "inst-ra", {"S1"})).ok());
  ASSERT_TRUE(w.AddReviewer(Rev("b", "", "inst-rb", {"S1"})).ok());
  ASSERT_TRUE(w.Open({App("A1", "10000001", "inst-a", "S1")}).ok());
  ASSERT_TRUE(w.Review("A1", "r-a", 4).ok());
  ASSERT_TRUE(w.Review("A1", "r-b", 4).ok());
  ASSERT_TRUE(w.Shortlist("A1").ok());
  ASSERT_TRUE(w.Decide("A1", true).ok());
  std::vector<std::string> types;
  for (const auto& e : w.events) {
    EXPECT_EQ(EventCaseId(e), w.Case("A1").case_id());
    types.push_back(EventPayload(e).GetDescriptor()->full_name());
  }
  EXPECT_EQ(types, (std::vector<std::string>{
                       "tane.reviews.v1.ReviewersAssigned", "tane.reviews.v1.ReviewSubmitted",
                       "tane.reviews.v1.ReviewSubmitted", "tane.reviews.v1.ProposalShortlisted",
                       "tane.reviews.v1.ProposalDecided"}));
  // One version per command on the case: opened, assigned, two reviews,
  // shortlisted, decided.
  EXPECT_EQ(w.Case("A1").version(), 6);
}

}  // namespace
}  // namespace tane::reviews::testing
