// A conflicted reviewer never sees a proposal and never appears in its
// assignment — proved for every path a conflict can take: the automatic rules
// at solve time, a declaration before the solve, a late declaration after
// assignment (by the reviewer or on their behalf), and a profile change
// after assignment.

#include <gtest/gtest.h>

#include <algorithm>

#include "test_support.h"

namespace tane::reviews::testing {
namespace {

constexpr char kPi[] = "10000001";
constexpr char kCo[] = "10000002";

enum class Path {
  kSameInstitutionNow,
  kSameInstitutionWithinWindow,
  kCoauthor,
  kRelative,
  kIsInvestigator,
  kDeclaredBeforeSolve,
  kDeclaredAfterAssignmentByReviewer,
  kDeclaredAfterAssignmentByOfficer,
  kProfileChangeAfterAssignment,
};

struct PathCase {
  Path path;
  const char* name;
  bool late;  // x is assigned first, then becomes conflicted
};

class ConflictPathTest : public ::testing::TestWithParam<PathCase> {
 protected:
  // x is the best match for A1 (exact section and every keyword), so only the
  // conflict rules keep x off it; the clean reviewers match the section only.
  void SetUp() override {
    auto a1 = App("A1", kPi, "inst-kyoto", "S1", {"thermal", "phonon"});
    AddCoInvestigator(a1, kCo, "inst-osaka");
    auto a2 = App("A2", "10000003", "inst-tohoku", "S1", {"thermal", "phonon"});
    ASSERT_TRUE(w.Submit(a1).ok());
    ASSERT_TRUE(w.Submit(a2).ok());
    for (const char* n : {"c1", "c2", "c3", "c4"}) {
      ASSERT_TRUE(w.AddReviewer(Rev(n, "", std::string("inst-") + n, {"S1"})).ok());
    }
    v1::Reviewer x = Rev("x", "20000001", "inst-hokkaido", {"S1"});
    x.add_keywords("thermal");
    x.add_keywords("phonon");
    switch (GetParam().path) {
      case Path::kSameInstitutionNow:
        x.mutable_affiliations(0)->set_institution_id("inst-kyoto");
        break;
      case Path::kSameInstitutionWithinWindow:
        // Left the co-investigator's institution 2 years before closing.
        AddPastAffiliation(x, "inst-osaka", Jst(2008, 4, 1), Jst(2015, 4, 1));
        break;
      case Path::kCoauthor:
        AddRelation(x, kCo, v1::RELATION_KIND_COAUTHOR);
        break;
      case Path::kRelative:
        AddRelation(x, kPi, v1::RELATION_KIND_RELATIVE);
        break;
      case Path::kIsInvestigator:
        x.set_researcher_id(kCo);
        break;
      default:
        break;
    }
    ASSERT_TRUE(w.AddReviewer(x).ok());
    ASSERT_TRUE(w.Close().ok());
  }

  static void AddRelation(v1::Reviewer& r, const std::string& researcher, v1::RelationKind kind) {
    auto* c = r.add_standing_conflicts();
    c->set_researcher_id(researcher);
    c->set_kind(kind);
  }

  void DeclareBy(const common::v1::Actor& actor, const v1::Reviewer* caller,
                 const std::string& reviewer_id) {
    v1::DeclareConflictRequest r;
    r.set_case_id(w.Case("A1").case_id());
    r.set_reviewer_id(reviewer_id);
    r.set_reason("共同研究者の指導教員");
    auto t = DeclareConflict(*w.call, w.cases, w.pool, caller, r, w.Ctx(actor));
    ASSERT_TRUE(t.ok()) << t.status();
    w.Apply(*t);
  }

  World w;
};

TEST_P(ConflictPathTest, NeverSeesNorAppears) {
  const PathCase& pc = GetParam();
  const std::string x = "r-x";
  if (pc.path == Path::kDeclaredBeforeSolve) DeclareBy(Po(), nullptr, x);
  auto first = w.Solve();
  ASSERT_TRUE(first.ok()) << first.status();

  if (pc.late) {
    // Precondition: without a conflict x is the best reviewer of A1.
    const auto before = w.ReviewersOf("A1");
    ASSERT_NE(std::find(before.begin(), before.end(), x), before.end());
    ASSERT_TRUE(ReviewerMaySee(w.Case("A1"), *w.call, w.Reviewer(x), w.now));
    ASSERT_TRUE(w.Review("A1", x, 5).ok());
    w.now += absl::Hours(1);
    switch (pc.path) {
      case Path::kDeclaredAfterAssignmentByReviewer:
        DeclareBy(w.As(x), &w.Reviewer(x), "");
        break;
      case Path::kDeclaredAfterAssignmentByOfficer:
        DeclareBy(Po(), nullptr, x);
        break;
      case Path::kProfileChangeAfterAssignment: {
        v1::Reviewer patch;
        auto* moved = patch.add_affiliations();
        *moved = w.Reviewer(x).affiliations(0);
        auto* next = patch.add_affiliations();
        next->set_institution_id("inst-kyoto");  // the PI's institution
        *next->mutable_start_time() = ToTimestamp(w.now);
        google::protobuf::FieldMask mask;
        mask.add_paths("affiliations");
        auto updated = UpdateReviewer(w.Reviewer(x), patch, mask, w.Ctx(Operator()));
        ASSERT_TRUE(updated.ok()) << updated.status();
        for (auto& r : w.pool) {
          if (r.reviewer_id() == x) r = updated->reviewer;
        }
        // Between the profile change and the recusal, x already sees nothing.
        EXPECT_FALSE(ReviewerMaySee(w.Case("A1"), *w.call, w.Reviewer(x), w.now));
        auto recused = RecuseOnProfileChange(*w.call, w.cases, w.pool, x, w.Ctx(System()));
        ASSERT_TRUE(recused.ok()) << recused.status();
        ASSERT_EQ(recused->cases.size(), 1u);  // only A1: x stays on A2
        w.Apply(*recused);
        break;
      }
      default:
        FAIL() << "not a late path";
    }
  }

  // A second run must not bring x back.
  ASSERT_TRUE(w.Solve().ok());

  const v1::ReviewCase& a1 = w.Case("A1");
  for (const auto& sa : a1.assignments()) {
    for (const auto& r : sa.reviewers()) EXPECT_NE(r.reviewer_id(), x) << pc.name;
  }
  EXPECT_EQ(w.ReviewersOf("A1").size(), 2u) << "refilled to N";
  EXPECT_FALSE(ReviewerMaySee(a1, *w.call, w.Reviewer(x), w.now));
  const Viewer as_x{w.As(x), &w.Reviewer(x)};
  EXPECT_EQ(ViewCase(a1, *w.call, as_x, w.now).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ViewMyReview(a1, *w.call, w.Reviewer(x), w.now).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(w.Review("A1", x, 1).code(), absl::StatusCode::kNotFound);
  auto mine = ListMyReviewAssignments({std::span(&*w.call, 1)}, w.cases, w.Reviewer(x), {}, w.now);
  ASSERT_TRUE(mine.ok());
  for (const auto& s : mine->assignments()) EXPECT_NE(s.application_id(), "A1");
  // x's review of A1 (late paths) no longer counts anywhere.
  for (const auto& r : a1.reviews()) {
    if (r.reviewer_id() == x) {
      EXPECT_FALSE(r.counted());
    }
  }
  const v1::Ranking ranking = ComputeRanking(*w.call, w.cases, kDocument, w.now);
  EXPECT_EQ(FindEntry(ranking, a1.case_id())->counted_reviews(), 0);

  // Events: x is never added to A1; on late paths the last event removes x.
  const v1::ReviewersAssigned* last = nullptr;
  for (const auto* e : w.AssignedEvents()) {
    if (e->case_id() != a1.case_id()) continue;
    last = e;
    if (!pc.late) {
      for (const auto& id : e->added_reviewer_ids()) EXPECT_NE(id, x);
    }
  }
  ASSERT_NE(last, nullptr);
  for (const auto& r : last->reviewers()) EXPECT_NE(r.reviewer_id(), x);
  if (pc.late) {
    EXPECT_EQ(std::count(last->removed_reviewer_ids().begin(), last->removed_reviewer_ids().end(),
                         x),
              1);
  }
  // x is not excluded wholesale: the unconflicted A2 has them.
  const auto a2 = w.ReviewersOf("A2");
  EXPECT_NE(std::find(a2.begin(), a2.end(), x), a2.end());
  EXPECT_TRUE(ReviewerMaySee(w.Case("A2"), *w.call, w.Reviewer(x), w.now));
}

INSTANTIATE_TEST_SUITE_P(
    EveryPath, ConflictPathTest,
    ::testing::Values(
        PathCase{Path::kSameInstitutionNow, "same institution now", false},
        PathCase{Path::kSameInstitutionWithinWindow, "same institution within window", false},
        PathCase{Path::kCoauthor, "co-author", false},
        PathCase{Path::kRelative, "relative", false},
        PathCase{Path::kIsInvestigator, "reviewer is an investigator", false},
        PathCase{Path::kDeclaredBeforeSolve, "declared before solve", false},
        PathCase{Path::kDeclaredAfterAssignmentByReviewer, "late declaration by reviewer", true},
        PathCase{Path::kDeclaredAfterAssignmentByOfficer, "late declaration by officer", true},
        PathCase{Path::kProfileChangeAfterAssignment, "profile change after assignment", true}),
    [](const ::testing::TestParamInfo<PathCase>& info) {
      std::string name = info.param.name;
      std::replace_if(name.begin(), name.end(), [](char c) { return !std::isalnum(c); }, '_');
      return name;
    });

// The window is configurable and its boundary is inclusive: an affiliation
// that ended exactly N years before closing still conflicts, one day more
// does not.
TEST(ConflictWindowTest, PastAffiliationCountsForTheConfiguredYears) {
  struct Row {
    int window_years;
    absl::Time ended;
    bool conflicted;
  };
  const Row rows[] = {
      {3, Jst(2014, 6, 7), true},   // exactly 3 years before the 2017-06-07 close
      {3, Jst(2014, 6, 6), false},  // a day earlier
      {5, Jst(2014, 6, 6), true},
      {0, Jst(2017, 6, 6), false},  // window 0: only current affiliations
      {0, Jst(2017, 6, 8), true},   // still there at closing
  };
  for (const Row& row : rows) {
    World w;
    w.rules.institution_window_years = row.window_years;
    ASSERT_TRUE(w.Submit(App("A1", kPi, "inst-kyoto", "S1")).ok());
    ASSERT_TRUE(w.Close().ok());
    v1::Reviewer r = Rev("x", "", "inst-elsewhere", {"S1"});
    AddPastAffiliation(r, "inst-kyoto", Jst(2000, 4, 1), row.ended);
    ASSERT_TRUE(w.AddReviewer(r).ok());
    const auto conflicts = ConflictsOf(w.Case("A1"), w.pool[0], *w.call, w.now);
    EXPECT_EQ(!conflicts.empty(), row.conflicted)
        << "window " << row.window_years << ", ended " << row.ended;
  }
}

// A solve request may override the window; the override sticks for the call.
TEST(ConflictWindowTest, SolveRequestOverridesTheWindow) {
  World w;
  ASSERT_TRUE(w.Submit(App("A1", kPi, "inst-kyoto", "S1")).ok());
  ASSERT_TRUE(w.Close().ok());
  v1::Reviewer r = Rev("x", "", "inst-elsewhere", {"S1"});
  AddPastAffiliation(r, "inst-kyoto", absl::InfinitePast(), Jst(2012, 4, 1));  // 5 years before
  ASSERT_TRUE(w.AddReviewer(r).ok());
  ASSERT_TRUE(w.AddReviewer(Rev("c1", "", "inst-c1", {"S1"})).ok());
  v1::SolveAssignmentRequest request;
  request.set_institution_window_years(10);
  auto solved = w.Solve(request);
  ASSERT_TRUE(solved.ok()) << solved.status();
  EXPECT_EQ(w.call->institution_window_years(), 10);
  EXPECT_EQ(w.ReviewersOf("A1"), std::vector<std::string>{"r-c1"});
  ASSERT_EQ(solved->run.shortfalls_size(), 1);
  EXPECT_EQ(solved->run.shortfalls(0).conflicted(), 1);
}

// A pin can never put a conflicted reviewer on a case: refused when set, and
// skipped (with a note) when the conflict arises between pin and solve.
TEST(ConflictPinTest, PinsNeverOverrideConflicts) {
  World w;
  ASSERT_TRUE(w.Submit(App("A1", kPi, "inst-kyoto", "S1")).ok());
  ASSERT_TRUE(w.AddReviewer(Rev("same", "", "inst-kyoto", {"S1"})).ok());
  ASSERT_TRUE(w.AddReviewer(Rev("x", "", "inst-x", {"S1"})).ok());
  ASSERT_TRUE(w.AddReviewer(Rev("c1", "", "inst-c1", {"S1"})).ok());
  ASSERT_TRUE(w.AddReviewer(Rev("c2", "", "inst-c2", {"S1"})).ok());
  v1::SetPairRuleRequest pin;
  pin.set_case_id(w.Case("A1").case_id());
  pin.set_reviewer_id("r-same");
  pin.set_kind(v1::PAIR_RULE_KIND_PIN);
  auto refused = SetPairRule(w.Case("A1"), *w.call, w.pool, pin, w.PoCtx());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ViolationFields(refused.status()), std::vector<std::string>{"reviewer_id"});

  pin.set_reviewer_id("r-x");
  auto pinned = SetPairRule(w.Case("A1"), *w.call, w.pool, pin, w.PoCtx());
  ASSERT_TRUE(pinned.ok()) << pinned.status();
  w.Apply(*pinned);
  // Then x declares a conflict (through the officer) before the solve.
  v1::DeclareConflictRequest d;
  d.set_case_id(w.Case("A1").case_id());
  d.set_reviewer_id("r-x");
  d.set_reason("former student of the PI");
  auto declared = DeclareConflict(*w.call, w.cases, w.pool, nullptr, d, w.PoCtx());
  ASSERT_TRUE(declared.ok()) << declared.status();
  w.Apply(*declared);
  ASSERT_TRUE(w.Close().ok());
  auto solved = w.Solve();
  ASSERT_TRUE(solved.ok()) << solved.status();
  const auto got = w.ReviewersOf("A1");
  EXPECT_EQ(std::count(got.begin(), got.end(), "r-x"), 0);
  EXPECT_EQ(std::count(got.begin(), got.end(), "r-same"), 0);
  ASSERT_EQ(solved->run.notes_size(), 1);
  EXPECT_NE(solved->run.notes(0).find("pin of r-x"), std::string::npos);
  EXPECT_NE(solved->run.notes(0).find("declared"), std::string::npos);
}

// Manual reassignment cannot add a conflicted reviewer either.
TEST(ConflictReassignTest, ReassignRefusesAConflictedReviewer) {
  World w;
  ASSERT_TRUE(w.AddReviewer(Rev("c1", "", "inst-c1", {"S1"})).ok());
  ASSERT_TRUE(w.AddReviewer(Rev("c2", "", "inst-c2", {"S1"})).ok());
  ASSERT_TRUE(w.AddReviewer(Rev("same", "", "inst-kyoto", {"S1"})).ok());
  ASSERT_TRUE(w.Open({App("A1", kPi, "inst-kyoto", "S1")}).ok());
  v1::ReassignReviewerRequest r;
  r.set_case_id(w.Case("A1").case_id());
  r.set_remove_reviewer_id("r-c1");
  r.set_add_reviewer_id("r-same");
  r.set_reason("expertise");
  auto refused = ReassignReviewer(*w.call, w.cases, w.pool, r, w.PoCtx());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("same_institution"), std::string::npos);
}

}  // namespace
}  // namespace tane::reviews::testing

namespace tane::reviews::testing {
namespace {

TEST(DeclareConflictTest, Refusals) {
  World w;
  for (const char* n : {"a", "b", "c"}) {
    ASSERT_TRUE(w.AddReviewer(Rev(n, "", std::string("inst-r") + n, {"S1"})).ok());
  }
  ASSERT_TRUE(w.AddReviewer(Rev("far", "", "inst-far", {"S9"})).ok());
  ASSERT_TRUE(w.Open({App("A1", kPi, "inst-kyoto", "S1")}).ok());
  const std::string on = w.ReviewersOf("A1")[0];
  struct Row {
    const char* name;
    common::v1::Actor actor;
    std::string caller;  // reviewer record of the caller, if any
    std::string reviewer_id;
    std::string reason;
    absl::StatusCode code;
  };
  const Row rows[] = {
      {"no reason", w.As(on), on, "", " ", absl::StatusCode::kInvalidArgument},
      {"reviewer not on the case", w.As("r-far"), "r-far", "", "x", absl::StatusCode::kNotFound},
      {"reviewer for someone else", w.As(on), on, "r-far", "x",
       absl::StatusCode::kPermissionDenied},
      {"officer without a reviewer", Po(), "", "", "x", absl::StatusCode::kInvalidArgument},
      {"officer, unknown reviewer", Po(), "", "r-nobody", "x", absl::StatusCode::kNotFound},
  };
  for (const Row& row : rows) {
    v1::DeclareConflictRequest r;
    r.set_case_id(w.Case("A1").case_id());
    r.set_reviewer_id(row.reviewer_id);
    r.set_reason(row.reason);
    const v1::Reviewer* caller = row.caller.empty() ? nullptr : &w.Reviewer(row.caller);
    EXPECT_EQ(DeclareConflict(*w.call, w.cases, w.pool, caller, r, w.Ctx(row.actor)).status().code(),
              row.code)
        << row.name;
  }
  // The officer declares for an unassigned reviewer: recorded, nothing released.
  v1::DeclareConflictRequest r;
  r.set_case_id(w.Case("A1").case_id());
  r.set_reviewer_id("r-far");
  r.set_reason("申告");
  auto t = DeclareConflict(*w.call, w.cases, w.pool, nullptr, r, w.PoCtx());
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_TRUE(t->events.empty());
  ASSERT_EQ(t->cases.size(), 1u);
  const auto& c = t->cases[0];
  ASSERT_EQ(c.conflicts_size(), 1);
  EXPECT_FALSE(c.conflicts(0).recused());
  EXPECT_EQ(c.conflicts(0).declared_by().subject(), "po-1");
  w.Apply(*t);
  EXPECT_EQ(DeclareConflict(*w.call, w.cases, w.pool, nullptr, r, w.PoCtx()).status().code(),
            absl::StatusCode::kFailedPrecondition)
      << "declared twice";
}

}  // namespace
}  // namespace tane::reviews::testing
