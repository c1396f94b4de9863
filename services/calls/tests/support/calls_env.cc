#include "calls_env.h"

#include "absl/strings/str_format.h"
#include "tane/calls/service/commitments_model.h"
#include "tane/calls/timestamps.h"
#include "tane/runtime/status.h"
#include "test_data.h"

namespace tane::calls::testing {

absl::StatusOr<std::unique_ptr<CallsEnv>> CallsEnv::Start(absl::Time start) {
  std::unique_ptr<CallsEnv> env(new CallsEnv(start));
  auto catalog = Catalog::LoadFromFile(CatalogPath());
  if (!catalog.ok()) return catalog.status();
  env->catalog_ = *std::move(catalog);
  auto infra = service_testing::TestInfrastructure::Start(
      {.topics = service_testing::TopicsOf("calls", CommitmentsModel::Topics())});
  if (!infra.ok()) return infra.status();
  env->infra_ = *std::move(infra);
  return env;
}

CallsEnv::~CallsEnv() { replicas_.clear(); }

absl::StatusOr<Replica*> CallsEnv::AddReplica(ReplicaOptions options) {
  service_testing::ServiceUnderTest::Options service_options = infra_->OptionsFor("calls");
  service_options.redis_pool_size = options.redis_pool_size;
  service_options.log_level = "warn";
  service_options.consume_topics = CommitmentsModel::Topics();
  service_options.clock = &clock_;
  auto sut = service_testing::ServiceUnderTest::Create(std::move(service_options));
  if (!sut.ok()) return sut.status();

  std::unique_ptr<Replica> replica(new Replica());
  replica->sut_ = *std::move(sut);
  runtime::ServiceKit& kit = replica->sut_->kit();
  replica->service_ = &replica->sut_->Serve(std::make_unique<CallsService>(
      kit, catalog_, CallsServiceOptions{.after_step = std::move(options.after_step)}));
  replica->service_->Subscribe();
  DeadlineScheduler* scheduler = &replica->sut_->Own(std::make_unique<DeadlineScheduler>(
      kit, *replica->service_, DeadlineSchedulerOptions{.interval = options.scheduler_interval}));
  replica->scheduler_ = scheduler;
  replica->sut_->host().AddShutdownHook("deadline-scheduler", [scheduler] { scheduler->Stop(); });
  if (auto s = replica->sut_->Start(); !s.ok()) return s;
  if (options.run_scheduler) scheduler->Start();
  replica->stub_ = replica->sut_->NewStub<v1::CallsService>();
  replicas_.push_back(std::move(replica));
  return replicas_.back().get();
}

runtime::CallerIdentity Operator() { return {.subject = "op-1", .role = "operator", .agency = ""}; }
runtime::CallerIdentity ProgramOfficer() { return {.subject = "po-1", .role = "program_officer", .agency = ""}; }
runtime::CallerIdentity Applicant(const std::string& subject) {
  return {.subject = subject, .role = "applicant", .agency = ""};
}

std::unique_ptr<grpc::ClientContext> As(const runtime::CallerIdentity& who) {
  auto context = std::make_unique<grpc::ClientContext>();
  runtime::AttachIdentity(*context, who, "");
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  return context;
}

absl::Status ToAbsl(const grpc::Status& status) { return runtime::FromGrpcStatus(status); }

namespace {

// Call as Result(stub.Rpc(..., &response), response): the status is
// evaluated before the response is read.
template <typename Response>
absl::StatusOr<Response> Result(const grpc::Status& status, const Response& response) {
  if (!status.ok()) return ToAbsl(status);
  return response;
}

}  // namespace

absl::StatusOr<v1::Call> OpenCrestCall(v1::CallsService::Stub& stub, absl::Time opens, absl::Time closes,
                                       const std::string& key) {
  v1::CreateStrategicGoalRequest goal_request;
  goal_request.set_idempotency_key(key + "/goal");
  auto* goal = goal_request.mutable_strategic_goal();
  goal->set_fiscal_year(core::FiscalYear::Containing(opens).year());
  goal->set_title_ja("ナノスケール熱動態の理解と制御技術による革新的材料・デバイス技術の開発");
  goal->set_field_category(v1::FIELD_CATEGORY_GENERAL);
  goal->set_agency(v1::AGENCY_JST);
  v1::StrategicGoal created_goal;
  if (auto s = stub.CreateStrategicGoal(As(Operator()).get(), goal_request, &created_goal); !s.ok()) return ToAbsl(s);

  v1::CreateResearchAreaRequest area_request;
  area_request.set_idempotency_key(key + "/area");
  auto* area = area_request.mutable_research_area();
  area->set_goal_id(created_goal.goal_id());
  area->add_program_ids("crest");
  area->set_title_ja("ナノスケール・サーマルマネージメント基盤技術の創出");
  area->mutable_supervisor()->set_name("研究総括");
  area->mutable_supervisor()->set_role(v1::OFFICER_ROLE_RESEARCH_SUPERVISOR);
  v1::ResearchArea created_area;
  if (auto s = stub.CreateResearchArea(As(Operator()).get(), area_request, &created_area); !s.ok()) return ToAbsl(s);

  v1::CreateCallRequest call_request;
  call_request.set_idempotency_key(key + "/call");
  *call_request.mutable_call() = CrestCall();
  call_request.mutable_call()->set_research_area_id(created_area.area_id());
  *call_request.mutable_call()->mutable_opens_at() = ToTimestamp(opens);
  *call_request.mutable_call()->mutable_closes_at() = ToTimestamp(closes);
  v1::Call draft;
  if (auto s = stub.CreateCall(As(Operator()).get(), call_request, &draft); !s.ok()) return ToAbsl(s);

  v1::PublishCallRequest publish;
  publish.set_call_id(draft.call_id());
  publish.set_version(draft.version());
  publish.set_idempotency_key(key + "/publish");
  v1::Call published;
  return Result(stub.PublishCall(As(Operator()).get(), publish, &published), published);
}

std::string Researcher(int n) { return absl::StrFormat("%08d", n); }

v1::Application CrestApplicationOf(const std::string& pi, const std::string& co) {
  v1::Application a = CrestApplication();
  a.clear_application_id();
  a.clear_call_id();
  a.mutable_principal_investigator()->set_researcher_id(pi);
  a.mutable_co_investigators(0)->mutable_person()->set_researcher_id(co);
  return a;
}

absl::StatusOr<v1::Application> Draft(v1::CallsService::Stub& stub, const runtime::CallerIdentity& who,
                                      const std::string& call_id, const v1::Application& application,
                                      const std::string& idempotency_key) {
  v1::CreateApplicationRequest request;
  request.set_call_id(call_id);
  *request.mutable_application() = application;
  request.set_idempotency_key(idempotency_key);
  v1::Application created;
  return Result(stub.CreateApplication(As(who).get(), request, &created), created);
}

absl::StatusOr<v1::Application> Submit(v1::CallsService::Stub& stub, const runtime::CallerIdentity& who,
                                       const std::string& application_id, const std::string& idempotency_key) {
  v1::SubmitApplicationRequest request;
  request.set_application_id(application_id);
  request.set_idempotency_key(idempotency_key);
  v1::Application submitted;
  return Result(stub.SubmitApplication(As(who).get(), request, &submitted), submitted);
}

absl::StatusOr<v1::Application> Withdraw(v1::CallsService::Stub& stub, const runtime::CallerIdentity& who,
                                         const std::string& application_id, const std::string& reason) {
  v1::WithdrawApplicationRequest request;
  request.set_application_id(application_id);
  request.set_reason(reason);
  v1::Application withdrawn;
  return Result(stub.WithdrawApplication(As(who).get(), request, &withdrawn), withdrawn);
}

}  // namespace tane::calls::testing
