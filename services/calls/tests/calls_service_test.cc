// The calls service over real redis-server, librdkafka's mock cluster and
// real gRPC, time driven by a ManualClock given to the kit.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "calls_env.h"
#include "google/protobuf/util/message_differencer.h"
#include "tane/bus/envelope.h"
#include "tane/calls/demo_data.h"
#include "tane/calls/timestamps.h"
#include "tane/calls/v1/events.pb.h"
#include "tane/core/errors.h"
#include "tane/core/ids.h"
#include "tane/projects/v1/events.pb.h"
#include "tane/testing/topics.h"
#include "test_data.h"

namespace tane::calls::testing {
namespace {

using common::v1::EventEnvelope;
using ::testing::Contains;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAreArray;

const bool kSignalsBlocked = [] {
  runtime::BlockShutdownSignals();
  return true;
}();

constexpr char kCallsTopic[] = "tane.calls.events";

// The CREST window of the domain tests: [12 April, 7 June 2017) JST.
const absl::Time kOpens = Jst(2017, 4, 12);
const absl::Time kCloses = Jst(2017, 6, 7);

class CallsServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto env = CallsEnv::Start(Jst(2017, 5, 1, 9));
    ASSERT_TRUE(env.ok()) << env.status();
    env_ = std::move(*env);
    auto replica = env_->AddReplica();
    ASSERT_TRUE(replica.ok()) << replica.status();
    auto call = OpenCrestCall(stub(), kOpens, kCloses, "crest-2017");
    ASSERT_TRUE(call.ok()) << call.status();
    call_ = *call;
  }

  v1::CallsService::Stub& stub() { return env_->replica().stub(); }

  // A draft by applicant `subject` with PI researcher n and co-investigator n + 5000.
  v1::Application DraftOf(const std::string& subject, int n, const std::string& call_id = "") {
    auto draft = Draft(stub(), Applicant(subject), call_id.empty() ? call_.call_id() : call_id,
                       CrestApplicationOf(Researcher(n), Researcher(n + 5000)));
    EXPECT_TRUE(draft.ok()) << draft.status();
    return draft.ok() ? *draft : v1::Application();
  }

  absl::StatusOr<v1::Application> Get(const runtime::CallerIdentity& who, const std::string& id) {
    v1::GetApplicationRequest request;
    request.set_application_id(id);
    v1::Application out;
    auto s = stub().GetApplication(As(who).get(), request, &out);
    if (!s.ok()) return ToAbsl(s);
    return out;
  }

  std::map<v1::ApplicationState, int64_t> Counts(const std::string& call_id) {
    v1::CountApplicationsRequest request;
    request.set_call_id(call_id);
    v1::CountApplicationsResponse out;
    EXPECT_TRUE(stub().CountApplications(As(ProgramOfficer()).get(), request, &out).ok());
    std::map<v1::ApplicationState, int64_t> counts;
    for (const auto& c : out.counts()) counts[c.state()] = c.count();
    return counts;
  }

  absl::StatusOr<v1::ValidateApplicationResponse> Validate(const std::string& subject, const std::string& id) {
    v1::ValidateApplicationRequest request;
    request.set_application_id(id);
    v1::ValidateApplicationResponse out;
    auto s = stub().ValidateApplication(As(Applicant(subject)).get(), request, &out);
    if (!s.ok()) return ToAbsl(s);
    return out;
  }

  std::unique_ptr<CallsEnv> env_;
  v1::Call call_;
};

template <typename T>
std::vector<T> PayloadsOf(const tane::testing::TopicReader& reader) {
  std::vector<T> out;
  for (const auto& e : reader.OfType(T::descriptor()->full_name())) {
    T payload;
    if (bus::UnpackPayload(e, &payload)) out.push_back(std::move(payload));
  }
  return out;
}

TEST_F(CallsServiceTest, SubmitPublishesTheFullSnapshotAndTheJapaneseTitleRoundTrips) {
  const v1::Application draft = DraftOf("alice", 10000001);
  env_->clock().Advance(absl::Hours(1));
  auto submitted = Submit(stub(), Applicant("alice"), draft.application_id(), "submit-1");
  ASSERT_TRUE(submitted.ok()) << submitted.status();
  EXPECT_EQ(submitted->state(), v1::APPLICATION_STATE_SUBMITTED);
  EXPECT_EQ(submitted->version(), 2);
  EXPECT_EQ(ToTime(submitted->submitted_at()), env_->clock().Now());
  EXPECT_EQ(submitted->total_direct_yen(), 420'000'000);
  EXPECT_EQ(submitted->total_indirect_yen(), 126'000'000);

  tane::testing::TopicReader reader(env_->kafka_bootstrap(), kCallsTopic);
  ASSERT_TRUE(reader.ReadUntil([&](const std::vector<EventEnvelope>&) {
    return !PayloadsOf<v1::ApplicationSubmitted>(reader).empty() && !PayloadsOf<v1::CallPublished>(reader).empty();
  }));
  const auto events = reader.OfType(v1::ApplicationSubmitted::descriptor()->full_name());
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].aggregate_id(), draft.application_id());
  EXPECT_EQ(events[0].aggregate_version(), 2);
  EXPECT_EQ(events[0].actor(), "applicant:alice");
  v1::ApplicationSubmitted payload;
  ASSERT_TRUE(bus::UnpackPayload(events[0], &payload));
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(payload.application(), *submitted))
      << payload.application().DebugString();
  EXPECT_EQ(payload.application().title_ja(), CrestApplication().title_ja());
  EXPECT_EQ(payload.application().abstract(), CrestApplication().abstract());
  EXPECT_EQ(payload.program_id(), "crest");
  EXPECT_EQ(payload.research_area_id(), call_.research_area_id());
  EXPECT_EQ(payload.call_fiscal_year(), 2017);
  EXPECT_EQ(payload.application().yearly_costs_size(), 6);
  EXPECT_FALSE(payload.title_ja_hash().empty());
  EXPECT_EQ(PayloadsOf<v1::CallPublished>(reader).size(), 1u);

  // Reading it back gives the same bytes of Japanese text.
  auto got = Get(Applicant("alice"), draft.application_id());
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->title_ja(), "ナノスケール熱輸送の分光学的制御による次世代熱マネージメント");

  // The retried submit returns the first result and changes nothing.
  env_->clock().Advance(absl::Hours(1));
  auto again = Submit(stub(), Applicant("alice"), draft.application_id(), "submit-1");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->version(), 2);
  EXPECT_EQ(again->submitted_at().seconds(), submitted->submitted_at().seconds());
}

TEST_F(CallsServiceTest, ConcurrentCreatesWithOneKeyMakeOneApplication) {
  constexpr int kClients = 16;
  std::vector<std::string> ids(kClients);
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      auto draft = Draft(stub(), Applicant("bob"), call_.call_id(),
                         CrestApplicationOf(Researcher(20000001), Researcher(20000002)), "create-once");
      ids[i] = draft.ok() ? draft->application_id() : draft.status().ToString();
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& id : ids) EXPECT_EQ(id, ids[0]);
  EXPECT_TRUE(core::IsUuid(ids[0])) << ids[0];

  v1::ListMyApplicationsRequest mine;
  v1::ListApplicationsResponse listed;
  ASSERT_TRUE(stub().ListMyApplications(As(Applicant("bob")).get(), mine, &listed).ok());
  ASSERT_EQ(listed.applications_size(), 1);
  EXPECT_EQ(Counts(call_.call_id())[v1::APPLICATION_STATE_DRAFT], 1);
}

TEST_F(CallsServiceTest, ConcurrentSubmitsWithOneKeySubmitOnceAndAllGetTheFirstResult) {
  const v1::Application draft = DraftOf("carol", 30000001);
  constexpr int kClients = 16;
  std::vector<absl::StatusOr<v1::Application>> results(kClients, absl::UnknownError("not run"));
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] { results[i] = Submit(stub(), Applicant("carol"), draft.application_id(), "k"); });
  }
  for (auto& t : threads) t.join();
  for (const auto& r : results) {
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->version(), 2);
  }
  auto stored = Get(Applicant("carol"), draft.application_id());
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->version(), 2);  // one commit
  EXPECT_EQ(Counts(call_.call_id())[v1::APPLICATION_STATE_SUBMITTED], 1);

  // A different key for the same change is a second command: refused, nothing changes.
  auto second = Submit(stub(), Applicant("carol"), draft.application_id(), "another-key");
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Get(Applicant("carol"), draft.application_id())->version(), 2);
}

TEST_F(CallsServiceTest, RejectedSubmitListsEveryViolationAndChangesNothing) {
  v1::Application bad = CrestApplicationOf(Researcher(40000001), Researcher(40000002));
  bad.clear_abstract();
  bad.mutable_budget_plan(1)->set_amount_yen(900'000'000);  // over the total cap
  bad.set_pi_effort_percent(0);
  auto draft = Draft(stub(), Applicant("dave"), call_.call_id(), bad);
  ASSERT_TRUE(draft.ok()) << draft.status();
  auto refused = Submit(stub(), Applicant("dave"), draft->application_id(), "s");
  ASSERT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  const auto fields = FieldsOf(refused.status());
  EXPECT_THAT(fields, Contains("abstract"));
  EXPECT_THAT(fields, Contains("pi_effort_percent"));
  EXPECT_GE(fields.size(), 3u) << "the budget cap is reported too";
  EXPECT_EQ(Get(Applicant("dave"), draft->application_id())->version(), 1);
  EXPECT_EQ(Counts(call_.call_id())[v1::APPLICATION_STATE_SUBMITTED], 0);
}

TEST_F(CallsServiceTest, WithdrawThenResubmitBeforeTheDeadline) {
  const v1::Application draft = DraftOf("erin", 50000001);
  ASSERT_TRUE(Submit(stub(), Applicant("erin"), draft.application_id()).ok());
  env_->clock().Advance(absl::Hours(2));

  v1::WithdrawApplicationRequest withdraw;
  withdraw.set_application_id(draft.application_id());
  withdraw.set_reason("予算計画を見直すため");
  withdraw.set_idempotency_key("w1");
  v1::Application withdrawn;
  ASSERT_TRUE(stub().WithdrawApplication(As(Applicant("erin")).get(), withdraw, &withdrawn).ok());
  EXPECT_EQ(withdrawn.state(), v1::APPLICATION_STATE_WITHDRAWN);
  EXPECT_EQ(Counts(call_.call_id())[v1::APPLICATION_STATE_WITHDRAWN], 1);
  EXPECT_EQ(Counts(call_.call_id())[v1::APPLICATION_STATE_SUBMITTED], 0);

  env_->clock().Advance(absl::Hours(2));
  auto resubmitted = Submit(stub(), Applicant("erin"), draft.application_id(), "again");
  ASSERT_TRUE(resubmitted.ok()) << resubmitted.status();
  EXPECT_EQ(resubmitted->state(), v1::APPLICATION_STATE_SUBMITTED);
  EXPECT_EQ(ToTime(resubmitted->submitted_at()), env_->clock().Now());
  EXPECT_FALSE(resubmitted->has_withdrawn_at());
  EXPECT_EQ(resubmitted->version(), 4);
  EXPECT_EQ(Counts(call_.call_id())[v1::APPLICATION_STATE_SUBMITTED], 1);
  EXPECT_EQ(Counts(call_.call_id())[v1::APPLICATION_STATE_WITHDRAWN], 0);

  tane::testing::TopicReader reader(env_->kafka_bootstrap(), kCallsTopic);
  ASSERT_TRUE(reader.ReadUntil([&](const auto&) { return PayloadsOf<v1::ApplicationSubmitted>(reader).size() == 2; }));
  const auto withdrawals = PayloadsOf<v1::ApplicationWithdrawn>(reader);
  ASSERT_EQ(withdrawals.size(), 1u);
  EXPECT_TRUE(withdrawals[0].was_submitted());
  EXPECT_EQ(withdrawals[0].reason(), "予算計画を見直すため");

  // Withdrawn again, it cannot come back once the deadline has passed.
  withdraw.set_idempotency_key("w2");
  ASSERT_TRUE(stub().WithdrawApplication(As(Applicant("erin")).get(), withdraw, &withdrawn).ok());
  env_->clock().Set(kCloses);
  auto late = Submit(stub(), Applicant("erin"), draft.application_id(), "late");
  EXPECT_EQ(late.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(CallsServiceTest, ListPagesByCallWithFiltersAndMineNewestFirst) {
  std::vector<std::string> submitted;
  std::vector<std::string> drafts;
  std::vector<std::string> created;
  for (int i = 0; i < 7; ++i) {
    env_->clock().Advance(absl::Minutes(1));
    const v1::Application draft = DraftOf("frank", 60000001 + i);
    created.push_back(draft.application_id());
    if (i % 3 == 2) {
      drafts.push_back(draft.application_id());
    } else {
      ASSERT_TRUE(Submit(stub(), Applicant("frank"), draft.application_id()).ok());
      submitted.push_back(draft.application_id());  // in submitted_at order
    }
  }
  auto list_all = [&](v1::ApplicationState state, int page_size, int* pages) {
    std::vector<std::string> ids;
    v1::ListApplicationsRequest request;
    request.set_call_id(call_.call_id());
    request.set_state(state);
    request.set_page_size(page_size);
    *pages = 0;
    do {
      v1::ListApplicationsResponse page;
      auto s = stub().ListApplications(As(ProgramOfficer()).get(), request, &page);
      EXPECT_TRUE(s.ok()) << s.error_message();
      if (!s.ok()) break;
      EXPECT_LE(page.applications_size(), page_size);
      for (const auto& a : page.applications()) ids.push_back(a.application_id());
      request.set_page_token(page.next_page_token());
      ++*pages;
    } while (!request.page_token().empty() && *pages < 20);
    return ids;
  };
  int pages = 0;
  EXPECT_THAT(list_all(v1::APPLICATION_STATE_SUBMITTED, 2, &pages), ElementsAreArray(submitted));
  EXPECT_GE(pages, 3);
  EXPECT_THAT(list_all(v1::APPLICATION_STATE_DRAFT, 50, &pages), UnorderedElementsAreArray(drafts));
  EXPECT_EQ(pages, 1);
  EXPECT_EQ(list_all(v1::APPLICATION_STATE_UNSPECIFIED, 3, &pages).size(), 7u);

  v1::ListApplicationsRequest by_pi;
  by_pi.set_call_id(call_.call_id());
  by_pi.set_researcher_id(Researcher(60000001));
  v1::ListApplicationsResponse one;
  ASSERT_TRUE(stub().ListApplications(As(ProgramOfficer()).get(), by_pi, &one).ok());
  ASSERT_EQ(one.applications_size(), 1);
  EXPECT_EQ(one.applications(0).application_id(), submitted[0]);

  v1::ListMyApplicationsRequest mine;
  mine.set_page_size(4);
  v1::ListApplicationsResponse first;
  ASSERT_TRUE(stub().ListMyApplications(As(Applicant("frank")).get(), mine, &first).ok());
  ASSERT_EQ(first.applications_size(), 4);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(first.applications(i).application_id(), created[6 - i]);
  EXPECT_FALSE(first.next_page_token().empty());

  v1::ListApplicationsRequest bad;
  bad.set_call_id(call_.call_id());
  bad.set_page_token("not-a-token");
  v1::ListApplicationsResponse ignored;
  const absl::Status refused = ToAbsl(stub().ListApplications(As(ProgramOfficer()).get(), bad, &ignored));
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(FieldsOf(refused), ElementsAreArray({"page_token"}));

  std::map<v1::ApplicationState, int64_t> counts = Counts(call_.call_id());
  EXPECT_EQ(counts[v1::APPLICATION_STATE_SUBMITTED], 5);
  EXPECT_EQ(counts[v1::APPLICATION_STATE_DRAFT], 2);
}

// An applicant gets NOT_FOUND for anyone else's application: the same answer
// as for an id that does not exist, so ids cannot be probed.
TEST_F(CallsServiceTest, AnotherApplicantGetsNotFoundAndChangesNothing) {
  const v1::Application mine = DraftOf("grace", 70000001);
  const auto mallory = Applicant("mallory");

  EXPECT_EQ(Get(mallory, mine.application_id()).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Get(mallory, "00000000-0000-4000-8000-000000000000").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Submit(stub(), mallory, mine.application_id()).status().code(), absl::StatusCode::kNotFound);
  v1::WithdrawApplicationRequest withdraw;
  withdraw.set_application_id(mine.application_id());
  v1::Application out;
  EXPECT_EQ(stub().WithdrawApplication(As(mallory).get(), withdraw, &out).error_code(), grpc::StatusCode::NOT_FOUND);
  v1::UpdateApplicationRequest update;
  update.mutable_application()->set_application_id(mine.application_id());
  update.mutable_application()->set_title_ja("乗っ取り");
  update.mutable_update_mask()->add_paths("title_ja");
  EXPECT_EQ(stub().UpdateApplication(As(mallory).get(), update, &out).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Validate("mallory", mine.application_id()).status().code(), absl::StatusCode::kNotFound);

  v1::ListMyApplicationsRequest list_mine;
  v1::ListApplicationsResponse listed;
  ASSERT_TRUE(stub().ListMyApplications(As(mallory).get(), list_mine, &listed).ok());
  EXPECT_EQ(listed.applications_size(), 0);
  v1::ListApplicationsRequest by_call;
  by_call.set_call_id(call_.call_id());
  EXPECT_EQ(stub().ListApplications(As(mallory).get(), by_call, &listed).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  auto unchanged = Get(Applicant("grace"), mine.application_id());
  ASSERT_TRUE(unchanged.ok());
  EXPECT_EQ(unchanged->version(), 1);
  EXPECT_EQ(unchanged->title_ja(), mine.title_ja());
  // Staff read it; a role that reads no applications is refused outright.
  EXPECT_TRUE(Get(ProgramOfficer(), mine.application_id()).ok());
  EXPECT_EQ(Get({.subject = "r1", .role = "reviewer", .agency = ""}, mine.application_id()).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Submit(stub(), ProgramOfficer(), mine.application_id()).status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(CallsServiceTest, DraftCallsAreHiddenFromApplicants) {
  v1::CreateCallRequest create;
  *create.mutable_call() = call_;
  create.set_idempotency_key("draft-call");
  v1::Call draft;
  ASSERT_TRUE(stub().CreateCall(As(Operator()).get(), create, &draft).ok());
  v1::GetCallRequest get;
  get.set_call_id(draft.call_id());
  v1::Call out;
  EXPECT_EQ(stub().GetCall(As(Applicant("heidi")).get(), get, &out).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(stub().GetCall(As(ProgramOfficer()).get(), get, &out).ok());
  v1::ListCallsRequest list;
  v1::ListCallsResponse calls;
  ASSERT_TRUE(stub().ListCalls(As(Applicant("heidi")).get(), list, &calls).ok());
  ASSERT_EQ(calls.calls_size(), 1);
  EXPECT_EQ(calls.calls(0).call_id(), call_.call_id());
  ASSERT_TRUE(stub().ListCalls(As(Operator()).get(), list, &calls).ok());
  EXPECT_EQ(calls.calls_size(), 2);
}

// Effort: a project started from an earlier application (its effort now the
// project's, not counted twice) plus a pending application plus this one.
TEST_F(CallsServiceTest, EffortOverAHundredAcrossAProjectAndAPendingApplicationIsRefused) {
  const std::string ivan = Researcher(80000001);
  auto application = [&](int effort, const std::string& title, int co) {
    v1::Application a = CrestApplicationOf(ivan, Researcher(co));
    a.set_pi_effort_percent(effort);
    a.set_title_ja(title);
    a.set_title_en(title);
    a.set_abstract(title + "の概要");
    auto draft = Draft(stub(), Applicant("ivan"), call_.call_id(), a);
    EXPECT_TRUE(draft.ok()) << draft.status();
    return draft.ok() ? *draft : v1::Application();
  };
  const v1::Application adopted = application(50, "採択された研究", 80000101);
  ASSERT_TRUE(Submit(stub(), Applicant("ivan"), adopted.application_id()).ok());

  // The project service adopts it: ProjectStarted on tane.projects.events.
  projects::v1::ProjectStarted started;
  started.set_project_id("11111111-2222-4333-8444-555555555555");
  started.set_application_id(adopted.application_id());
  started.set_call_id(call_.call_id());
  started.set_program_id("crest");
  started.mutable_principal_investigator()->set_researcher_id(ivan);
  started.add_members()->set_researcher_id(Researcher(80000101));
  const EventEnvelope envelope =
      bus::NewEvent(started, "project", started.project_id(), "system:projects", "", env_->clock().Now());
  ASSERT_TRUE(tane::testing::PublishEnvelopes(env_->kafka_bootstrap(), "tane.projects.events", {envelope}).ok());

  const v1::Application pending = application(30, "審査中の研究", 80000102);
  ASSERT_TRUE(Submit(stub(), Applicant("ivan"), pending.application_id()).ok());
  const v1::Application over = application(25, "三つ目の研究", 80000103);

  // 50% (project) + 30% (pending) + 25% = 105%, once calls has applied the event.
  ASSERT_TRUE(tane::testing::WaitFor(
      [&] {
        auto v = Validate("ivan", over.application_id());
        if (!v.ok()) return false;
        for (const auto& f : v->violations().field_violations()) {
          if (f.field() == "pi_effort_percent" && absl::StrContains(f.description(), "active projects 50%"))
            return true;
        }
        return false;
      },
      absl::Seconds(60)));
  auto refused = Submit(stub(), Applicant("ivan"), over.application_id(), "over");
  ASSERT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  const auto violations = core::ViolationsOf(refused.status());
  ASSERT_EQ(violations.size(), 1u) << refused.status();
  EXPECT_EQ(violations[0].field, "pi_effort_percent");
  EXPECT_THAT(violations[0].description, HasSubstr("105%"));
  EXPECT_THAT(violations[0].description, HasSubstr("other pending applications 30%"));
  EXPECT_EQ(Get(Applicant("ivan"), over.application_id())->state(), v1::APPLICATION_STATE_DRAFT);

  // Exactly 100% is allowed: the adopted application is not counted beside its project.
  v1::UpdateApplicationRequest update;
  update.mutable_application()->set_application_id(over.application_id());
  update.mutable_application()->set_pi_effort_percent(20);
  update.mutable_update_mask()->add_paths("pi_effort_percent");
  v1::Application updated;
  ASSERT_TRUE(stub().UpdateApplication(As(Applicant("ivan")).get(), update, &updated).ok());
  auto accepted = Submit(stub(), Applicant("ivan"), over.application_id(), "exactly-100");
  EXPECT_TRUE(accepted.ok()) << accepted.status();
}

TEST_F(CallsServiceTest, SameProposalInTwoOpenCallsIsFlaggedNotRefused) {
  auto other_call = OpenCrestCall(stub(), kOpens, kCloses, "crest-2017-second");
  ASSERT_TRUE(other_call.ok()) << other_call.status();
  const v1::Application first = DraftOf("judy", 90000001);
  const v1::Application second = DraftOf("judy", 90000001, other_call->call_id());
  ASSERT_TRUE(Submit(stub(), Applicant("judy"), first.application_id()).ok());
  // Effort 40% twice is fine; the same title and abstract are flagged.
  auto submitted = Submit(stub(), Applicant("judy"), second.application_id());
  ASSERT_TRUE(submitted.ok()) << submitted.status();

  tane::testing::TopicReader reader(env_->kafka_bootstrap(), kCallsTopic);
  ASSERT_TRUE(reader.ReadUntil([&](const auto&) { return PayloadsOf<v1::DuplicateSuspected>(reader).size() >= 4; }));
  std::set<std::pair<std::string, int>> flagged;
  for (const auto& d : PayloadsOf<v1::DuplicateSuspected>(reader)) {
    ASSERT_EQ(d.application_ids_size(), 2);
    EXPECT_EQ(d.application_ids(0), second.application_id());
    EXPECT_EQ(d.application_ids(1), first.application_id());
    EXPECT_EQ(d.call_ids(1), call_.call_id());
    flagged.insert({d.researcher_id(), static_cast<int>(d.reason())});
  }
  // The PI and the co-investigator, each for the title and the abstract.
  EXPECT_EQ(flagged.size(), 4u);
  EXPECT_TRUE(flagged.contains({Researcher(90000001), static_cast<int>(v1::DUPLICATE_REASON_SAME_TITLE)}));
}

// Loading the demo data twice with the same idempotency keys (what `tanectl
// load-demo` does) creates every goal and area once.
TEST_F(CallsServiceTest, DemoDataLoadedTwiceCreatesNothingTwice) {
  auto demo = LoadDemoDataFromFile(DemoPath(), env_->catalog());
  ASSERT_TRUE(demo.ok()) << demo.status();
  auto load = [&]() {
    std::map<std::string, std::string> goal_ids;  // demo id -> created id
    std::vector<std::string> ids;
    for (const auto& goal : demo->strategic_goals) {
      v1::CreateStrategicGoalRequest request;
      *request.mutable_strategic_goal() = goal;
      request.set_idempotency_key("demo/" + goal.goal_id());
      v1::StrategicGoal created;
      auto s = stub().CreateStrategicGoal(As(Operator()).get(), request, &created);
      EXPECT_TRUE(s.ok()) << s.error_message();
      goal_ids[goal.goal_id()] = created.goal_id();
      ids.push_back(created.goal_id());
    }
    for (const auto& area : demo->research_areas) {
      v1::CreateResearchAreaRequest request;
      *request.mutable_research_area() = area;
      request.mutable_research_area()->set_goal_id(goal_ids[area.goal_id()]);
      request.set_idempotency_key("demo/" + area.area_id());
      v1::ResearchArea created;
      auto s = stub().CreateResearchArea(As(Operator()).get(), request, &created);
      EXPECT_TRUE(s.ok()) << s.error_message();
      ids.push_back(created.area_id());
    }
    return ids;
  };
  const std::vector<std::string> first = load();
  const std::vector<std::string> second = load();
  EXPECT_EQ(first, second);

  v1::ListStrategicGoalsRequest goals_request;
  goals_request.set_fiscal_year(2017);
  goals_request.set_agency(v1::AGENCY_JST);
  v1::ListStrategicGoalsResponse goals;
  ASSERT_TRUE(stub().ListStrategicGoals(As(Operator()).get(), goals_request, &goals).ok());
  size_t jst_goals = 0;
  for (const auto& g : demo->strategic_goals) jst_goals += g.agency() == v1::AGENCY_JST ? 1 : 0;
  EXPECT_EQ(goals.strategic_goals_size(), static_cast<int>(jst_goals) + 1);  // + the fixture's goal

  v1::ListResearchAreasRequest areas_request;
  areas_request.set_page_size(500);
  v1::ListResearchAreasResponse areas;
  ASSERT_TRUE(stub().ListResearchAreas(As(Operator()).get(), areas_request, &areas).ok());
  EXPECT_EQ(areas.research_areas_size(), static_cast<int>(demo->research_areas.size()) + 1);

  v1::GetStrategicGoalRequest get;
  get.set_goal_id(first[0]);
  v1::StrategicGoal goal;
  ASSERT_TRUE(stub().GetStrategicGoal(As(Applicant("anyone")).get(), get, &goal).ok());
  EXPECT_EQ(goal.title_ja(), demo->strategic_goals[0].title_ja());
  get.set_goal_id("00000000-0000-4000-8000-000000000000");
  EXPECT_EQ(stub().GetStrategicGoal(As(Applicant("anyone")).get(), get, &goal).error_code(),
            grpc::StatusCode::NOT_FOUND);
  get.clear_goal_id();
  const absl::Status missing = ToAbsl(stub().GetStrategicGoal(As(Applicant("anyone")).get(), get, &goal));
  EXPECT_EQ(missing.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(FieldsOf(missing), ElementsAreArray({"goal_id"}));
}

// Many submitters over gRPC while the deadline passes: every submission sent
// after the clock passed closes_at is refused, every one accepted is in the
// call when CallClosed reports its count.
TEST_F(CallsServiceTest, DeadlinePassingDuringABurstLosesNothingAndAdmitsNothingLate) {
  constexpr int kSubmitters = 48;
  env_->clock().Set(kCloses - absl::Minutes(5));
  std::vector<v1::Application> drafts;
  for (int i = 0; i < kSubmitters; ++i) drafts.push_back(DraftOf("s" + std::to_string(i), 11000000 + i));

  struct Outcome {
    bool sent_after_deadline = false;
    absl::StatusOr<v1::Application> result = absl::UnknownError("not sent");
  };
  std::vector<Outcome> outcomes(kSubmitters);
  std::atomic<int> answered{0};
  std::atomic<bool> past{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < kSubmitters; ++i) {
    threads.emplace_back([&, i] {
      // A third go at once; a third once the first replies are in, so the
      // deadline passes while they are in flight; a third after it passed.
      if (i % 3 == 1) tane::testing::WaitFor([&] { return answered.load() >= kSubmitters / 6; });
      if (i % 3 == 2) tane::testing::WaitFor([&] { return past.load(); });
      outcomes[i].sent_after_deadline = past.load();
      outcomes[i].result = Submit(stub(), Applicant("s" + std::to_string(i)), drafts[i].application_id(), "burst");
      answered.fetch_add(1);
    });
  }
  ASSERT_TRUE(tane::testing::WaitFor([&] { return answered.load() >= kSubmitters / 4; }));
  env_->clock().Set(kCloses);  // closes_at itself is too late
  past.store(true);            // only after the clock moved
  for (auto& t : threads) t.join();

  std::set<std::string> accepted;
  int refused_after = 0;
  for (int i = 0; i < kSubmitters; ++i) {
    const Outcome& o = outcomes[i];
    if (o.result.ok()) {
      EXPECT_FALSE(o.sent_after_deadline) << i;
      EXPECT_LT(ToTime(o.result->submitted_at()), kCloses);
      accepted.insert(o.result->application_id());
    } else {
      EXPECT_EQ(o.result.status().code(), absl::StatusCode::kFailedPrecondition) << o.result.status();
      refused_after += o.sent_after_deadline ? 1 : 0;
    }
  }
  EXPECT_GE(accepted.size(), static_cast<size_t>(kSubmitters / 4));
  EXPECT_GE(refused_after, kSubmitters / 3);

  // The scheduler closes the call; its count and the listing hold every
  // accepted submission and nothing else.
  tane::testing::TopicReader reader(env_->kafka_bootstrap(), kCallsTopic);
  ASSERT_TRUE(reader.ReadUntil([&](const auto&) {
    return !PayloadsOf<v1::CallClosed>(reader).empty() &&
           PayloadsOf<v1::ApplicationSubmitted>(reader).size() >= accepted.size();
  }));
  const auto closed = PayloadsOf<v1::CallClosed>(reader);
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_TRUE(closed[0].by_deadline());
  EXPECT_EQ(closed[0].application_count(), static_cast<int64_t>(accepted.size()));
  EXPECT_EQ(closed[0].applications_ever_submitted(), static_cast<int64_t>(accepted.size()));

  std::set<std::string> listed;
  v1::ListApplicationsRequest request;
  request.set_call_id(call_.call_id());
  request.set_state(v1::APPLICATION_STATE_SUBMITTED);
  request.set_page_size(500);
  v1::ListApplicationsResponse page;
  ASSERT_TRUE(stub().ListApplications(As(ProgramOfficer()).get(), request, &page).ok());
  for (const auto& a : page.applications()) listed.insert(a.application_id());
  EXPECT_EQ(listed, accepted);
  std::set<std::string> published;
  for (const auto& e : PayloadsOf<v1::ApplicationSubmitted>(reader)) published.insert(e.application().application_id());
  EXPECT_EQ(published, accepted);

  // Once closed, a straggler is refused too.
  const size_t first_refused =
      std::find_if(outcomes.begin(), outcomes.end(), [](const Outcome& o) { return !o.result.ok(); }) -
      outcomes.begin();
  ASSERT_LT(first_refused, outcomes.size());
  EXPECT_EQ(Submit(stub(), Applicant("s" + std::to_string(first_refused)), drafts[first_refused].application_id(),
                   "straggler")
                .status()
                .code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace tane::calls::testing
