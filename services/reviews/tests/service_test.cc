// tane-reviews end to end over a real redis-server and librdkafka's mock
// cluster: the calls service's events published on tane.calls.events, the
// service called over real gRPC on a free port, its events read back from
// tane.reviews.events.
#include "tane/reviews/service.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <latch>
#include <map>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "tane/bus/envelope.h"
#include "tane/calls/catalog.h"
#include "tane/core/time.h"
#include "tane/reviews/cases.h"
#include "tane/reviews/reviewer.h"
#include "tane/runtime/identity.h"
#include "tane/service_testing/harness.h"
#include "tane/testing/fixtures.h"
#include "tane/testing/topics.h"

namespace tane::reviews {
namespace {

using common::v1::EventEnvelope;

const bool kSignalsBlocked = [] {
  runtime::BlockShutdownSignals();
  return true;
}();

constexpr char kCallsTopic[] = "tane.calls.events";
constexpr char kReviewsTopic[] = "tane.reviews.events";
constexpr char kCall[] = "call-crest-2017";

absl::Time Jst(int y, int m, int d) { return absl::FromCivil(absl::CivilDay(y, m, d), core::TokyoTimeZone()); }

const runtime::CallerIdentity kOfficer{.subject = "po-1", .role = "program_officer", .agency = ""};
const runtime::CallerIdentity kOperator{.subject = "op-1", .role = "operator", .agency = ""};

runtime::CallerIdentity ReviewerIdentity(const std::string& name) {
  return {.subject = "sub-" + name, .role = "reviewer", .agency = ""};
}

class ReviewsServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto infra = service_testing::TestInfrastructure::Start(
        {.topics = service_testing::TopicsOf("reviews", {kCallsTopic})});
    ASSERT_TRUE(infra.ok()) << infra.status();
    infra_ = *std::move(infra);
    auto catalog = calls::Catalog::LoadFromFile(std::string(TANE_CALLS_CATALOG_DIR) + "/programs.yaml");
    ASSERT_TRUE(catalog.ok()) << catalog.status();
    std::map<std::string, ReviewRules> rules;
    for (const auto& p : catalog->programs()) rules.emplace(p.id, ReviewRules::FromProgram(&p));

    service_testing::ServiceUnderTest::Options options = infra_->OptionsFor("reviews");
    options.shards = 4;
    options.consume_topics = ReviewsService::ConsumedTopics();
    options.clock = &clock_;
    options.metrics_interval = absl::Milliseconds(50);
    auto sut = service_testing::ServiceUnderTest::Create(std::move(options));
    ASSERT_TRUE(sut.ok()) << sut.status();
    sut_ = *std::move(sut);
    ReviewsServiceHooks hooks;
    hooks.after_pool_load = [this](const std::string& call_id) {
      if (on_pool_load_) on_pool_load_(call_id);
    };
    service_ = &sut_->Serve(std::make_unique<ReviewsService>(sut_->kit(), std::move(rules), std::move(hooks)));
    service_->Subscribe();
    ASSERT_TRUE(sut_->Start().ok());
    stub_ = sut_->NewStub<v1::ReviewsService>();
    reader_ = std::make_unique<testing::TopicReader>(infra_->kafka_bootstrap(), kReviewsTopic);
  }

  template <typename Request, typename Response>
  using Method = grpc::Status (v1::ReviewsService::Stub::*)(grpc::ClientContext*, const Request&, Response*);

  template <typename Request, typename Response>
  grpc::Status Call(Method<Request, Response> method, const Request& request, Response* out,
                    const runtime::CallerIdentity& who = kOfficer) {
    grpc::ClientContext context;
    runtime::AttachIdentity(context, who, "");
    return ((*stub_).*method)(&context, request, out);
  }

  /// A reviewer "r-<name>"-like record registered for S1 at `institution`.
  std::string AddReviewer(const std::string& name, const std::string& institution) {
    v1::CreateReviewerRequest request;
    auto* r = request.mutable_reviewer();
    r->set_subject("sub-" + name);
    r->set_name_ja("審査 " + name);
    r->add_affiliations()->set_institution_id(institution);
    r->add_review_sections("S1");
    r->set_max_load_per_call(10);
    request.set_idempotency_key("create-" + name);
    v1::Reviewer out;
    grpc::Status s = Call(&v1::ReviewsService::Stub::CreateReviewer, request, &out, kOperator);
    EXPECT_TRUE(s.ok()) << s.error_message();
    ids_[name] = out.reviewer_id();
    return out.reviewer_id();
  }

  /// ApplicationSubmitted for a document-only call with N = 2.
  static EventEnvelope Submitted(const std::string& app_id, const std::string& pi_institution) {
    calls::v1::ApplicationSubmitted e;
    auto* a = e.mutable_application();
    a->set_application_id(app_id);
    a->set_call_id(kCall);
    a->set_state(calls::v1::APPLICATION_STATE_SUBMITTED);
    a->set_title_ja("細胞外微粒子の機能解明 " + app_id);
    a->set_review_section("S1");
    a->set_applicant_subject("applicant-" + app_id);
    a->mutable_principal_investigator()->set_researcher_id("10000001");
    a->mutable_principal_investigator()->set_institution_id(pi_institution);
    a->set_research_period_months(66);
    a->set_start_fiscal_year(2018);
    auto* line = a->add_budget_plan();
    line->set_fiscal_year(2018);
    line->set_category(calls::v1::BUDGET_CATEGORY_EQUIPMENT);
    line->set_amount_yen(40'000'000);
    e.set_program_id("crest");
    e.set_research_area_id("area-particles");
    e.set_call_fiscal_year(2017);
    e.mutable_review_model()->add_stages(calls::v1::REVIEW_STAGE_DOCUMENT);
    e.mutable_review_model()->set_reviewers_per_proposal(2);
    return bus::NewEvent(e, "application", app_id, "applicant:applicant-" + app_id, "", Jst(2017, 6, 1));
  }

  /// Submitted(app_id) as version `version` of the application at the calls
  /// service (snapshot and envelope), its title naming the version.
  static EventEnvelope SubmittedVersion(const std::string& app_id, int64_t version,
                                        const std::string& pi_institution = "inst-kyoto") {
    EventEnvelope e = Submitted(app_id, pi_institution);
    calls::v1::ApplicationSubmitted p;
    EXPECT_TRUE(bus::UnpackPayload(e, &p));
    p.mutable_application()->set_version(version);
    p.mutable_application()->set_title_ja(absl::StrCat("細胞外微粒子の機能解明 ", app_id, " 第", version, "版"));
    *p.mutable_application()->mutable_submitted_at() = ToTimestamp(Jst(2017, 5, 1) + absl::Hours(version));
    e.mutable_payload()->PackFrom(p);
    e.set_aggregate_version(version);
    return e;
  }

  /// ApplicationWithdrawn of `app_id` as version `version` of the application.
  static EventEnvelope WithdrawnVersion(const std::string& app_id, int64_t version) {
    calls::v1::ApplicationWithdrawn w;
    w.set_application_id(app_id);
    w.set_call_id(kCall);
    w.set_was_submitted(true);
    w.set_reason("修正のため取り下げ");
    *w.mutable_withdrawn_at() = ToTimestamp(Jst(2017, 5, 1) + absl::Hours(version));
    EventEnvelope e = bus::NewEvent(w, "application", app_id, "applicant:applicant-" + app_id, "",
                                    Jst(2017, 5, 1) + absl::Hours(version));
    e.set_aggregate_version(version);
    return e;
  }

  static calls::v1::ApplicationSubmitted SubmittedPayload(const EventEnvelope& e) {
    calls::v1::ApplicationSubmitted p;
    EXPECT_TRUE(bus::UnpackPayload(e, &p));
    return p;
  }
  static calls::v1::ApplicationWithdrawn WithdrawnPayload(const EventEnvelope& e) {
    calls::v1::ApplicationWithdrawn p;
    EXPECT_TRUE(bus::UnpackPayload(e, &p));
    return p;
  }

  // CallClosed for a call that `ever_submitted` applications were submitted
  // to, `submitted` (default: all of them) still SUBMITTED at closing.
  static EventEnvelope Closed(int64_t ever_submitted, int64_t submitted = -1) {
    calls::v1::CallClosed e;
    e.set_call_id(kCall);
    e.set_program_id("crest");
    *e.mutable_closed_at() = ToTimestamp(Jst(2017, 6, 7));
    e.set_by_deadline(true);
    e.set_application_count(submitted < 0 ? ever_submitted : submitted);
    e.set_applications_ever_submitted(ever_submitted);
    return bus::NewEvent(e, "call", kCall, "system:calls", "", Jst(2017, 6, 7));
  }

  void Publish(const std::vector<EventEnvelope>& envelopes) {
    ASSERT_TRUE(testing::PublishEnvelopes(infra_->kafka_bootstrap(), kCallsTopic, envelopes).ok());
  }

  template <typename T>
  std::vector<T> Payloads() const {
    std::vector<T> out;
    for (const auto& e : reader_->OfType(T::descriptor()->full_name())) {
      T p;
      EXPECT_TRUE(bus::UnpackPayload(e, &p));
      out.push_back(std::move(p));
    }
    return out;
  }

  /// Waits until `n` cases have their first ReviewersAssigned.
  void WaitForAssignments(size_t n) {
    ASSERT_TRUE(reader_->ReadUntil([&](const auto&) {
      std::set<std::string> cases;
      for (const auto& a : Payloads<v1::ReviewersAssigned>()) cases.insert(a.case_id());
      return cases.size() >= n;
    })) << "no ReviewersAssigned for " << n << " cases";
  }

  absl::StatusOr<v1::ReviewCase> GetCase(const std::string& app_id, const runtime::CallerIdentity& who = kOfficer) {
    v1::GetReviewCaseRequest request;
    request.set_case_id(CaseIdForApplication(app_id));
    v1::ReviewCase out;
    grpc::Status s = Call(&v1::ReviewsService::Stub::GetReviewCase, request, &out, who);
    if (!s.ok()) return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
    return out;
  }

  std::vector<std::string> ReviewersOf(const v1::ReviewCase& c) {
    std::vector<std::string> out;
    for (const auto& sa : c.assignments()) {
      for (const auto& r : sa.reviewers()) out.push_back(r.reviewer_id());
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  std::string NameOf(const std::string& reviewer_id) const {
    for (const auto& [name, id] : ids_) {
      if (id == reviewer_id) return name;
    }
    return "";
  }

  /// Reviewer `name` can neither read case `application` nor find anything
  /// in their own assignment list.
  void ExpectSeesNothingOf(const std::string& application, const std::string& name) {
    EXPECT_EQ(GetCase(application, ReviewerIdentity(name)).status().code(), absl::StatusCode::kNotFound);
    v1::ListMyReviewAssignmentsResponse mine;
    ASSERT_TRUE(Call(&v1::ReviewsService::Stub::ListMyReviewAssignments, v1::ListMyReviewAssignmentsRequest(), &mine,
                     ReviewerIdentity(name))
                    .ok());
    EXPECT_EQ(mine.assignments_size(), 0);
  }

  /// Three reviewers, case A1 assigned; returns one of A1's reviewers.
  std::string OneCaseAssigned() {
    for (const char* n : {"a", "b", "c"}) AddReviewer(n, std::string("inst-") + n);
    Publish({Submitted("A1", "inst-kyoto"), Closed(1)});
    WaitForAssignments(1);
    auto c = GetCase("A1");
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() && !ReviewersOf(*c).empty() ? ReviewersOf(*c)[0] : "";
  }

  grpc::Status Review(const std::string& app_id, const std::string& name, int score, v1::Review* out) {
    v1::SubmitReviewRequest request;
    request.set_case_id(CaseIdForApplication(app_id));
    for (const char* c : {"originality", "feasibility", "capability", "impact"}) {
      auto* s = request.add_scores();
      s->set_criterion_id(c);
      s->set_score(score);
    }
    request.set_overall_score(score);
    request.set_comment_to_applicant("新規性が高い提案です。");
    request.set_confidential_comment("confidential by " + name);
    request.set_idempotency_key(absl::StrCat("review-", app_id, "-", name, "-", ++reviews_sent_));
    return Call(&v1::ReviewsService::Stub::SubmitReview, request, out, ReviewerIdentity(name));
  }

  /// Commits exactly what UpdateReviewer commits when `reviewer_id` adds an
  /// affiliation at `institution`, and runs no recusal; without `with_event`
  /// also no ReviewerProfileChanged, as if its recusals had already run.
  void CommitMoveWithoutRecusal(const std::string& reviewer_id, const std::string& institution, bool with_event) {
    ReviewsStorage storage(sut_->kit());
    auto loaded = storage.LoadReviewer(reviewer_id);
    ASSERT_TRUE(loaded.ok() && loaded->exists());
    v1::Reviewer patch;
    *patch.mutable_affiliations() = loaded->value.affiliations();
    patch.add_affiliations()->set_institution_id(institution);
    google::protobuf::FieldMask mask;
    mask.add_paths("affiliations");
    const runtime::RequestContext request{kOperator, "trace-move", clock_.Now()};
    common::v1::Actor actor;
    actor.set_subject(kOperator.subject);
    actor.set_role(kOperator.role);
    auto t = reviews::UpdateReviewer(loaded->value, patch, mask,
                                     Context{service_->RulesFor("crest"), actor, clock_.Now()});
    ASSERT_TRUE(t.ok()) << t.status();
    store::Commit commit = storage.ReviewerCommit(*loaded, t->reviewer, request);
    if (!with_event) commit.events.clear();
    ASSERT_TRUE(sut_->kit().store().Commit(commit).ok());
  }

  core::ManualClock clock_{Jst(2017, 6, 7) + absl::Hours(1)};
  /// Called by the service (on the thread of the solve) after a solve's pool load.
  std::function<void(const std::string& call_id)> on_pool_load_;
  std::unique_ptr<service_testing::TestInfrastructure> infra_;
  std::unique_ptr<service_testing::ServiceUnderTest> sut_;
  ReviewsService* service_ = nullptr;  // owned by sut_
  std::unique_ptr<v1::ReviewsService::Stub> stub_;
  std::unique_ptr<testing::TopicReader> reader_;
  std::map<std::string, std::string> ids_;  // name → reviewer id
  int reviews_sent_ = 0;
};

TEST_F(ReviewsServiceTest, CallClosedAssignsReviewersWithoutConflicts) {
  for (const char* n : {"a", "b", "c"}) AddReviewer(n, std::string("inst-") + n);
  AddReviewer("kyoto", "inst-kyoto");  // conflicted on A1 (same institution as its PI)
  // CallClosed first: events of different aggregates come in any order; the
  // assignment waits for the third application.
  Publish({Submitted("A1", "inst-kyoto"), Submitted("A2", "inst-tohoku"), Closed(3)});
  ASSERT_TRUE(testing::WaitFor([&] {
    v1::GetCallReviewRequest r;
    r.set_call_id(kCall);
    v1::CallReview out;
    return Call(&v1::ReviewsService::Stub::GetCallReview, r, &out).ok() &&
           out.state() == v1::CALL_REVIEW_STATE_CLOSED;
  }));
  EXPECT_TRUE(ReviewersOf(*GetCase("A1")).empty()) << "waits for every counted application";
  Publish({Submitted("A3", "inst-osaka")});
  WaitForAssignments(3);

  const auto assigned = Payloads<v1::ReviewersAssigned>();
  ASSERT_EQ(assigned.size(), 3u) << "exactly one assignment per case";
  for (const auto& a : assigned) {
    EXPECT_EQ(a.reviewers_size(), 2);
    EXPECT_EQ(a.cause(), v1::ASSIGNMENT_CHANGE_KIND_SOLVED);
    EXPECT_EQ(a.call_id(), kCall);
    if (a.application_id() == "A1") {
      for (const auto& r : a.reviewers()) EXPECT_NE(r.reviewer_id(), ids_["kyoto"]);
    }
  }
  auto a1 = GetCase("A1");
  ASSERT_TRUE(a1.ok()) << a1.status();
  EXPECT_EQ(ReviewersOf(*a1).size(), 2u);
  EXPECT_EQ(a1->application().title_ja(), "細胞外微粒子の機能解明 A1");
  EXPECT_EQ(GetCase("A1", ReviewerIdentity("kyoto")).status().code(), absl::StatusCode::kNotFound);

  // The reviewer's own list.
  v1::ListMyReviewAssignmentsResponse mine;
  const std::string someone = NameOf(ReviewersOf(*a1)[0]);
  ASSERT_TRUE(Call(&v1::ReviewsService::Stub::ListMyReviewAssignments, v1::ListMyReviewAssignmentsRequest(),
                   &mine, ReviewerIdentity(someone))
                  .ok());
  EXPECT_GE(mine.assignments_size(), 1);
  for (const auto& s : mine.assignments()) EXPECT_FALSE(s.locked());
}

TEST_F(ReviewsServiceTest, DeclaredConflictRecusesAndRefills) {
  const std::string recused = OneCaseAssigned();
  ASSERT_FALSE(recused.empty());
  const std::string name = NameOf(recused);
  ASSERT_TRUE(GetCase("A1", ReviewerIdentity(name)).ok()) << "assigned: sees the case";

  v1::DeclareConflictRequest request;
  request.set_case_id(CaseIdForApplication("A1"));
  request.set_reason("申請者は元指導学生");
  request.set_idempotency_key("declare-1");
  v1::ReviewCase answer;
  grpc::Status s = Call(&v1::ReviewsService::Stub::DeclareConflict, request, &answer, ReviewerIdentity(name));
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(answer.case_id(), CaseIdForApplication("A1"));
  EXPECT_EQ(answer.assignments_size(), 0) << "the recused reviewer sees nothing of the case";
  EXPECT_EQ(GetCase("A1", ReviewerIdentity(name)).status().code(), absl::StatusCode::kNotFound);
  // A retry with the same key answers the same and changes nothing.
  v1::ReviewCase again;
  ASSERT_TRUE(Call(&v1::ReviewsService::Stub::DeclareConflict, request, &again, ReviewerIdentity(name)).ok());
  EXPECT_EQ(again.SerializeAsString(), answer.SerializeAsString());

  auto after = GetCase("A1");
  ASSERT_TRUE(after.ok());
  const auto now = ReviewersOf(*after);
  EXPECT_EQ(now.size(), 2u) << "refilled";
  EXPECT_EQ(std::count(now.begin(), now.end(), recused), 0);
  ASSERT_EQ(after->conflicts_size(), 1);
  EXPECT_TRUE(after->conflicts(0).recused());
  ASSERT_TRUE(reader_->ReadUntil([&](const auto&) {
    for (const auto& a : Payloads<v1::ReviewersAssigned>()) {
      if (a.cause() == v1::ASSIGNMENT_CHANGE_KIND_RECUSED) return true;
    }
    return false;
  }));
  for (const auto& a : Payloads<v1::ReviewersAssigned>()) {
    if (a.cause() != v1::ASSIGNMENT_CHANGE_KIND_RECUSED) continue;
    ASSERT_EQ(a.removed_reviewer_ids_size(), 1);
    EXPECT_EQ(a.removed_reviewer_ids(0), recused);
    EXPECT_EQ(a.added_reviewer_ids_size(), 1);
    EXPECT_EQ(a.reviewers_size(), 2);
  }
  EXPECT_EQ(std::count_if(reader_->messages.begin(), reader_->messages.end(),
                          [](const EventEnvelope& e) { return e.type() == "tane.reviews.v1.ReviewersAssigned"; }),
            2)
      << "the retry emitted nothing";
}

TEST_F(ReviewsServiceTest, StandingConflictDeclaredLaterRecusesFromAssignedCases) {
  const std::string recused = OneCaseAssigned();
  ASSERT_FALSE(recused.empty());
  const std::string name = NameOf(recused);
  // The reviewer declares the PI (10000001) a relative on their own record.
  v1::AddStandingConflictRequest request;
  request.set_reviewer_id(recused);
  request.mutable_conflict()->set_researcher_id("10000001");
  request.mutable_conflict()->set_kind(v1::RELATION_KIND_RELATIVE);
  request.set_idempotency_key("relative-1");
  v1::Reviewer updated;
  grpc::Status s = Call(&v1::ReviewsService::Stub::AddStandingConflict, request, &updated, ReviewerIdentity(name));
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(updated.standing_conflicts_size(), 1);
  EXPECT_EQ(GetCase("A1", ReviewerIdentity(name)).status().code(), absl::StatusCode::kNotFound);
  auto after = GetCase("A1");
  ASSERT_TRUE(after.ok());
  const auto now = ReviewersOf(*after);
  EXPECT_EQ(now.size(), 2u);
  EXPECT_EQ(std::count(now.begin(), now.end(), recused), 0);
  EXPECT_EQ(after->assignment_history(after->assignment_history_size() - 1).kind(),
            v1::ASSIGNMENT_CHANGE_KIND_AUTOMATIC_CONFLICT);
  // Someone else's record is not theirs to change.
  request.set_reviewer_id(ids_["c"] == recused ? ids_["a"] : ids_["c"]);
  request.set_idempotency_key("relative-2");
  EXPECT_EQ(Call(&v1::ReviewsService::Stub::AddStandingConflict, request, &updated, ReviewerIdentity(name))
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(ReviewsServiceTest, DecisionPublishesProposalDecidedWithTheSnapshot) {
  for (const char* n : {"a", "b"}) AddReviewer(n, std::string("inst-") + n);
  Publish({Submitted("A1", "inst-kyoto"), Closed(1)});
  WaitForAssignments(1);
  for (const char* n : {"a", "b"}) {
    v1::Review review;
    grpc::Status s = Review("A1", n, 5, &review);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(review.revision(), 1);
  }
  // After the default deadline (28 days after assignment, JST) reviews are locked.
  clock_.Set(Jst(2017, 7, 6));
  v1::Review late;
  grpc::Status locked = Review("A1", "a", 4, &late);
  EXPECT_EQ(locked.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << locked.error_message();

  v1::ShortlistProposalRequest shortlist;
  shortlist.set_case_id(CaseIdForApplication("A1"));
  shortlist.set_idempotency_key("shortlist-1");
  v1::ReviewCase shortlisted;
  ASSERT_TRUE(Call(&v1::ReviewsService::Stub::ShortlistProposal, shortlist, &shortlisted).ok());
  EXPECT_EQ(shortlisted.state(), v1::CASE_STATE_AWAITING_DECISION);

  v1::DecideProposalRequest decide;
  decide.set_case_id(CaseIdForApplication("A1"));
  decide.set_adopted(true);
  decide.set_reason("独創性が高く実現可能");
  decide.set_comment_to_applicant("採択おめでとうございます。");
  decide.set_idempotency_key("decide-1");
  v1::ReviewCase decided;
  grpc::Status s = Call(&v1::ReviewsService::Stub::DecideProposal, decide, &decided);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(decided.state(), v1::CASE_STATE_DECIDED);
  ASSERT_TRUE(Call(&v1::ReviewsService::Stub::DecideProposal, decide, &decided).ok()) << "a retry";

  ASSERT_TRUE(reader_->ReadUntil([&](const auto&) { return !Payloads<v1::ProposalDecided>().empty(); }));
  const auto all = Payloads<v1::ProposalDecided>();
  ASSERT_EQ(all.size(), 1u) << "the retry published nothing";
  const auto& d = all[0];
  EXPECT_TRUE(d.adopted());
  EXPECT_EQ(d.application_id(), "A1");
  EXPECT_EQ(d.program_id(), "crest");
  EXPECT_EQ(d.research_area_id(), "area-particles");
  EXPECT_EQ(d.application().budget_plan(0).amount_yen(), 40'000'000);
  EXPECT_EQ(d.application().title_ja(), "細胞外微粒子の機能解明 A1");
  EXPECT_EQ(FromTimestamp(d.research_start_time()), Jst(2018, 4, 1));
  EXPECT_FALSE(d.joint_call());
  for (const auto& e : reader_->OfType("tane.reviews.v1.ProposalDecided")) {
    EXPECT_EQ(e.aggregate_type(), "review_case");
    EXPECT_EQ(e.aggregate_id(), CaseIdForApplication("A1"));
    EXPECT_EQ(e.actor(), "program_officer:po-1");
  }

  // Feedback for the applicant, without reviewer identities.
  v1::GetFeedbackRequest fr;
  fr.set_application_id("A1");
  v1::Feedback feedback;
  const runtime::CallerIdentity applicant{.subject = "applicant-A1", .role = "applicant", .agency = ""};
  ASSERT_TRUE(Call(&v1::ReviewsService::Stub::GetFeedback, fr, &feedback, applicant).ok());
  EXPECT_TRUE(feedback.adopted());
  EXPECT_EQ(feedback.comments_size(), 2);
  const std::string wire = feedback.SerializeAsString();
  for (const auto& [name, id] : ids_) {
    EXPECT_EQ(wire.find(id), std::string::npos);
    EXPECT_EQ(wire.find("confidential by " + name), std::string::npos);
  }
  const runtime::CallerIdentity other{.subject = "applicant-A2", .role = "applicant", .agency = ""};
  EXPECT_EQ(Call(&v1::ReviewsService::Stub::GetFeedback, fr, &feedback, other).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(ReviewsServiceTest, WithdrawnApplicationDropsItsCase) {
  for (const char* n : {"a", "b"}) AddReviewer(n, std::string("inst-") + n);
  Publish({Submitted("A1", "inst-kyoto"), Closed(1)});
  WaitForAssignments(1);
  calls::v1::ApplicationWithdrawn w;
  w.set_application_id("A1");
  w.set_call_id(kCall);
  w.set_was_submitted(true);
  w.set_reason("辞退");
  Publish({bus::NewEvent(w, "application", "A1", "applicant:applicant-A1", "", Jst(2017, 6, 10))});
  ASSERT_TRUE(testing::WaitFor([&] {
    auto c = GetCase("A1");
    return c.ok() && c->state() == v1::CASE_STATE_WITHDRAWN;
  }));
  EXPECT_TRUE(ReviewersOf(*GetCase("A1")).empty());
  EXPECT_EQ(GetCase("A1", ReviewerIdentity("a")).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(ReviewsServiceTest, LatestSubmissionWinsAndTheCallIsAssignedWithWhatWasSubmittedAtClose) {
  for (const char* n : {"a", "b", "c"}) AddReviewer(n, std::string("inst-") + n);
  // A1: submitted, withdrawn, submitted again. A2: a newer version replaces
  // the first. A3: submitted, then withdrawn for good (not counted at close).
  const EventEnvelope a2_first = SubmittedVersion("A2", 2, "inst-tohoku");
  const EventEnvelope a2_second = SubmittedVersion("A2", 3, "inst-tohoku");
  Publish({SubmittedVersion("A1", 2), WithdrawnVersion("A1", 3), SubmittedVersion("A1", 4), a2_first, a2_second,
           SubmittedVersion("A3", 2, "inst-osaka"), WithdrawnVersion("A3", 3)});
  ASSERT_TRUE(testing::WaitFor([&] {
    auto a1 = GetCase("A1");
    auto a2 = GetCase("A2");
    auto a3 = GetCase("A3");
    return a1.ok() && a1->application_version() == 4 && a2.ok() && a2->application_version() == 3 && a3.ok() &&
           a3->state() == v1::CASE_STATE_WITHDRAWN;
  })) << "every application's last event applied";
  auto a1 = GetCase("A1");
  ASSERT_TRUE(a1.ok()) << a1.status();
  EXPECT_EQ(a1->state(), v1::CASE_STATE_IN_REVIEW);
  EXPECT_EQ(a1->application().title_ja(), "細胞外微粒子の機能解明 A1 第4版");
  EXPECT_FALSE(a1->has_withdrawn_at());
  auto a2 = GetCase("A2");
  ASSERT_TRUE(a2.ok()) << a2.status();
  EXPECT_EQ(a2->application().title_ja(), "細胞外微粒子の機能解明 A2 第3版");

  // Redeliveries change nothing: the same event again, an older version under
  // a new event id (a replay), a stale withdrawal.
  EventEnvelope replay = a2_first;
  replay.set_event_id("replayed-a2-v2");
  EventEnvelope stale_withdrawal = WithdrawnVersion("A1", 3);
  ASSERT_TRUE(service_->OnApplicationSubmitted(a2_second, SubmittedPayload(a2_second)).ok());
  ASSERT_TRUE(service_->OnApplicationSubmitted(replay, SubmittedPayload(replay)).ok());
  ASSERT_TRUE(service_->OnApplicationWithdrawn(stale_withdrawal, WithdrawnPayload(stale_withdrawal)).ok());
  EXPECT_EQ(GetCase("A1")->SerializeAsString(), a1->SerializeAsString());
  EXPECT_EQ(GetCase("A2")->SerializeAsString(), a2->SerializeAsString());

  // Three applications were ever submitted; two, A1 and A2, were SUBMITTED at closing.
  Publish({Closed(3, 2)});
  WaitForAssignments(2);
  std::map<std::string, int> solved;
  for (const auto& a : Payloads<v1::ReviewersAssigned>()) {
    EXPECT_EQ(a.cause(), v1::ASSIGNMENT_CHANGE_KIND_SOLVED);
    EXPECT_EQ(a.reviewers_size(), 2);
    ++solved[a.application_id()];
  }
  EXPECT_EQ(solved, (std::map<std::string, int>{{"A1", 1}, {"A2", 1}}));
  for (const char* app : {"A1", "A2"}) {
    auto c = GetCase(app);
    ASSERT_TRUE(c.ok()) << c.status();
    EXPECT_EQ(ReviewersOf(*c).size(), 2u) << app;
  }
  EXPECT_TRUE(ReviewersOf(*GetCase("A3")).empty());
  v1::GetCallReviewRequest r;
  r.set_call_id(kCall);
  v1::CallReview review;
  ASSERT_TRUE(Call(&v1::ReviewsService::Stub::GetCallReview, r, &review).ok());
  EXPECT_EQ(review.state(), v1::CALL_REVIEW_STATE_CLOSED);
  EXPECT_EQ(review.expected_cases(), 3);
}

TEST_F(ReviewsServiceTest, ResubmissionArrivingAfterTheCloseIsAssignedInItsNewVersion) {
  for (const char* n : {"a", "b", "c"}) AddReviewer(n, std::string("inst-") + n);
  // CallClosed comes from another partition than A1's events: here it is
  // applied while only A1's first version has arrived, so that version is
  // assigned; the withdrawal and resubmission that preceded the close at the
  // calls service arrive afterwards.
  const EventEnvelope first = SubmittedVersion("A1", 2);
  const EventEnvelope closed = Closed(1);
  ASSERT_TRUE(service_->OnApplicationSubmitted(first, SubmittedPayload(first)).ok());
  calls::v1::CallClosed close_payload;
  ASSERT_TRUE(bus::UnpackPayload(closed, &close_payload));
  ASSERT_TRUE(service_->OnCallClosed(closed, close_payload).ok());
  auto assigned = GetCase("A1");
  ASSERT_TRUE(assigned.ok()) << assigned.status();
  ASSERT_EQ(ReviewersOf(*assigned).size(), 2u);

  const EventEnvelope withdrawn = WithdrawnVersion("A1", 3);
  ASSERT_TRUE(service_->OnApplicationWithdrawn(withdrawn, WithdrawnPayload(withdrawn)).ok());
  EXPECT_EQ(GetCase("A1")->state(), v1::CASE_STATE_WITHDRAWN);
  const EventEnvelope again = SubmittedVersion("A1", 4);
  ASSERT_TRUE(service_->OnApplicationSubmitted(again, SubmittedPayload(again)).ok());
  auto c = GetCase("A1");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->state(), v1::CASE_STATE_IN_REVIEW);
  EXPECT_EQ(c->application_version(), 4);
  EXPECT_EQ(c->application().title_ja(), "細胞外微粒子の機能解明 A1 第4版");
  EXPECT_EQ(ReviewersOf(*c).size(), 2u) << "the new version is assigned again";
  ASSERT_EQ(c->assignments_size(), 1);
  EXPECT_FALSE(c->assignments(0).has_shortfall());
}

TEST_F(ReviewsServiceTest, SubjectsThatShareAPrefixResolveToTheirOwnReviewer) {
  // "sub-r-10|…" sorts before "sub-r-1|…": a lookup that pages from the bare
  // subject met r-10's entry first and found no one for r-1.
  const std::string r10 = AddReviewer("r-10", "inst-a");
  const std::string r1 = AddReviewer("r-1", "inst-b");
  ASSERT_NE(r1, r10);
  for (const auto& [name, id] : {std::pair{"r-1", r1}, std::pair{"r-10", r10}}) {
    v1::Reviewer me;
    grpc::Status s = Call(&v1::ReviewsService::Stub::GetMyReviewerProfile, v1::GetMyReviewerProfileRequest(), &me,
                          ReviewerIdentity(name));
    ASSERT_TRUE(s.ok()) << name << ": " << s.error_message();
    EXPECT_EQ(me.reviewer_id(), id) << name;
  }
  v1::CreateReviewerRequest again;
  again.mutable_reviewer()->set_subject("sub-r-1");
  again.mutable_reviewer()->set_name_ja("審査 二重登録");
  again.mutable_reviewer()->add_review_sections("S1");
  again.mutable_reviewer()->set_max_load_per_call(10);
  again.set_idempotency_key("create-r-1-again");
  v1::Reviewer out;
  EXPECT_EQ(Call(&v1::ReviewsService::Stub::CreateReviewer, again, &out, kOperator).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
}

TEST_F(ReviewsServiceTest, ConcurrentRegistrationsOfOneSubjectLetExactlyOneSucceed) {
  constexpr int kRounds = 12;
  for (int round = 0; round < kRounds; ++round) {
    const std::string subject = absl::StrCat("sub-twin-", round);
    std::latch start(2);
    grpc::Status results[2];
    v1::Reviewer created[2];
    std::vector<std::thread> threads;
    for (int i = 0; i < 2; ++i) {
      threads.emplace_back([&, i] {
        v1::CreateReviewerRequest request;
        request.mutable_reviewer()->set_subject(subject);
        request.mutable_reviewer()->set_name_ja(absl::StrCat("審査 ", round, "-", i));
        request.mutable_reviewer()->add_review_sections("S1");
        request.mutable_reviewer()->set_max_load_per_call(10);
        request.set_idempotency_key(absl::StrCat("twin-", round, "-", i));
        start.arrive_and_wait();
        results[i] = Call(&v1::ReviewsService::Stub::CreateReviewer, request, &created[i], kOperator);
      });
    }
    for (auto& t : threads) t.join();
    const int ok = results[0].ok() + results[1].ok();
    ASSERT_EQ(ok, 1) << "round " << round << ": " << results[0].error_message() << " / "
                     << results[1].error_message();
    const int winner = results[0].ok() ? 0 : 1;
    EXPECT_EQ(results[1 - winner].error_code(), grpc::StatusCode::ALREADY_EXISTS) << results[1 - winner].error_message();
    v1::Reviewer me;
    ASSERT_TRUE(Call(&v1::ReviewsService::Stub::GetMyReviewerProfile, v1::GetMyReviewerProfileRequest(), &me,
                     {.subject = subject, .role = "reviewer", .agency = ""})
                    .ok());
    EXPECT_EQ(me.reviewer_id(), created[winner].reviewer_id());
  }
  v1::ListReviewersRequest list;
  list.set_page_size(100);
  v1::ListReviewersResponse all;
  ASSERT_TRUE(Call(&v1::ReviewsService::Stub::ListReviewers, list, &all, kOperator).ok());
  EXPECT_EQ(all.reviewers_size(), kRounds) << "no second record for any subject";
}

TEST_F(ReviewsServiceTest, ASubjectGivenUpCanBeTakenAndOneTakenCannot) {
  const std::string a = AddReviewer("a", "inst-a");
  const std::string b = AddReviewer("b", "inst-b");
  auto move = [&](const std::string& id, const std::string& subject, const std::string& key) {
    v1::UpdateReviewerRequest request;
    request.mutable_reviewer()->set_reviewer_id(id);
    request.mutable_reviewer()->set_subject(subject);
    request.mutable_update_mask()->add_paths("subject");
    request.set_idempotency_key(key);
    v1::Reviewer out;
    return Call(&v1::ReviewsService::Stub::UpdateReviewer, request, &out, kOperator).error_code();
  };
  EXPECT_EQ(move(b, "sub-a", "b-takes-a"), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(move(a, "sub-a2", "a-moves"), grpc::StatusCode::OK);
  EXPECT_EQ(move(b, "sub-a", "b-takes-a-now"), grpc::StatusCode::OK) << "a gave sub-a up";
  EXPECT_EQ(move(a, "sub-a", "a-back"), grpc::StatusCode::ALREADY_EXISTS);
  v1::Reviewer me;
  ASSERT_TRUE(Call(&v1::ReviewsService::Stub::GetMyReviewerProfile, v1::GetMyReviewerProfileRequest(), &me,
                   ReviewerIdentity("a"))
                  .ok());
  EXPECT_EQ(me.reviewer_id(), b);
  ASSERT_TRUE(Call(&v1::ReviewsService::Stub::GetMyReviewerProfile, v1::GetMyReviewerProfileRequest(), &me,
                   ReviewerIdentity("a2"))
                  .ok());
  EXPECT_EQ(me.reviewer_id(), a);
}

TEST_F(ReviewsServiceTest, AClaimWhoseRegistrationNeverCommittedFreesItsSubjectAfterTheGracePeriod) {
  // A registration claimed the subject for reviewer "r-ghost" version 1, and
  // its reviewer commit never landed.
  ReviewsStorage storage(sut_->kit());
  ASSERT_TRUE(storage.ClaimSubject("sub-ghosted", "r-ghost", 1).ok());
  auto create = [&](const std::string& subject, const std::string& key, v1::Reviewer* out) {
    v1::CreateReviewerRequest request;
    request.mutable_reviewer()->set_subject(subject);
    request.mutable_reviewer()->set_name_ja("審査 再登録");
    request.mutable_reviewer()->add_review_sections("S1");
    request.mutable_reviewer()->set_max_load_per_call(10);
    request.set_idempotency_key(key);
    return Call(&v1::ReviewsService::Stub::CreateReviewer, request, out, kOperator).error_code();
  };
  v1::Reviewer created;
  EXPECT_EQ(create("sub-ghosted", "ghosted-1", &created), grpc::StatusCode::ALREADY_EXISTS)
      << "the ghost's commit may still land";
  clock_.Advance(kSubjectClaimGrace);
  EXPECT_EQ(create("sub-ghosted", "ghosted-2", &created), grpc::StatusCode::ALREADY_EXISTS)
      << "exactly the grace period old: still held";
  clock_.Advance(absl::Seconds(1));
  ASSERT_EQ(create("sub-ghosted", "ghosted-3", &created), grpc::StatusCode::OK);
  v1::Reviewer me;
  ASSERT_TRUE(Call(&v1::ReviewsService::Stub::GetMyReviewerProfile, v1::GetMyReviewerProfileRequest(), &me,
                   ReviewerIdentity("ghosted"))
                  .ok());
  EXPECT_EQ(me.reviewer_id(), created.reviewer_id());

  // A claim whose commit landed holds its subject however old it is.
  clock_.Advance(kSubjectClaimGrace * 10);
  v1::Reviewer second;
  EXPECT_EQ(create("sub-ghosted", "ghosted-4", &second), grpc::StatusCode::ALREADY_EXISTS);
  ASSERT_TRUE(Call(&v1::ReviewsService::Stub::GetMyReviewerProfile, v1::GetMyReviewerProfileRequest(), &me,
                   ReviewerIdentity("ghosted"))
                  .ok());
  EXPECT_EQ(me.reviewer_id(), created.reviewer_id());
}

TEST_F(ReviewsServiceTest, RecusalAfterAProfileChangeCompletesFromItsEventWhenTheProcessStopsFirst) {
  const std::string recused = OneCaseAssigned();
  ASSERT_FALSE(recused.empty());
  const std::string name = NameOf(recused);
  auto before = GetCase("A1");
  ASSERT_TRUE(before.ok());
  // The reviewer moved to the PI's institution. The profile commit lands and
  // the process stops before the recusal that follows it.
  CommitMoveWithoutRecusal(recused, "inst-kyoto", /*with_event=*/true);

  // The outbox relay publishes ReviewerProfileChanged; the consumer recuses.
  ASSERT_TRUE(testing::WaitFor([&] {
    auto c = GetCase("A1");
    if (!c.ok()) return false;
    const auto now = ReviewersOf(*c);
    return now.size() == 2 && std::count(now.begin(), now.end(), recused) == 0;
  })) << "recused and refilled from the event";
  auto after = GetCase("A1");
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->assignment_history(after->assignment_history_size() - 1).kind(),
            v1::ASSIGNMENT_CHANGE_KIND_AUTOMATIC_CONFLICT);
  ExpectSeesNothingOf("A1", name);

  // A redelivery changes nothing.
  ASSERT_TRUE(reader_->ReadUntil([&](const auto&) { return !Payloads<v1::ReviewerProfileChanged>().empty(); }));
  const EventEnvelope event = reader_->OfType(v1::ReviewerProfileChanged::descriptor()->full_name()).front();
  v1::ReviewerProfileChanged changed;
  ASSERT_TRUE(bus::UnpackPayload(event, &changed));
  EXPECT_EQ(changed.reviewer_id(), recused);
  EXPECT_EQ(event.aggregate_type(), "reviewer");
  ASSERT_TRUE(service_->OnReviewerProfileChanged(event, changed).ok());
  EXPECT_EQ(GetCase("A1")->SerializeAsString(), after->SerializeAsString());
}

TEST_F(ReviewsServiceTest, AConflictedReviewerStillAssignedSeesNothingOfTheCase) {
  const std::string stale = OneCaseAssigned();
  ASSERT_FALSE(stale.empty());
  const std::string name = NameOf(stale);
  ASSERT_TRUE(GetCase("A1", ReviewerIdentity(name)).ok()) << "visible before the move";
  // The profile now conflicts but no recusal has run: only the read path stands.
  CommitMoveWithoutRecusal(stale, "inst-kyoto", /*with_event=*/false);
  auto staff = GetCase("A1");
  ASSERT_TRUE(staff.ok());
  const auto others = ReviewersOf(*staff);
  ASSERT_EQ(std::count(others.begin(), others.end(), stale), 1) << "still assigned";

  ExpectSeesNothingOf("A1", name);
  v1::Review review;
  EXPECT_EQ(Review("A1", name, 4, &review).error_code(), grpc::StatusCode::NOT_FOUND);
  v1::GetMyReviewRequest my;
  my.set_case_id(CaseIdForApplication("A1"));
  EXPECT_EQ(Call(&v1::ReviewsService::Stub::GetMyReview, my, &review, ReviewerIdentity(name)).error_code(),
            grpc::StatusCode::NOT_FOUND);
  // The other reviewer still sees it.
  const std::string other = others[0] == stale ? others[1] : others[0];
  EXPECT_TRUE(GetCase("A1", ReviewerIdentity(NameOf(other))).ok());
}

TEST_F(ReviewsServiceTest, AProfileChangeLandingWhileTheSolveRunsRecusesTheReviewerItAssigned) {
  const std::string a = AddReviewer("a", "inst-a");
  const std::string b = AddReviewer("b", "inst-b");
  // N = 2 from a pool of two: the solve picks both from the pool it loaded.
  // Right after that load, a moves to the PI's institution; the recusals of
  // that change have run and found no assignment (no event is left to redo
  // them), so only the solve's own check can catch it.
  int moves = 0;
  on_pool_load_ = [&](const std::string& call_id) {
    EXPECT_EQ(call_id, kCall);
    if (moves++ == 0) CommitMoveWithoutRecusal(a, "inst-kyoto", /*with_event=*/false);
  };
  const EventEnvelope submitted = Submitted("A1", "inst-kyoto");
  ASSERT_TRUE(service_->OnApplicationSubmitted(submitted, SubmittedPayload(submitted)).ok());
  const EventEnvelope closed = Closed(1);
  calls::v1::CallClosed close_payload;
  ASSERT_TRUE(bus::UnpackPayload(closed, &close_payload));
  ASSERT_TRUE(service_->OnCallClosed(closed, close_payload).ok());
  EXPECT_EQ(moves, 1) << "the first stage was solved once, from the pool loaded before the move";

  auto c = GetCase("A1");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(ReviewersOf(*c), std::vector<std::string>{b}) << "a recused, nobody left to refill";
  EXPECT_EQ(c->assignment_history(c->assignment_history_size() - 1).kind(),
            v1::ASSIGNMENT_CHANGE_KIND_AUTOMATIC_CONFLICT);
  EXPECT_EQ(GetCase("A1", ReviewerIdentity("a")).status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(GetCase("A1", ReviewerIdentity("b")).ok());
}

}  // namespace
}  // namespace tane::reviews
