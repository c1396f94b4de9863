// tane-reviews end to end over a real redis-server and librdkafka's mock
// cluster: the calls service's events published on tane.calls.events, the
// service called over real gRPC on a free port, its events read back from
// tane.reviews.events.
#include "tane/reviews/service.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "tane/bus/envelope.h"
#include "tane/calls/catalog.h"
#include "tane/core/time.h"
#include "tane/reviews/cases.h"
#include "tane/runtime/identity.h"
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
    auto redis = testing::RedisServer::Start();
    ASSERT_TRUE(redis.ok()) << redis.status();
    redis_ = std::move(*redis);
    auto kafka = testing::KafkaCluster::Start(3);
    ASSERT_TRUE(kafka.ok()) << kafka.status();
    kafka_ = std::move(*kafka);
    for (const char* topic : {kReviewsTopic, "tane.reviews.dlq", kCallsTopic}) {
      ASSERT_TRUE(kafka_->CreateTopic(topic, 3).ok());
    }
    auto catalog = calls::Catalog::LoadFromFile(std::string(TANE_CALLS_CATALOG_DIR) + "/programs.yaml");
    ASSERT_TRUE(catalog.ok()) << catalog.status();
    std::map<std::string, ReviewRules> rules;
    for (const auto& p : catalog->programs()) rules.emplace(p.id, ReviewRules::FromProgram(&p));

    runtime::ServiceConfig config = runtime::ServiceConfig::Defaults("reviews", 0, 0);
    config.redis_addr = absl::StrCat("127.0.0.1:", redis_->port());
    config.kafka_bootstrap = kafka_->bootstrap_servers();
    config.shards = 4;
    runtime::ServiceHostOptions host_options;
    host_options.handle_signals = false;
    host_options.readiness_interval = absl::Milliseconds(50);
    host_ = std::make_unique<runtime::ServiceHost>(config, host_options);
    runtime::ServiceKitOptions options;
    options.consume_topics = ReviewsService::ConsumedTopics();
    options.consumer_kafka_extra = {{"session.timeout.ms", "6000"}, {"heartbeat.interval.ms", "300"}};
    options.clock = &clock_;
    options.metrics_interval = absl::Milliseconds(50);
    auto kit = runtime::ServiceKit::Create(*host_, options);
    ASSERT_TRUE(kit.ok()) << kit.status();
    kit_ = std::move(*kit);
    service_ = std::make_unique<ReviewsService>(*kit_, std::move(rules));
    service_->Subscribe();
    host_->AddService(service_.get());
    ASSERT_TRUE(kit_->Start().ok());
    ASSERT_TRUE(host_->Start().ok());
    stub_ = v1::ReviewsService::NewStub(grpc::CreateChannel(absl::StrCat("127.0.0.1:", host_->grpc_port()),
                                                            grpc::InsecureChannelCredentials()));
    reader_ = std::make_unique<testing::TopicReader>(kafka_->bootstrap_servers(), kReviewsTopic);
  }

  void TearDown() override {
    if (host_) {
      host_->RequestShutdown();
      host_.reset();
    }
    service_.reset();
    kit_.reset();
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

  static EventEnvelope Closed(int64_t count) {
    calls::v1::CallClosed e;
    e.set_call_id(kCall);
    e.set_program_id("crest");
    *e.mutable_closed_at() = ToTimestamp(Jst(2017, 6, 7));
    e.set_by_deadline(true);
    e.set_application_count(count);
    return bus::NewEvent(e, "call", kCall, "system:calls", "", Jst(2017, 6, 7));
  }

  void Publish(const std::vector<EventEnvelope>& envelopes) {
    ASSERT_TRUE(testing::PublishEnvelopes(kafka_->bootstrap_servers(), kCallsTopic, envelopes).ok());
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

  core::ManualClock clock_{Jst(2017, 6, 7) + absl::Hours(1)};
  std::unique_ptr<testing::RedisServer> redis_;
  std::unique_ptr<testing::KafkaCluster> kafka_;
  std::unique_ptr<runtime::ServiceHost> host_;
  std::unique_ptr<runtime::ServiceKit> kit_;
  std::unique_ptr<ReviewsService> service_;
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

}  // namespace
}  // namespace tane::reviews
