// tanectl load-demo: loads the demo data through the services' own gRPC APIs,
// as an operator and a finance officer would:
// - calls: the FY2017 strategic goals and research areas of the seeds
//   (services/calls/catalog/demo_fy2017.yaml), and one call per demo CREST
//   and PRESTO area open for the whole current fiscal year, so a fresh
//   `make run` has something to apply to;
// - funds: the program budgets the seeds give (services/funds/catalog/demo_budgets.yaml).
// Every request carries an idempotency key derived from the demo entry, so
// loading again creates nothing twice; ALREADY_EXISTS (a load older than the
// stored results) counts as loaded.
#include <grpcpp/grpcpp.h>
#include <yaml-cpp/yaml.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <map>
#include <ostream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "tane/calls/catalog.h"
#include "tane/calls/demo_data.h"
#include "tane/calls/v1/calls.grpc.pb.h"
#include "tane/core/time.h"
#include "tane/funds/v1/funds.grpc.pb.h"
#include "tane/runtime/identity.h"
#include "tane/runtime/status.h"
#include "tanectl.h"

namespace tane::tanectl {
namespace {

struct LoadDemoOptions {
  std::string calls_addr = "127.0.0.1:7101";
  std::string funds_addr = "127.0.0.1:7104";
  std::string internal_token;
  std::string catalog = TANE_SOURCE_DIR "/services/calls/catalog/programs.yaml";
  std::string demo_file = TANE_SOURCE_DIR "/services/calls/catalog/demo_fy2017.yaml";
  std::string budgets_file = TANE_SOURCE_DIR "/services/funds/catalog/demo_budgets.yaml";
  int wait_seconds = 30;
};

class Loader {
 public:
  Loader(const LoadDemoOptions& options, CommandContext& context) : options_(options), context_(context) {}

  int Run() {
    auto catalog = calls::Catalog::LoadFromFile(options_.catalog);
    if (!catalog.ok()) return Fail("catalog", catalog.status());
    auto demo = calls::LoadDemoDataFromFile(options_.demo_file, *catalog);
    if (!demo.ok()) return Fail("demo data", demo.status());

    auto calls_channel = grpc::CreateChannel(options_.calls_addr, grpc::InsecureChannelCredentials());
    auto funds_channel = grpc::CreateChannel(options_.funds_addr, grpc::InsecureChannelCredentials());
    if (!WaitServing("calls", calls_channel)) return 1;
    calls_ = calls::v1::CallsService::NewStub(calls_channel);
    if (int rc = LoadCalls(*demo); rc != 0) return rc;
    if (!WaitServing("funds", funds_channel)) return 1;
    funds_ = funds::v1::FundsService::NewStub(funds_channel);
    return LoadBudgets();
  }

 private:
  int Fail(std::string_view what, const absl::Status& status) {
    context_.err << "tanectl load-demo: " << what << ": " << status.ToString() << "\n";
    return 1;
  }

  bool WaitServing(const std::string& name, const std::shared_ptr<grpc::Channel>& channel) {
    auto health = grpc::health::v1::Health::NewStub(channel);
    const absl::Time until = absl::Now() + absl::Seconds(options_.wait_seconds);
    grpc::Status last;
    while (absl::Now() < until) {
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
      grpc::health::v1::HealthCheckRequest request;
      grpc::health::v1::HealthCheckResponse response;
      last = health->Check(&ctx, request, &response);
      if (last.ok() && response.status() == grpc::health::v1::HealthCheckResponse::SERVING) return true;
      absl::SleepFor(absl::Milliseconds(200));  // polling a remote service, not a test wait
    }
    context_.err << "tanectl load-demo: the " << name << " service did not become SERVING within "
                 << options_.wait_seconds << " s (" << last.error_message() << ")\n";
    return false;
  }

  std::unique_ptr<grpc::ClientContext> As(std::string_view role) const {
    auto ctx = std::make_unique<grpc::ClientContext>();
    runtime::AttachIdentity(*ctx, {.subject = "demo-loader", .role = std::string(role), .agency = ""},
                            options_.internal_token);
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return ctx;
  }

  // OK or ALREADY_EXISTS (loaded before the stored result expired) count as loaded.
  bool Loaded(const grpc::Status& status, const std::string& what) {
    if (status.ok()) return true;
    if (status.error_code() == grpc::StatusCode::ALREADY_EXISTS) {
      ++already_;
      return true;
    }
    context_.err << "tanectl load-demo: " << what << ": " << runtime::FromGrpcStatus(status).ToString() << "\n";
    return false;
  }

  int LoadCalls(const calls::DemoData& demo) {
    std::map<std::string, std::string> goal_ids;  // demo id -> created id
    for (const auto& goal : demo.strategic_goals) {
      calls::v1::CreateStrategicGoalRequest request;
      *request.mutable_strategic_goal() = goal;
      request.set_idempotency_key("demo/" + goal.goal_id());
      calls::v1::StrategicGoal created;
      if (!Loaded(calls_->CreateStrategicGoal(As("operator").get(), request, &created), "goal " + goal.title_ja())) {
        return 1;
      }
      goal_ids[goal.goal_id()] = created.goal_id().empty() ? goal.goal_id() : created.goal_id();
    }
    std::vector<calls::v1::ResearchArea> areas;
    for (const auto& area : demo.research_areas) {
      calls::v1::CreateResearchAreaRequest request;
      *request.mutable_research_area() = area;
      request.mutable_research_area()->set_goal_id(goal_ids[area.goal_id()]);
      request.set_idempotency_key("demo/" + area.area_id());
      calls::v1::ResearchArea created;
      if (!Loaded(calls_->CreateResearchArea(As("operator").get(), request, &created), "area " + area.title_ja())) {
        return 1;
      }
      if (!created.area_id().empty()) areas.push_back(created);
    }
    int open_calls = 0;
    for (const auto& area : areas) {
      if (area.program_ids_size() == 0) continue;
      const std::string& program = area.program_ids(0);
      if (program != "crest" && program != "presto") continue;
      if (int rc = OpenDemoCall(area, program); rc != 0) return rc;
      ++open_calls;
    }
    context_.out << "load-demo: calls: " << demo.strategic_goals.size() << " strategic goals, " << areas.size()
                 << " research areas, " << open_calls << " open calls for FY" << fiscal_year_ << "\n";
    return 0;
  }

  // One call per demo area for the current fiscal year, created and
  // published once (its key names the area and the fiscal year).
  int OpenDemoCall(const calls::v1::ResearchArea& area, const std::string& program) {
    const std::string key = absl::StrCat("demo/call/fy", fiscal_year_, "/", area.area_id());
    calls::v1::CreateCallRequest create;
    calls::v1::Call& call = *create.mutable_call();
    call.set_program_id(program);
    call.set_research_area_id(area.area_id());
    call.set_title_ja(absl::StrCat("【デモ】", program == "crest" ? "CREST" : "さきがけ", "「", area.title_ja(),
                                   "」研究提案募集（", fiscal_year_, "年度）"));
    call.set_title_en(absl::StrCat("[Demo] ", program == "crest" ? "CREST" : "PRESTO", " call, ", area.title_en(),
                                   " (FY", fiscal_year_, ")"));
    // Open for the whole fiscal year: the same request on every load (its
    // idempotency key must not meet a different request).
    const core::FiscalYear fy(fiscal_year_);
    call.mutable_opens_at()->set_seconds(absl::ToUnixSeconds(fy.Start()));
    call.mutable_closes_at()->set_seconds(absl::ToUnixSeconds(fy.End()));
    create.set_idempotency_key(key);
    calls::v1::Call created;
    grpc::Status status = calls_->CreateCall(As("operator").get(), create, &created);
    if (status.error_code() == grpc::StatusCode::ALREADY_EXISTS) {
      ++already_;
      return 0;
    }
    if (!Loaded(status, "call " + call.title_ja())) return 1;
    if (created.state() != calls::v1::CALL_STATE_DRAFT) return 0;  // published by an earlier load
    calls::v1::PublishCallRequest publish;
    publish.set_call_id(created.call_id());
    publish.set_version(created.version());
    publish.set_idempotency_key(key + "/publish");
    calls::v1::Call published;
    return Loaded(calls_->PublishCall(As("operator").get(), publish, &published), "publish " + call.title_ja()) ? 0 : 1;
  }

  int LoadBudgets() {
    YAML::Node root;
    try {
      root = YAML::LoadFile(options_.budgets_file);
    } catch (const YAML::Exception& e) {
      return Fail(options_.budgets_file, absl::InvalidArgumentError(e.what()));
    }
    const std::vector<std::pair<std::string, funds::v1::BudgetLine>> lines = {
        {"initial", funds::v1::BUDGET_LINE_INITIAL},
        {"supplementary", funds::v1::BUDGET_LINE_SUPPLEMENTARY},
        {"adjustment", funds::v1::BUDGET_LINE_ADJUSTMENT}};
    int loaded = 0;
    int64_t total = 0;
    for (const auto& budget : root["budgets"]) {
      const std::string program = budget["program"].as<std::string>();
      for (const auto& year : budget["years"]) {
        const int fiscal_year = year["fiscal_year"].as<int>();
        for (const auto& [name, line] : lines) {
          if (!year[name] || year[name].as<int64_t>() == 0) continue;  // a zero line moves no money
          funds::v1::LoadProgramBudgetRequest request;
          request.set_program_id(program);
          request.set_fiscal_year(fiscal_year);
          request.set_budget_line(line);
          request.set_amount_yen(year[name].as<int64_t>());
          request.set_source(budget["source"].as<std::string>());
          request.set_request_id(absl::StrCat("demo-budget-", program, "-fy", fiscal_year, "-", name));
          funds::v1::LoadProgramBudgetResponse response;
          if (!Loaded(funds_->LoadProgramBudget(As("finance_officer").get(), request, &response),
                      absl::StrCat("budget ", program, " FY", fiscal_year, " ", name))) {
            return 1;
          }
          ++loaded;
          total += request.amount_yen();
        }
      }
    }
    context_.out << "load-demo: funds: " << loaded << " budget lines, ¥" << total << " in all\n";
    return 0;
  }

  const LoadDemoOptions& options_;
  CommandContext& context_;
  const absl::Time now_ = absl::Now();
  const int fiscal_year_ = core::FiscalYear::Containing(now_).year();
  std::unique_ptr<calls::v1::CallsService::Stub> calls_;
  std::unique_ptr<funds::v1::FundsService::Stub> funds_;
  int already_ = 0;
};

}  // namespace

void AddLoadDemoCommand(CLI::App& app, CommandContext& context) {
  auto options = std::make_shared<LoadDemoOptions>();
  CLI::App* cmd = app.add_subcommand("load-demo", "Load the demo goals, areas, calls and budgets (idempotent)");
  cmd->add_option("--calls-addr", options->calls_addr, "calls service gRPC address")
      ->envname("TANE_CALLS_ADDR")
      ->capture_default_str();
  cmd->add_option("--funds-addr", options->funds_addr, "funds service gRPC address")
      ->envname("TANE_FUNDS_ADDR")
      ->capture_default_str();
  cmd->add_option("--internal-token", options->internal_token, "the services' TANE_INTERNAL_TOKEN")
      ->envname("TANE_INTERNAL_TOKEN");
  cmd->add_option("--catalog", options->catalog, "program catalog")->envname("TANE_CATALOG")->capture_default_str();
  cmd->add_option("--demo-file", options->demo_file, "goals, areas and calls")->capture_default_str();
  cmd->add_option("--budgets-file", options->budgets_file, "program budgets")->capture_default_str();
  cmd->add_option("--wait", options->wait_seconds, "seconds to wait for each service to be SERVING")
      ->capture_default_str();
  cmd->callback([options, &context] { context.exit_code = Loader(*options, context).Run(); });
}

}  // namespace tane::tanectl
