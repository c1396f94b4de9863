// tane-projects end to end over a real redis-server and librdkafka's mock
// cluster: decisions published where reviews, international and funds
// publish them, the service called over real gRPC on a free port.
#include "tane/projects/service.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "tane/bus/envelope.h"
#include "tane/calls/catalog.h"
#include "tane/core/time.h"
#include "tane/projects/rules_from_catalog.h"
#include "tane/projects/time_util.h"
#include "tane/runtime/identity.h"
#include "tane/service_testing/harness.h"
#include "tane/testing/fixtures.h"
#include "tane/testing/topics.h"

namespace tane::projects {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using common::v1::EventEnvelope;

const bool kSignalsBlocked = [] {
  runtime::BlockShutdownSignals();
  return true;
}();

absl::Time Jst(int y, int m, int d) { return absl::FromCivil(absl::CivilDay(y, m, d), core::TokyoTimeZone()); }

const runtime::CallerIdentity kOfficer{.subject = "po-1", .role = "program_officer", .agency = ""};
const runtime::CallerIdentity kOperator{.subject = "op-1", .role = "operator", .agency = ""};
const runtime::CallerIdentity kAuditor{.subject = "aud-1", .role = "auditor", .agency = ""};
const runtime::CallerIdentity kFinance{.subject = "fin-1", .role = "finance_officer", .agency = ""};
const runtime::CallerIdentity kPiA{.subject = "user-a", .role = "applicant", .agency = ""};
const runtime::CallerIdentity kPiB{.subject = "user-b", .role = "applicant", .agency = ""};

constexpr char kProjectsTopic[] = "tane.projects.events";

/// reviews' adoption of a FOREST proposal: 84 months from 1 October 2021,
/// ¥7M equipment a fiscal year (FY2021–FY2028).
reviews::v1::ProposalDecided ForestDecided(const std::string& decision_id, const std::string& pi_subject) {
  reviews::v1::ProposalDecided d;
  d.set_decision_id(decision_id);
  d.set_case_id("case-" + decision_id);
  d.set_application_id("app-" + decision_id);
  d.set_call_id("forest-2021");
  d.set_program_id("forest");
  d.set_research_area_id("forest-pan");
  d.set_call_fiscal_year(2021);
  d.set_adopted(true);
  d.set_reason("独創的で挑戦的な構想");
  auto* a = d.mutable_application();
  a->set_application_id("app-" + decision_id);
  a->set_call_id("forest-2021");
  a->set_title_ja("創発的な熱輸送制御");
  a->set_title_en("Emergent control of heat transport");
  a->set_applicant_subject(pi_subject);
  auto* pi = a->mutable_principal_investigator();
  pi->set_researcher_id("12345678");
  pi->set_name_ja("研究者 甲");
  pi->set_institution_id("ror:univ-a");
  pi->set_institution_name("University A");
  a->set_research_period_months(84);
  a->set_start_fiscal_year(2021);
  for (int fy = 2021; fy <= 2028; ++fy) {
    auto* line = a->add_budget_plan();
    line->set_fiscal_year(fy);
    line->set_category(calls::v1::BUDGET_CATEGORY_EQUIPMENT);
    line->set_amount_yen(7'000'000);
  }
  a->set_total_direct_yen(56'000'000);
  a->set_total_indirect_yen(16'800'000);
  *d.mutable_research_start_time() = ToProto(Jst(2021, 10, 1));
  *d.mutable_decided_at() = ToProto(Jst(2021, 9, 1));
  return d;
}

class ProjectsServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto infra = service_testing::TestInfrastructure::Start(
        {.topics = service_testing::TopicsOf("projects", ProjectsService::ConsumedTopics())});
    ASSERT_TRUE(infra.ok()) << infra.status();
    infra_ = *std::move(infra);
    auto catalog = calls::Catalog::LoadFromFile(std::string(TANE_CALLS_CATALOG_DIR) + "/programs.yaml");
    ASSERT_TRUE(catalog.ok()) << catalog.status();
    auto rules = RulesFromCatalog(*catalog);
    ASSERT_TRUE(rules.ok()) << rules.status();

    service_testing::ServiceUnderTest::Options options = infra_->OptionsFor("projects");
    options.shards = 4;
    options.consume_topics = ProjectsService::ConsumedTopics();
    options.clock = &clock_;
    options.metrics_interval = absl::Milliseconds(50);
    auto sut = service_testing::ServiceUnderTest::Create(std::move(options));
    ASSERT_TRUE(sut.ok()) << sut.status();
    sut_ = *std::move(sut);
    sut_->Serve(std::make_unique<ProjectsService>(sut_->kit(), *std::move(rules))).Subscribe();
    ASSERT_TRUE(sut_->Start().ok());
    stub_ = sut_->NewStub<v1::ProjectsService>();
  }

  template <typename Request, typename Response>
  using Method = grpc::Status (v1::ProjectsService::Stub::*)(grpc::ClientContext*, const Request&, Response*);

  /// Calls `method` as `who` and returns the status; `out` gets the answer.
  template <typename Request, typename Response>
  grpc::Status Call(Method<Request, Response> method, const Request& request, Response* out,
                    const runtime::CallerIdentity& who = kOfficer) {
    grpc::ClientContext context;
    runtime::AttachIdentity(context, who, "");
    return ((*stub_).*method)(&context, request, out);
  }

  absl::StatusOr<v1::Project> Get(const std::string& project_id, const runtime::CallerIdentity& who = kOfficer) {
    v1::GetProjectRequest request;
    request.set_project_id(project_id);
    v1::Project project;
    grpc::Status s = Call(&v1::ProjectsService::Stub::GetProject, request, &project, who);
    if (!s.ok()) return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
    return project;
  }

  void Publish(const std::string& topic, const std::vector<EventEnvelope>& envelopes) {
    ASSERT_TRUE(testing::PublishEnvelopes(infra_->kafka_bootstrap(), topic, envelopes).ok());
  }

  static EventEnvelope Envelope(const google::protobuf::Message& payload, const std::string& type,
                                const std::string& id, const std::string& actor) {
    return bus::NewEvent(payload, type, id, actor, "", Jst(2021, 9, 1));
  }

  /// Publishes reviews' adoption and waits until the project exists.
  std::string Adopt(const reviews::v1::ProposalDecided& decided) {
    Publish("tane.reviews.events", {Envelope(decided, "review_case", decided.case_id(), "program_officer:po-1")});
    const std::string id = ProjectIdForDecision(decided.decision_id());
    EXPECT_TRUE(testing::WaitFor([&] { return Get(id).ok(); }, absl::Seconds(60))) << "no project " << id;
    return id;
  }

  v1::Project AddContract(const std::string& id, const std::string& institution, absl::Time start) {
    v1::AddContractRequest request;
    request.set_project_id(id);
    request.set_institution_id(institution);
    request.set_contract_number("JST-C-" + institution);
    *request.mutable_start_time() = ToProto(start);
    request.set_idempotency_key("contract-" + institution);
    v1::Project out;
    grpc::Status s = Call(&v1::ProjectsService::Stub::AddContract, request, &out, kOperator);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }

  grpc::Status Activate(const std::string& id, v1::Project* out, const std::string& key = "activate") {
    v1::ActivateProjectRequest request;
    request.set_project_id(id);
    request.set_idempotency_key(key);
    return Call(&v1::ProjectsService::Stub::ActivateProject, request, out, kOperator);
  }

  /// An active FOREST project from 1 October 2021 (clock set there).
  std::string ActiveForest(const std::string& decision_id, const std::string& pi_subject = "user-a") {
    const std::string id = Adopt(ForestDecided(decision_id, pi_subject));
    clock_.Set(Jst(2021, 10, 1));
    AddContract(id, "ror:univ-a", Jst(2021, 10, 1));
    v1::Project active;
    grpc::Status s = Activate(id, &active);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return id;
  }

  static v1::SubmitReportRequest PlanRequest(const std::string& id, int fiscal_year, const std::string& summary) {
    v1::SubmitReportRequest plan;
    plan.set_project_id(id);
    plan.set_fiscal_year(fiscal_year);
    plan.set_kind(v1::REPORT_KIND_ANNUAL_PLAN);
    plan.set_summary(summary);
    return plan;
  }

  /// The events of `project_id` on tane.projects.events once `done` holds.
  std::vector<EventEnvelope> ProjectEvents(const std::string& project_id,
                                           const std::function<bool(const std::vector<EventEnvelope>&)>& done) {
    testing::TopicReader reader(infra_->kafka_bootstrap(), kProjectsTopic);
    std::vector<EventEnvelope> mine;
    reader.ReadUntil(
        [&](const std::vector<EventEnvelope>& all) {
          mine.clear();
          for (const auto& e : all) {
            if (e.aggregate_id() == project_id) mine.push_back(e);
          }
          return done(mine);
        },
        absl::Seconds(60));
    return mine;
  }

  static bool HasType(const std::vector<EventEnvelope>& events, const std::string& type) {
    return std::any_of(events.begin(), events.end(), [&](const EventEnvelope& e) { return e.type() == type; });
  }

  core::ManualClock clock_{Jst(2021, 9, 1)};
  std::unique_ptr<service_testing::TestInfrastructure> infra_;
  std::unique_ptr<service_testing::ServiceUnderTest> sut_;
  std::unique_ptr<v1::ProjectsService::Stub> stub_;
};

TEST_F(ProjectsServiceTest, AdoptionBecomesAProjectAndProjectStartedCarriesTheBudgetPlan) {
  const std::string id = Adopt(ForestDecided("decision-1", "user-a"));
  auto project = Get(id);
  ASSERT_TRUE(project.ok()) << project.status();
  EXPECT_EQ(project->state(), v1::PROJECT_STATE_CONTRACTING);
  EXPECT_EQ(project->program_id(), "forest");
  EXPECT_EQ(project->title_ja(), "創発的な熱輸送制御");
  EXPECT_EQ(project->principal_investigator().researcher_id(), "12345678");
  EXPECT_EQ(project->pi_subject(), "user-a");
  EXPECT_EQ(FromProto(project->research_period().end_time()), Jst(2028, 10, 1));
  EXPECT_EQ(project->indirect_rate_percent(), 30);
  EXPECT_EQ(project->history_size(), 0);  // GetProject leaves the history out

  auto events = ProjectEvents(id, [](const auto& mine) { return HasType(mine, "tane.projects.v1.ProjectStarted"); });
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].aggregate_version(), 1);
  EXPECT_EQ(events[0].aggregate_type(), "project");
  v1::ProjectStarted started;
  ASSERT_TRUE(bus::UnpackPayload(events[0], &started));
  EXPECT_EQ(started.decision_id(), "decision-1");
  ASSERT_EQ(started.budget_plan_size(), 8);
  int64_t total = 0;
  for (const auto& line : started.budget_plan()) total += line.amount_yen();
  EXPECT_EQ(total, 56'000'000);
  EXPECT_EQ(started.institutions(0).name(), "University A");
}

TEST_F(ProjectsServiceTest, RedeliveredDecisionCreatesOneProject) {
  const auto decided = ForestDecided("decision-1", "user-a");
  const EventEnvelope first = Envelope(decided, "review_case", decided.case_id(), "program_officer:po-1");
  // The same envelope twice (a relay resending after a crash), and the same
  // decision in a new envelope (a replayed topic).
  const EventEnvelope replayed = Envelope(decided, "review_case", decided.case_id(), "program_officer:po-1");
  Publish("tane.reviews.events", {first, first, replayed});
  ASSERT_TRUE(testing::WaitFor([&] { return sut_->kit().consumer()->applied() == 3; }, absl::Seconds(60)));

  const std::string id = ProjectIdForDecision("decision-1");
  auto project = Get(id);
  ASSERT_TRUE(project.ok()) << project.status();
  EXPECT_EQ(project->version(), 1);
  v1::ListProjectsRequest list;
  list.set_program_id("forest");
  v1::ListProjectsResponse listed;
  ASSERT_TRUE(Call(&v1::ProjectsService::Stub::ListProjects, list, &listed).ok());
  EXPECT_EQ(listed.projects_size(), 1);
  auto events = ProjectEvents(id, [](const auto& mine) { return !mine.empty(); });
  EXPECT_EQ(events.size(), 1u);
}

TEST_F(ProjectsServiceTest, AnAdoptionTheProgramRulesRefuseIsDeadLetteredAndDoesNotBlockTheNext) {
  auto too_long = ForestDecided("decision-bad", "user-a");
  too_long.mutable_application()->set_research_period_months(130);  // FOREST: 84 months
  const EventEnvelope bad = Envelope(too_long, "review_case", "same-case", "program_officer:po-1");
  auto fine = ForestDecided("decision-good", "user-a");
  const EventEnvelope good = Envelope(fine, "review_case", "same-case", "program_officer:po-1");
  Publish("tane.reviews.events", {bad, good});  // one key: one partition, in this order

  ASSERT_TRUE(testing::WaitFor([&] { return Get(ProjectIdForDecision("decision-good")).ok(); }, absl::Seconds(60)));
  EXPECT_EQ(Get(ProjectIdForDecision("decision-bad")).status().code(), absl::StatusCode::kNotFound);
  testing::TopicReader dlq(infra_->kafka_bootstrap(), "tane.projects.dlq");
  ASSERT_TRUE(dlq.ReadAtLeast(1));
  EXPECT_EQ(dlq.messages[0].event_id(), bad.event_id());
}

TEST_F(ProjectsServiceTest, JointCallProposalWaitsForTheJointDecision) {
  auto decided = ForestDecided("jst-side-1", "user-a");
  decided.set_program_id("sicorp-core-team");
  decided.set_joint_call(true);
  decided.set_partner_agency("NSF");
  decided.mutable_application()->set_research_period_months(36);
  decided.mutable_application()->clear_budget_plan();
  for (int fy = 2022; fy <= 2024; ++fy) {
    auto* line = decided.mutable_application()->add_budget_plan();
    line->set_fiscal_year(fy);
    line->set_category(calls::v1::BUDGET_CATEGORY_PERSONNEL);
    line->set_amount_yen(20'000'000);
  }
  *decided.mutable_research_start_time() = ToProto(Jst(2022, 1, 1));
  Publish("tane.reviews.events", {Envelope(decided, "review_case", decided.case_id(), "program_officer:po-1")});
  ASSERT_TRUE(testing::WaitFor([&] { return sut_->kit().consumer()->applied() == 1; }, absl::Seconds(60)));
  EXPECT_EQ(Get(ProjectIdForDecision("jst-side-1")).status().code(), absl::StatusCode::kNotFound);

  international::v1::JointDecisionMade joint;
  joint.set_joint_decision_id("joint-1");
  joint.set_jst_decision_id("jst-side-1");
  joint.set_application_id(decided.application_id());
  joint.set_call_id(decided.call_id());
  joint.set_program_id("sicorp-core-team");
  joint.set_partner_agency("NSF");
  joint.set_adopted(true);
  joint.set_outcome(international::v1::JOINT_OUTCOME_ADOPTED);
  *joint.mutable_jst_submission()->mutable_application() = decided.application();
  *joint.mutable_decided_at() = ToProto(Jst(2021, 11, 15));
  Publish("tane.international.events", {Envelope(joint, "joint_proposal", "jp-1", "system:international")});

  const std::string id = ProjectIdForDecision("joint-1");
  ASSERT_TRUE(testing::WaitFor([&] { return Get(id).ok(); }, absl::Seconds(60)));
  auto project = Get(id);
  EXPECT_TRUE(project->joint_call());
  EXPECT_EQ(project->program_id(), "sicorp-core-team");
  // The start the supervisor set on the JST side, not the default (1 December).
  EXPECT_EQ(FromProto(project->research_period().start_time()), Jst(2022, 1, 1));
  EXPECT_EQ(Get(ProjectIdForDecision("jst-side-1")).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(ProjectsServiceTest, AllocationRejectedHoldsTheProjectAndActivationIsRefusedWithTheReason) {
  const std::string id = Adopt(ForestDecided("decision-1", "user-a"));
  clock_.Set(Jst(2021, 10, 1));
  AddContract(id, "ror:univ-a", Jst(2021, 10, 1));

  funds::v1::AllocationRejected rejected;
  rejected.set_program_id("forest");
  rejected.set_project_id(id);
  rejected.set_reason("FY2021 FOREST budget exhausted");
  rejected.set_required_yen(7'000'000);
  rejected.set_available_yen(3'000'000);
  rejected.set_shortfall_yen(4'000'000);
  rejected.add_fiscal_years()->set_fiscal_year(2021);
  const EventEnvelope event = Envelope(rejected, "allocation", id, "system:funds");
  Publish("tane.funds.events", {event, event});
  ASSERT_TRUE(testing::WaitFor([&] { return Get(id).ok() && Get(id)->on_hold(); }, absl::Seconds(60)));
  ASSERT_TRUE(testing::WaitFor([&] { return sut_->kit().consumer()->applied() == 3; }, absl::Seconds(60)));
  auto held = Get(id);
  EXPECT_THAT(held->hold_reason(), HasSubstr("FY2021 FOREST budget exhausted"));
  EXPECT_EQ(held->version(), 3);  // created, contract, hold: the redelivery changed nothing

  v1::Project out;
  grpc::Status refused = Activate(id, &out);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(refused.error_message(), HasSubstr("on hold"));
  EXPECT_THAT(refused.error_message(), HasSubstr("FY2021 FOREST budget exhausted"));

  v1::ReleaseHoldRequest release;
  release.set_project_id(id);
  release.set_note("supplementary budget allocated");
  release.set_idempotency_key("release-1");
  ASSERT_TRUE(Call(&v1::ProjectsService::Stub::ReleaseHold, release, &out, kFinance).ok());
  grpc::Status activated = Activate(id, &out, "activate-2");
  ASSERT_TRUE(activated.ok()) << activated.error_message();
  EXPECT_EQ(out.state(), v1::PROJECT_STATE_ACTIVE);

  auto events = ProjectEvents(id, [](const auto& mine) { return mine.size() >= 5; });
  std::vector<int> changes;
  for (const auto& e : events) {
    v1::ProjectChanged changed;
    if (bus::UnpackPayload(e, &changed)) changes.push_back(changed.change());
  }
  EXPECT_THAT(changes, ElementsAre(v1::CHANGE_KIND_CONTRACT_ADDED, v1::CHANGE_KIND_PUT_ON_HOLD,
                                   v1::CHANGE_KIND_HOLD_RELEASED, v1::CHANGE_KIND_ACTIVATED));
}

TEST_F(ProjectsServiceTest, ReportsOverdueListAndAStageGateStopTerminatesFromTheNextFiscalYear) {
  const std::string id = ActiveForest("decision-1");

  // The PI reports FY2021 on time: the plan within the first-year grace, the
  // progress report by 31 May 2022, with outputs.
  clock_.Set(Jst(2021, 10, 15));
  v1::SubmitReportRequest plan = PlanRequest(id, 2021, "年度研究計画");
  plan.set_idempotency_key("plan-2021");
  v1::Project out;
  grpc::Status s = Call(&v1::ProjectsService::Stub::SubmitReport, plan, &out, kPiA);
  ASSERT_TRUE(s.ok()) << s.error_message();
  clock_.Set(Jst(2022, 5, 10));
  v1::SubmitReportRequest progress = plan;
  progress.set_kind(v1::REPORT_KIND_PROGRESS_REPORT);
  progress.set_idempotency_key("progress-2021");
  auto* paper = progress.add_outputs();
  paper->set_kind(v1::OUTPUT_KIND_PUBLICATION);
  paper->set_title("Phonon spectroscopy");
  paper->set_doi("10.1234/phonon.2022");
  paper->set_international_coauthorship(true);
  progress.add_outputs()->set_kind(v1::OUTPUT_KIND_PATENT);
  progress.mutable_outputs(1)->set_title("熱制御素子");
  progress.mutable_outputs(1)->set_identifier("JP2022-123456");
  s = Call(&v1::ProjectsService::Stub::SubmitReport, progress, &out, kPiA);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_FALSE(out.reports(1).late());

  // Nothing since: by 1 September 2024 five reports are overdue, oldest first.
  clock_.Set(Jst(2024, 9, 1));
  std::vector<std::pair<int, int>> overdue;
  v1::ListOverdueReportsRequest list;
  list.set_program_id("forest");
  list.set_page_size(2);
  int pages = 0;
  do {
    v1::ListOverdueReportsResponse page;
    s = Call(&v1::ProjectsService::Stub::ListOverdueReports, list, &page);
    ASSERT_TRUE(s.ok()) << s.error_message();
    ASSERT_LE(page.reports_size(), 2);
    for (const auto& r : page.reports()) overdue.emplace_back(r.fiscal_year(), r.kind());
    list.set_page_token(page.next_page_token());
    ++pages;
  } while (!list.page_token().empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  const int kPlan = v1::REPORT_KIND_ANNUAL_PLAN, kProgress = v1::REPORT_KIND_PROGRESS_REPORT;
  EXPECT_THAT(overdue, ElementsAre(std::pair(2022, kPlan), std::pair(2023, kPlan), std::pair(2022, kProgress),
                                   std::pair(2024, kPlan), std::pair(2023, kProgress)));

  // The month-36 gate is due on 1 October 2024.
  v1::ListUpcomingEvaluationsRequest upcoming;
  upcoming.set_program_id("forest");
  v1::ListUpcomingEvaluationsResponse scheduled;
  ASSERT_TRUE(Call(&v1::ProjectsService::Stub::ListUpcomingEvaluations, upcoming, &scheduled).ok());
  ASSERT_EQ(scheduled.evaluations_size(), 1);
  EXPECT_EQ(scheduled.evaluations(0).kind(), v1::EVALUATION_KIND_STAGE_GATE);
  EXPECT_EQ(scheduled.evaluations(0).milestone_month(), 36);
  EXPECT_EQ(FromProto(scheduled.evaluations(0).scheduled_time()), Jst(2024, 10, 1));
  EXPECT_FALSE(scheduled.evaluations(0).overdue());

  v1::RecordEvaluationRequest gate;
  gate.set_project_id(id);
  gate.set_kind(v1::EVALUATION_KIND_STAGE_GATE);
  gate.set_milestone_month(36);
  gate.add_evaluators("evaluator-1");
  gate.add_evaluators("evaluator-2");
  gate.set_grade("B");
  gate.set_outcome(v1::STAGE_GATE_OUTCOME_STOP);
  gate.set_comments("構想の実現性が低い");
  gate.set_idempotency_key("gate-36");
  s = Call(&v1::ProjectsService::Stub::RecordEvaluation, gate, &out);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(out.state(), v1::PROJECT_STATE_TERMINATED);
  EXPECT_EQ(out.termination().effective_fiscal_year(), 2025);
  EXPECT_EQ(FromProto(out.termination().effective_time()), Jst(2025, 4, 1));
  for (const auto& line : out.budget_plan()) EXPECT_LT(line.fiscal_year(), 2025);
  EXPECT_EQ(out.budget_plan_size(), 4);  // FY2021–FY2024 stay

  auto events = ProjectEvents(id, [](const auto& mine) { return HasType(mine, "tane.projects.v1.ProjectTerminated"); });
  v1::ProjectTerminated terminated;
  ASSERT_TRUE(bus::UnpackPayload(events.back(), &terminated));
  EXPECT_EQ(terminated.effective_fiscal_year(), 2025);
  EXPECT_EQ(terminated.budget_plan_size(), 4);
  ASSERT_GE(events.size(), 2u);
  v1::EvaluationRecorded recorded;
  ASSERT_TRUE(bus::UnpackPayload(events[events.size() - 2], &recorded));
  EXPECT_EQ(recorded.evaluation().consequence(), v1::CONSEQUENCE_TERMINATE);
  EXPECT_TRUE(HasType(events, "tane.projects.v1.ProgressReported"));

  // Reports of fiscal years after the termination are no longer owed; the
  // gate is no longer upcoming.
  list.clear_page_token();
  list.set_page_size(50);
  v1::ListOverdueReportsResponse after;
  ASSERT_TRUE(Call(&v1::ProjectsService::Stub::ListOverdueReports, list, &after).ok());
  EXPECT_EQ(after.reports_size(), 5);
  for (const auto& r : after.reports()) EXPECT_LE(r.fiscal_year(), 2024);
  ASSERT_TRUE(Call(&v1::ProjectsService::Stub::ListUpcomingEvaluations, upcoming, &scheduled).ok());
  for (const auto& e : scheduled.evaluations()) EXPECT_NE(e.kind(), v1::EVALUATION_KIND_STAGE_GATE);

  v1::CountOutputsRequest kpi;
  kpi.set_program_id("forest");
  v1::CountOutputsResponse counts;
  ASSERT_TRUE(Call(&v1::ProjectsService::Stub::CountOutputs, kpi, &counts).ok());
  EXPECT_EQ(counts.projects(), 1);
  EXPECT_EQ(counts.projects_reporting(), 1);
  EXPECT_EQ(counts.publications(), 1);
  EXPECT_EQ(counts.internationally_coauthored_publications(), 1);
  EXPECT_EQ(counts.patents(), 1);
}

TEST_F(ProjectsServiceTest, HistoryListsEveryChangeWithWhoAndWhenAndRetriesActOnce) {
  const std::string id = Adopt(ForestDecided("decision-1", "user-a"));
  clock_.Set(Jst(2021, 10, 1));
  AddContract(id, "ror:univ-a", Jst(2021, 10, 1));
  v1::Project out;
  ASSERT_TRUE(Activate(id, &out).ok());
  // A portal's retry with the same key: the first answer, no second change.
  v1::Project retried;
  ASSERT_TRUE(Activate(id, &retried).ok());
  EXPECT_EQ(retried.version(), out.version());

  clock_.Set(Jst(2022, 4, 1));
  v1::AddMemberRequest add;
  add.set_project_id(id);
  add.mutable_member()->set_researcher_id("87654321");
  add.mutable_member()->set_name("研究者 乙");
  add.mutable_member()->set_institution_id("ror:univ-b");
  add.set_institution_name("University B");
  add.set_idempotency_key("member-1");
  ASSERT_TRUE(Call(&v1::ProjectsService::Stub::AddMember, add, &out).ok());
  // The same key for a different request is refused and changes nothing.
  v1::AddMemberRequest other = add;
  other.mutable_member()->set_researcher_id("11112222");
  EXPECT_EQ(Call(&v1::ProjectsService::Stub::AddMember, other, &out).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  clock_.Set(Jst(2022, 6, 1));
  v1::RevisePlanRequest revise;
  revise.set_project_id(id);
  revise.set_reason("研究費の増額（加速）");
  auto* change = revise.add_changes();
  change->set_fiscal_year(2023);
  change->set_category(v1::BUDGET_CATEGORY_EQUIPMENT);
  change->set_amount_yen(9'000'000);
  revise.set_idempotency_key("revise-1");
  grpc::Status s = Call(&v1::ProjectsService::Stub::RevisePlan, revise, &out);
  ASSERT_TRUE(s.ok()) << s.error_message();
  // An outdated expected version is ABORTED.
  revise.set_expected_version(2);
  revise.set_idempotency_key("revise-2");
  EXPECT_EQ(Call(&v1::ProjectsService::Stub::RevisePlan, revise, &out).error_code(), grpc::StatusCode::ABORTED);

  v1::GetProjectHistoryRequest history;
  history.set_project_id(id);
  history.set_page_size(2);
  std::vector<v1::HistoryEntry> entries;
  do {
    v1::GetProjectHistoryResponse page;
    ASSERT_TRUE(Call(&v1::ProjectsService::Stub::GetProjectHistory, history, &page, kAuditor).ok());
    for (const auto& e : page.entries()) entries.push_back(e);
    history.set_page_token(page.next_page_token());
  } while (!history.page_token().empty() && entries.size() < 20);
  std::vector<std::string> actions, actors;
  for (const auto& e : entries) {
    actions.push_back(e.action());
    actors.push_back(absl::StrCat(e.actor().role(), ":", e.actor().subject()));
  }
  EXPECT_THAT(actions, ElementsAre("created", "contract_added", "activated", "member_added", "plan_revised"));
  EXPECT_THAT(actors, ElementsAre("system:reviews", "operator:op-1", "operator:op-1", "program_officer:po-1",
                                  "program_officer:po-1"));
  for (size_t i = 0; i < entries.size(); ++i) EXPECT_EQ(entries[i].version(), static_cast<int64_t>(i + 1));
  EXPECT_EQ(FromProto(entries[0].time()), Jst(2021, 9, 1));
  EXPECT_EQ(FromProto(entries[3].time()), Jst(2022, 4, 1));
  EXPECT_EQ(FromProto(entries[4].time()), Jst(2022, 6, 1));
  EXPECT_THAT(entries[4].description(), HasSubstr("研究費の増額"));

  // Every event on the topic has its history entry at the same version.
  auto events = ProjectEvents(id, [](const auto& mine) { return mine.size() >= 5; });
  ASSERT_EQ(events.size(), entries.size());
  for (size_t i = 0; i < events.size(); ++i) EXPECT_EQ(events[i].aggregate_version(), entries[i].version());
}

TEST_F(ProjectsServiceTest, ListsFilterAndPageAcrossShards) {
  std::set<std::string> forest_ids;
  for (int i = 0; i < 5; ++i) forest_ids.insert(Adopt(ForestDecided(absl::StrCat("forest-", i), "user-a")));
  for (int i = 0; i < 2; ++i) {
    auto crest = ForestDecided(absl::StrCat("crest-", i), "user-b");
    crest.set_program_id("crest");
    crest.set_research_area_id("crest-thermal");
    crest.mutable_application()->set_research_period_months(66);
    crest.mutable_application()->clear_budget_plan();
    auto* line = crest.mutable_application()->add_budget_plan();
    line->set_fiscal_year(2022);
    line->set_category(calls::v1::BUDGET_CATEGORY_PERSONNEL);
    line->set_amount_yen(150'000'000);
    Adopt(crest);
  }

  auto list_all = [&](v1::ListProjectsRequest request, int* pages) {
    std::vector<std::string> ids;
    *pages = 0;
    do {
      v1::ListProjectsResponse page;
      grpc::Status s = Call(&v1::ProjectsService::Stub::ListProjects, request, &page);
      EXPECT_TRUE(s.ok()) << s.error_message();
      if (!s.ok()) break;
      for (const auto& p : page.projects()) ids.push_back(p.project_id());
      request.set_page_token(page.next_page_token());
      ++*pages;
    } while (!request.page_token().empty() && *pages < 20);
    return ids;
  };
  int pages = 0;
  v1::ListProjectsRequest by_program;
  by_program.set_program_id("forest");
  by_program.set_page_size(2);
  auto ids = list_all(by_program, &pages);
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()), forest_ids);
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));

  v1::ListProjectsRequest by_area;
  by_area.set_research_area_id("crest-thermal");
  EXPECT_EQ(list_all(by_area, &pages).size(), 2u);

  // CREST's 66 months end in FY2026; FOREST's 84 run into FY2028.
  v1::ListProjectsRequest by_year;
  by_year.set_fiscal_year(2027);
  by_year.set_page_size(3);
  ids = list_all(by_year, &pages);
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()), forest_ids);
  by_year.set_fiscal_year(2026);
  EXPECT_EQ(list_all(by_year, &pages).size(), 7u);

  // State and program together; then a state nobody is in.
  v1::ListProjectsRequest by_state;
  by_state.set_state(v1::PROJECT_STATE_CONTRACTING);
  by_state.set_program_id("crest");
  EXPECT_EQ(list_all(by_state, &pages).size(), 2u);
  by_state.set_state(v1::PROJECT_STATE_ACTIVE);
  by_state.clear_program_id();
  EXPECT_TRUE(list_all(by_state, &pages).empty());

  v1::ListProjectsRequest bad;
  bad.set_page_token("not a token");
  v1::ListProjectsResponse response;
  EXPECT_EQ(Call(&v1::ProjectsService::Stub::ListProjects, bad, &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  bad.clear_page_token();
  bad.set_page_size(-1);
  EXPECT_EQ(Call(&v1::ProjectsService::Stub::ListProjects, bad, &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(ProjectsServiceTest, AnApplicantSeesAndReportsOnlyTheirOwnProjects) {
  const std::string mine = ActiveForest("decision-a", "user-a");
  const std::string theirs = ActiveForest("decision-b", "user-b");

  EXPECT_TRUE(Get(mine, kPiA).ok());
  EXPECT_EQ(Get(theirs, kPiA).status().code(), absl::StatusCode::kPermissionDenied);
  // Whether or not it exists, a project that is not theirs is refused alike.
  EXPECT_EQ(Get("no-such-project", kPiA).status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Get("no-such-project", kOfficer).status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(Get(theirs, kOfficer).ok());

  v1::ListProjectsRequest list;
  v1::ListProjectsResponse listed;
  ASSERT_TRUE(Call(&v1::ProjectsService::Stub::ListProjects, list, &listed, kPiA).ok());
  ASSERT_EQ(listed.projects_size(), 1);
  EXPECT_EQ(listed.projects(0).project_id(), mine);
  ASSERT_TRUE(Call(&v1::ProjectsService::Stub::ListProjects, list, &listed, kOfficer).ok());
  EXPECT_EQ(listed.projects_size(), 2);

  clock_.Set(Jst(2021, 10, 20));
  v1::SubmitReportRequest plan = PlanRequest(theirs, 2021, "not mine");
  v1::Project out;
  EXPECT_EQ(Call(&v1::ProjectsService::Stub::SubmitReport, plan, &out, kPiA).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(Get(theirs).ok());
  EXPECT_EQ(Get(theirs)->reports_size(), 0);
  plan.set_project_id(mine);
  EXPECT_TRUE(Call(&v1::ProjectsService::Stub::SubmitReport, plan, &out, kPiA).ok());

  // Lists spanning every project are not for applicants; unknown roles get nothing.
  v1::ListOverdueReportsRequest overdue;
  v1::ListOverdueReportsResponse overdue_out;
  EXPECT_EQ(Call(&v1::ProjectsService::Stub::ListOverdueReports, overdue, &overdue_out, kPiA).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  const runtime::CallerIdentity reviewer{.subject = "rev-1", .role = "reviewer", .agency = ""};
  EXPECT_EQ(Get(mine, reviewer).status().code(), absl::StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace tane::projects
