#include "harness.h"

#include "absl/strings/str_cat.h"
#include "tane/bus/envelope.h"
#include "tane/runtime/identity.h"
#include "tane/runtime/status.h"
#include "tane/testing/fixtures.h"
#include "tane/testing/topics.h"

namespace tane::funds::testing {

FundsClient::FundsClient(const std::string& address, int channel_tag) {
  grpc::ChannelArguments args;
  // Back quickly after a server restart (the defaults back off up to 2 min).
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 50);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 50);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 250);
  if (channel_tag > 0) args.SetInt("tane.test.channel", channel_tag);  // distinct args: own subchannel
  channel_ = grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
  stub_ = v1::FundsService::NewStub(channel_);
}

bool FundsClient::Connect(absl::Duration timeout) const {
  return channel_->WaitForConnected(absl::ToChronoTime(absl::Now() + timeout));
}

void FundsClient::Prepare(grpc::ClientContext& context, const Caller& caller, absl::Duration deadline) {
  context.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
  runtime::AttachIdentity(context, runtime::CallerIdentity{caller.subject, caller.role, ""}, "");
}

absl::Status FundsClient::FromGrpc(const grpc::Status& status) { return runtime::FromGrpcStatus(status); }

absl::StatusOr<std::unique_ptr<InProcessFunds>> InProcessFunds::Start(
    service_testing::ServiceUnderTest::Options options) {
  auto terms = ProgramTerms::LoadFromFile(options.catalog_path);
  if (!terms.ok()) return terms.status();
  options.service = kServiceName;
  options.redis_pool_size = 64;
  options.log_level = "warn";
  options.consume_topics = {"tane.projects.events"};
  options.metrics_interval = absl::Milliseconds(100);
  auto service = service_testing::ServiceUnderTest::Create(std::move(options));
  if (!service.ok()) return service.status();
  std::unique_ptr<InProcessFunds> s(new InProcessFunds());
  s->service_ = *std::move(service);
  s->funds_ = &s->service_->Own(std::make_unique<Funds>(s->service_->kit(), *std::move(terms)));
  s->funds_->RegisterEventHandlers();
  s->service_->Serve(std::make_unique<FundsGrpc>(s->service_->kit(), *s->funds_));
  if (auto st = s->service_->Start(); !st.ok()) return st;
  return s;
}

absl::StatusOr<std::unique_ptr<FundsBinary>> FundsBinary::Start(Options options) {
  std::unique_ptr<FundsBinary> b(new FundsBinary());
  b->port_ = tane::testing::FreeLoopbackPort();
  tane::testing::ChildProcess::Options child;
  child.argv = {options.binary};
  child.env = {{"TANE_GRPC_ADDR", b->address()},
               {"TANE_METRICS_ADDR", "off"},
               {"TANE_REDIS_ADDR", options.redis_addr},
               {"TANE_REDIS_POOL_SIZE", "32"},
               {"TANE_KAFKA_BOOTSTRAP", options.kafka_bootstrap},
               {"TANE_SHARDS", std::to_string(options.shards)},
               {"TANE_LOG_LEVEL", "warn"}};
  child.log_path = options.log_path;
  auto process = tane::testing::ChildProcess::Start(std::move(child));
  if (!process.ok()) return process.status();
  b->process_ = std::move(*process);
  if (auto s = b->WaitUntilServing(); !s.ok()) return s;
  return b;
}

absl::Status FundsBinary::Restart() {
  if (auto s = process_->Restart(); !s.ok()) return s;
  return WaitUntilServing();
}

absl::Status FundsBinary::WaitUntilServing() {
  FundsClient client(address());
  v1::GetAccountRequest probe;
  probe.set_program_id("probe");
  probe.set_account_id("clearing");
  std::string how;
  absl::Status last;
  const bool up = tane::testing::WaitFor(
      [&] {
        if (process_->Exited(&how)) return true;
        last = client.Call(&v1::FundsService::Stub::GetAccount, probe, kAuditor, absl::Seconds(1)).status();
        return !absl::IsUnavailable(last) && !absl::IsDeadlineExceeded(last);
      },
      absl::Seconds(30), absl::Milliseconds(20));
  if (!process_->running()) {
    return absl::UnavailableError(absl::StrCat("tane-funds ", how, "; log:", process_->LogTail()));
  }
  if (!up) return absl::UnavailableError(absl::StrCat("tane-funds does not answer: ", last.ToString()));
  return absl::OkStatus();
}

absl::StatusOr<common::v1::EventEnvelope> PublishProjectEvent(const std::string& bootstrap,
                                                              const google::protobuf::Message& payload,
                                                              const std::string& project_id, absl::Time at) {
  auto envelope = bus::NewEvent(payload, "project", project_id, "program_officer:po-1", "", at);
  if (auto s = tane::testing::PublishEnvelopes(bootstrap, "tane.projects.events", {envelope}); !s.ok()) return s;
  return envelope;
}

Transfer FromProto(const v1::Transfer& p) {
  Transfer t;
  t.program_id = p.program_id();
  t.id = p.transfer_id();
  t.debit_account_id = p.debit_account_id();
  t.credit_account_id = p.credit_account_id();
  t.amount = core::Yen(p.amount_yen());
  t.pending = p.pending();
  t.code = p.code();
  t.memo = p.memo();
  t.batch_id = p.batch_id();
  t.state = p.state() == v1::TRANSFER_STATE_PENDING  ? TransferState::kPending
            : p.state() == v1::TRANSFER_STATE_VOIDED ? TransferState::kVoided
                                                     : TransferState::kPosted;
  t.created_at = absl::FromUnixSeconds(p.created_at().seconds()) + absl::Nanoseconds(p.created_at().nanos());
  t.debit_balance_after = core::Yen(p.debit_balance_after_yen());
  t.credit_balance_after = core::Yen(p.credit_balance_after_yen());
  return t;
}

}  // namespace tane::funds::testing
