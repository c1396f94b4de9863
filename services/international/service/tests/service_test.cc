// The international service end to end over gRPC, a real redis-server and
// librdkafka's mock cluster: consumed calls and reviews events, the partner
// exchange, batch files, SATREPS, credentials, isolation and the audit trail.

#include "tane/international/service.h"

#include <memory>
#include <string>

#include "absl/strings/ascii.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tane/bus/envelope.h"
#include "tane/core/errors.h"
#include "tane/core/time.h"
#include "tane/runtime/identity.h"
#include "tane/runtime/status.h"
#include "tane/service_testing/harness.h"
#include "tane/testing/fixtures.h"
#include "tane/testing/topics.h"
#include "test_support.h"

namespace tane::international {
namespace {

using ::google::protobuf::util::MessageDifferencer;
using ::testing::HasSubstr;
using namespace tane::international::testing;  // NOLINT
using Stub = v1::InternationalService::Stub;

const bool kSignalsBlocked = [] {
  runtime::BlockShutdownSignals();
  return true;
}();

runtime::CallerIdentity Operator() { return {"op-1", "operator", ""}; }
runtime::CallerIdentity Officer() { return {"po-1", "program_officer", ""}; }
runtime::CallerIdentity Auditor() { return {"audit-1", "auditor", ""}; }
runtime::CallerIdentity PartnerOf(const std::string& agency) {
  return {absl::AsciiStrToLower(agency) + "-exchange", "partner", agency};
}

class InternationalServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::vector<std::string> consumed = {"tane.calls.events", "tane.reviews.events"};
    auto infra = service_testing::TestInfrastructure::Start(
        {.topics = service_testing::TopicsOf("international", consumed)});
    ASSERT_TRUE(infra.ok()) << infra.status();
    infra_ = *std::move(infra);
    service_testing::ServiceUnderTest::Options options = infra_->OptionsFor("international");
    options.shards = 4;
    options.consume_topics = consumed;
    options.clock = &clock_;
    auto sut = service_testing::ServiceUnderTest::Create(std::move(options));
    ASSERT_TRUE(sut.ok()) << sut.status();
    sut_ = *std::move(sut);
    sut_->Serve(std::make_unique<InternationalService>(sut_->kit())).RegisterEventHandlers();
    ASSERT_TRUE(sut_->Start(absl::Seconds(20)).ok());
    stub_ = sut_->NewStub<v1::InternationalService>();
  }

  template <typename Request, typename Response>
  absl::StatusOr<Response> Call(grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&,
                                                             Response*),
                                const runtime::CallerIdentity& who, const Request& request) {
    grpc::ClientContext context;
    runtime::AttachIdentity(context, who, "");
    Response response;
    const grpc::Status s = ((*stub_).*method)(&context, request, &response);
    // Each call a moment later, so the audit trail's time order is the call order.
    clock_.Advance(absl::Milliseconds(1));
    if (!s.ok()) return runtime::FromGrpcStatus(s);
    return response;
  }

  void Publish(const std::string& topic, const google::protobuf::Message& payload,
               const std::string& aggregate_id, int times = 1) {
    const common::v1::EventEnvelope e =
        bus::NewEvent(payload, "x", aggregate_id, "system:test", "", clock_.Now());
    std::vector<common::v1::EventEnvelope> copies(times, e);
    ASSERT_TRUE(tane::testing::PublishEnvelopes(infra_->kafka_bootstrap(), topic, copies).ok());
  }

  void Register(const v1::PartnerAgency& agency) {
    v1::CreatePartnerAgencyRequest r;
    *r.mutable_partner_agency() = agency;
    r.set_idempotency_key("register-" + agency.agency_code());
    auto created = Call(&Stub::CreatePartnerAgency, Operator(), r);
    ASSERT_TRUE(created.ok()) << created.status();
  }

  void CreateCall(const v1::JointCall& call) {
    v1::CreateJointCallRequest r;
    *r.mutable_joint_call() = call;
    r.set_idempotency_key("call-" + call.call_id());
    auto created = Call(&Stub::CreateJointCall, Officer(), r);
    ASSERT_TRUE(created.ok()) << created.status();
    ASSERT_EQ(created->joint_call_id(), call.joint_call_id());
  }

  // ANR registered, `call` created and the JST side of JP-001 filed.
  void OpenCallWithJstSide(const v1::JointCall& call) {
    Register(Anr());
    CreateCall(call);
    Publish("tane.calls.events", Submitted(), kApplicationId);
    ASSERT_TRUE(JstSideFiled(call.joint_call_id(), "JP-001"));
  }

  // A CSV import of partner proposals into `call` (`rows` after the header).
  static v1::ImportPartnerDataRequest ProposalImport(const v1::JointCall& call,
                                                     const std::string& rows,
                                                     const std::string& key) {
    v1::ImportPartnerDataRequest r;
    r.set_joint_call_id(call.joint_call_id());
    r.set_format(v1::BATCH_FORMAT_CSV);
    r.set_kind(v1::IMPORT_KIND_PARTNER_PROPOSALS);
    r.set_content(
        "joint_proposal_id,partner_reference_id,title_en,title_local,pi_name,institution_name,"
        "institution_country,requested_currency,requested_amount\r\n" +
        rows);
    r.set_idempotency_key(key);
    return r;
  }

  // Waits until the consumer filed the JST side of `joint_id`.
  bool JstSideFiled(const std::string& joint_call_id, const std::string& joint_id) {
    return tane::testing::WaitFor(
        [&] {
          v1::GetJointProposalRequest r;
          r.set_joint_call_id(joint_call_id);
          r.set_joint_proposal_id(joint_id);
          auto p = Call(&Stub::GetJointProposal, Officer(), r);
          return p.ok() && p->has_jst();
        },
        absl::Seconds(60));
  }

  absl::StatusOr<v1::PartnerJointProposal> PartnerFiles(const v1::JointCall& call,
                                                        const v1::PartnerProposal& proposal) {
    v1::SubmitPartnerProposalRequest r;
    r.set_joint_call_id(call.joint_call_id());
    *r.mutable_partner_proposal() = proposal;
    r.set_idempotency_key("file-" + proposal.partner_reference_id());
    return Call(&Stub::SubmitPartnerProposal, PartnerOf(call.partner_agency()), r);
  }

  absl::StatusOr<v1::PartnerJointProposal> PartnerDecides(const v1::JointCall& call,
                                                          const std::string& joint_id,
                                                          const v1::PartnerDecision& decision,
                                                          const std::string& key) {
    v1::RecordPartnerDecisionRequest r;
    r.set_joint_call_id(call.joint_call_id());
    r.set_joint_proposal_id(joint_id);
    *r.mutable_partner_decision() = decision;
    r.set_idempotency_key(key);
    return Call(&Stub::RecordPartnerDecision, PartnerOf(call.partner_agency()), r);
  }

  core::ManualClock clock_{Day(0) + absl::Hours(10)};
  std::unique_ptr<service_testing::TestInfrastructure> infra_;
  std::unique_ptr<service_testing::ServiceUnderTest> sut_;
  std::unique_ptr<Stub> stub_;
};

TEST_F(InternationalServiceTest, ParallelCycleFromEventsToJointDecision) {
  Register(Anr());
  Register(Anr());  // the same idempotency key: the first answer, no error
  const v1::JointCall call = ParallelCall();
  CreateCall(call);
  // ApplicationSubmitted delivered twice (a relay retry): filed once.
  Publish("tane.calls.events", Submitted(), kApplicationId, 2);
  ASSERT_TRUE(JstSideFiled(call.joint_call_id(), "JP-001"));

  auto filed = PartnerFiles(call, PartnerProposalFor("jp-001"));
  ASSERT_TRUE(filed.ok()) << filed.status();
  EXPECT_EQ(filed->state(), v1::JOINT_PROPOSAL_STATE_AWAITING_DECISIONS);
  EXPECT_EQ(filed->jst().title_ja(), "熱輸送のスペクトル学的理解と機能的制御");
  auto decided = PartnerDecides(call, "JP-001", PartnerDecisionOf(true), "decision-1");
  ASSERT_TRUE(decided.ok()) << decided.status();
  Publish("tane.reviews.events", JstDecision(true, "reviews-dec-1"), "case-1", 2);

  tane::testing::TopicReader reader(infra_->kafka_bootstrap(), "tane.international.events");
  ASSERT_TRUE(reader.ReadUntil([&](const auto&) {
    return !reader.OfType("tane.international.v1.JointDecisionMade").empty();
  }));
  ASSERT_EQ(reader.OfType("tane.international.v1.JointProposalMatched").size(), 1u);
  ASSERT_EQ(reader.OfType("tane.international.v1.PartnerDecisionReceived").size(), 1u);
  const auto made = reader.OfType("tane.international.v1.JointDecisionMade");
  ASSERT_EQ(made.size(), 1u);
  v1::JointDecisionMade e;
  ASSERT_TRUE(bus::UnpackPayload(made[0], &e));
  EXPECT_EQ(e.outcome(), v1::JOINT_OUTCOME_ADOPTED);
  EXPECT_EQ(e.jst_decision_id(), "reviews-dec-1");
  EXPECT_TRUE(MessageDifferencer::Equals(e.jst_submission(), Submitted()));
  EXPECT_EQ(e.research_start_time().seconds(), absl::ToUnixSeconds(Day(116)));
  EXPECT_EQ(made[0].aggregate_id(), JointProposalAggregateId(call.joint_call_id(), "JP-001"));
  EXPECT_EQ(made[0].actor(), "system:international");

  // A contradicting partner decision: refused, flagged once, the same answer on retry.
  auto contradiction = PartnerDecides(call, "JP-001", PartnerDecisionOf(false), "decision-2");
  ASSERT_EQ(contradiction.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(contradiction.status().message(), HasSubstr("already adopted joint proposal JP-001"));
  auto retried = PartnerDecides(call, "JP-001", PartnerDecisionOf(false), "decision-2");
  EXPECT_EQ(retried.status(), contradiction.status());
  ASSERT_TRUE(reader.ReadUntil([&](const auto&) {
    return !reader.OfType("tane.international.v1.DecisionConflictFlagged").empty();
  }));
  v1::GetJointProposalRequest get;
  get.set_joint_call_id(call.joint_call_id());
  get.set_joint_proposal_id("JP-001");
  auto staff = Call(&Stub::GetJointProposal, Officer(), get);
  ASSERT_TRUE(staff.ok());
  EXPECT_EQ(staff->conflicts_size(), 1);
  EXPECT_EQ(staff->decision().outcome(), v1::JOINT_OUTCOME_ADOPTED);
  EXPECT_EQ(staff->version(), 5);  // JST filed, matched, partner decided, JST decided, flagged

  v1::ListJointDecisionsRequest decisions;
  decisions.set_joint_call_id(call.joint_call_id());
  auto list = Call(&Stub::ListJointDecisions, PartnerOf("ANR"), decisions);
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->decisions_size(), 1);
  EXPECT_EQ(list->decisions(0).decision().outcome(), v1::JOINT_OUTCOME_ADOPTED);

  // Every partner exchange is in the audit trail, newest first, and on the topic.
  v1::ListAuditRecordsRequest audit;
  audit.set_joint_call_id(call.joint_call_id());
  auto trail = Call(&Stub::ListAuditRecords, Auditor(), audit);
  ASSERT_TRUE(trail.ok()) << trail.status();
  std::vector<std::string> actions;
  for (const auto& r : trail->audit_records())
    actions.push_back(r.action() + " " + r.status_code());
  EXPECT_THAT(actions, ::testing::ElementsAre(
                           "ListJointDecisions OK", "RecordPartnerDecision FAILED_PRECONDITION",
                           "RecordPartnerDecision FAILED_PRECONDITION", "RecordPartnerDecision OK",
                           "SubmitPartnerProposal OK"));
  EXPECT_EQ(trail->audit_records(0).actor().agency(), "ANR");
  ASSERT_TRUE(reader.ReadUntil([&](const auto&) {
    return reader.OfType("tane.international.v1.ExchangeAudited").size() >= 5;
  }));
}

TEST_F(InternationalServiceTest, JstDecisionBeforeItsApplicationIsParkedThenApplied) {
  Register(Anr());
  const v1::JointCall call = ParallelCall();
  CreateCall(call);
  ASSERT_TRUE(PartnerFiles(call, PartnerProposalFor("JP-001")).ok());
  ASSERT_TRUE(PartnerDecides(call, "JP-001", PartnerDecisionOf(true), "decision-1").ok());

  // International lags on tane.calls.events: reviews' decision comes first
  // (twice, a redelivery). It must not end in the dead-letter topic.
  Publish("tane.reviews.events", JstDecision(true, "reviews-dec-1"), "case-1", 2);
  const bus::Consumer* consumer = sut_->kit().consumer();
  ASSERT_NE(consumer, nullptr);
  ASSERT_TRUE(tane::testing::WaitFor(
      [&] { return consumer->applied() + consumer->dead_lettered() >= 2; }, absl::Seconds(60)));
  EXPECT_EQ(consumer->dead_lettered(), 0);
  v1::GetJointProposalRequest get;
  get.set_joint_call_id(call.joint_call_id());
  get.set_joint_proposal_id("JP-001");
  auto waiting = Call(&Stub::GetJointProposal, Officer(), get);
  ASSERT_TRUE(waiting.ok()) << waiting.status();
  EXPECT_EQ(waiting->state(), v1::JOINT_PROPOSAL_STATE_AWAITING_JST_PROPOSAL);

  // calls' ApplicationSubmitted catches up (delivered twice as well).
  Publish("tane.calls.events", Submitted(), kApplicationId, 2);
  tane::testing::TopicReader reader(infra_->kafka_bootstrap(), "tane.international.events");
  ASSERT_TRUE(reader.ReadUntil([&](const auto&) {
    return !reader.OfType("tane.international.v1.JointDecisionMade").empty();
  }));
  const auto made = reader.OfType("tane.international.v1.JointDecisionMade");
  ASSERT_EQ(made.size(), 1u);
  v1::JointDecisionMade e;
  ASSERT_TRUE(bus::UnpackPayload(made[0], &e));
  EXPECT_EQ(e.outcome(), v1::JOINT_OUTCOME_ADOPTED);
  EXPECT_EQ(e.jst_decision_id(), "reviews-dec-1");
  EXPECT_EQ(e.research_start_time().seconds(), absl::ToUnixSeconds(Day(116)));

  // A late redelivery of the decision changes nothing: once all five
  // deliveries are handled, the proposal is as the first ones left it.
  Publish("tane.reviews.events", JstDecision(true, "reviews-dec-1"), "case-1");
  ASSERT_TRUE(tane::testing::WaitFor([&] { return consumer->applied() >= 5; }, absl::Seconds(60)));
  auto decided = Call(&Stub::GetJointProposal, Officer(), get);
  ASSERT_TRUE(decided.ok()) << decided.status();
  EXPECT_EQ(decided->state(), v1::JOINT_PROPOSAL_STATE_DECIDED);
  EXPECT_EQ(decided->jst().decision().decision_id(), "reviews-dec-1");
  EXPECT_EQ(decided->version(), 4);  // partner filed, partner decided, JST filed, JST decided
  EXPECT_EQ(consumer->dead_lettered(), 0);
}

TEST_F(InternationalServiceTest, RetriedImportAppliesEachRowOnce) {
  const v1::JointCall call = ParallelCall();
  ASSERT_NO_FATAL_FAILURE(OpenCallWithJstSide(call));

  // The file revises JP-001 in a later row.
  v1::ImportPartnerDataRequest r = ProposalImport(
      call,
      "JP-001,ANR-1,Heat,,Marie Curie,CNRS,FR,EUR,250000\r\n"
      "JP-002,ANR-2,Light,,Pierre Curie,ENS,FR,EUR,150000\r\n"
      "JP-001,ANR-1,Heat (revised),,Marie Curie,CNRS,FR,EUR,260000\r\n",
      "upload-1");
  auto first = Call(&Stub::ImportPartnerData, PartnerOf("ANR"), r);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(first->committed());
  EXPECT_EQ(first->applied(), 3);

  // The partner did not get the answer and sends the batch again under a new
  // key: no row is applied a second time.
  r.set_idempotency_key("upload-1-retry");
  auto retried = Call(&Stub::ImportPartnerData, PartnerOf("ANR"), r);
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_TRUE(retried->committed());
  EXPECT_EQ(retried->applied(), 0) << retried->DebugString();
  EXPECT_EQ(retried->unchanged(), 3);
  v1::GetJointProposalRequest get;
  get.set_joint_call_id(call.joint_call_id());
  get.set_joint_proposal_id("JP-001");
  auto jp = Call(&Stub::GetJointProposal, Officer(), get);
  ASSERT_TRUE(jp.ok()) << jp.status();
  EXPECT_EQ(jp->version(), 2);  // JST filed, then the file's one write
  EXPECT_EQ(jp->partner().proposal().title_en(), "Heat (revised)");
  get.set_joint_proposal_id("JP-002");
  auto other = Call(&Stub::GetJointProposal, Officer(), get);
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_EQ(other->version(), 1);
}

TEST_F(InternationalServiceTest, WithdrawnApplicationLeavesThePairingUntilResubmitted) {
  const v1::JointCall call = ParallelCall();
  ASSERT_NO_FATAL_FAILURE(OpenCallWithJstSide(call));
  ASSERT_TRUE(PartnerFiles(call, PartnerProposalFor("JP-001")).ok());

  // calls withdraws it (delivered twice), and an application of a call that
  // is not joint is withdrawn too: neither may end in the dead-letter topic.
  Publish("tane.calls.events", Withdrawn(Day(0) + absl::Hours(11)), kApplicationId, 2);
  calls::v1::ApplicationWithdrawn elsewhere = Withdrawn(Day(0));
  elsewhere.set_application_id("c3d4e5f6-0000-4000-8000-000000000001");
  elsewhere.set_call_id(kOtherCallId);
  Publish("tane.calls.events", elsewhere, elsewhere.application_id());
  const bus::Consumer* consumer = sut_->kit().consumer();
  ASSERT_NE(consumer, nullptr);
  ASSERT_TRUE(tane::testing::WaitFor(
      [&] { return consumer->applied() + consumer->dead_lettered() >= 4; }, absl::Seconds(60)));
  EXPECT_EQ(consumer->dead_lettered(), 0);
  v1::GetJointProposalRequest get;
  get.set_joint_call_id(call.joint_call_id());
  get.set_joint_proposal_id("JP-001");
  auto withdrawn = Call(&Stub::GetJointProposal, Officer(), get);
  ASSERT_TRUE(withdrawn.ok()) << withdrawn.status();
  EXPECT_EQ(withdrawn->state(), v1::JOINT_PROPOSAL_STATE_AWAITING_JST_PROPOSAL);
  EXPECT_FALSE(withdrawn->has_jst());
  EXPECT_EQ(withdrawn->withdrawn_jst().submission().application().application_id(),
            kApplicationId);
  EXPECT_EQ(withdrawn->version(), 3);  // JST filed, matched, withdrawn (once)
  v1::GetMatchingReportRequest report_request;
  report_request.set_joint_call_id(call.joint_call_id());
  auto report = Call(&Stub::GetMatchingReport, Officer(), report_request);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->matched(), 0);
  EXPECT_EQ(report->partner_only(), 1);
  v1::ListPartnerJointProposalsRequest partner_list;
  partner_list.set_joint_call_id(call.joint_call_id());
  auto seen = Call(&Stub::ListPartnerJointProposals, PartnerOf("ANR"), partner_list);
  ASSERT_TRUE(seen.ok()) << seen.status();
  ASSERT_EQ(seen->joint_proposals_size(), 1);
  EXPECT_FALSE(seen->joint_proposals(0).has_jst());

  // Submitted again: filed and matched anew.
  calls::v1::ApplicationSubmitted resubmitted = Submitted();
  *resubmitted.mutable_application()->mutable_submitted_at() = Ts(Day(1));
  Publish("tane.calls.events", resubmitted, kApplicationId);
  ASSERT_TRUE(JstSideFiled(call.joint_call_id(), "JP-001"));
  auto restored = Call(&Stub::GetJointProposal, Officer(), get);
  ASSERT_TRUE(restored.ok()) << restored.status();
  EXPECT_EQ(restored->state(), v1::JOINT_PROPOSAL_STATE_AWAITING_DECISIONS);
  EXPECT_FALSE(restored->has_withdrawn_jst());
  EXPECT_EQ(restored->version(), 4);
  tane::testing::TopicReader reader(infra_->kafka_bootstrap(), "tane.international.events");
  ASSERT_TRUE(reader.ReadUntil([&](const auto&) {
    return reader.OfType("tane.international.v1.JointProposalMatched").size() >= 2;
  }));
  EXPECT_EQ(reader.OfType("tane.international.v1.JointProposalMatched").size(), 2u);
}

TEST_F(InternationalServiceTest, PartnersSeeOnlyTheirOwnCallsAndAgency) {
  Register(Anr());
  Register(Nsf());
  const v1::JointCall anr = ParallelCall();
  CreateCall(anr);
  v1::JointCall nsf = ParallelCall();
  nsf.set_call_id(kOtherCallId);
  nsf.set_joint_call_id(JointCallIdFor(kOtherCallId));
  nsf.set_partner_agency("NSF");
  nsf.mutable_partner_budget_min()->set_currency_code("USD");
  nsf.mutable_partner_budget_max()->set_currency_code("USD");
  CreateCall(nsf);

  auto mine = Call(&Stub::ListJointCalls, PartnerOf("NSF"), v1::ListJointCallsRequest());
  ASSERT_TRUE(mine.ok()) << mine.status();
  ASSERT_EQ(mine->joint_calls_size(), 1);
  EXPECT_EQ(mine->joint_calls(0).partner_agency(), "NSF");
  auto all = Call(&Stub::ListJointCalls, Officer(), v1::ListJointCallsRequest());
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->joint_calls_size(), 2);

  v1::GetJointCallRequest get;
  get.set_joint_call_id(anr.joint_call_id());
  auto other = Call(&Stub::GetJointCall, PartnerOf("NSF"), get);
  EXPECT_EQ(other.status().code(), absl::StatusCode::kNotFound);
  get.set_joint_call_id("00000000-0000-4000-8000-000000000000");
  auto unknown = Call(&Stub::GetJointCall, PartnerOf("NSF"), get);
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound);

  v1::SubmitPartnerProposalRequest r;
  r.set_joint_call_id(anr.joint_call_id());
  *r.mutable_partner_proposal() = PartnerProposalFor();
  EXPECT_EQ(Call(&Stub::SubmitPartnerProposal, PartnerOf("NSF"), r).status().code(),
            absl::StatusCode::kNotFound);
  v1::ListPartnerJointProposalsRequest view;
  view.set_joint_call_id(anr.joint_call_id());
  EXPECT_EQ(Call(&Stub::ListPartnerJointProposals, PartnerOf("NSF"), view).status().code(),
            absl::StatusCode::kNotFound);
  v1::GetPartnerAgencyRequest agency;
  agency.set_agency_code("ANR");
  EXPECT_EQ(Call(&Stub::GetPartnerAgency, PartnerOf("NSF"), agency).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_TRUE(Call(&Stub::GetPartnerAgency, PartnerOf("ANR"), agency).ok());
}

TEST_F(InternationalServiceTest, BatchImportAllOrNothingThenIdempotent) {
  const v1::JointCall call = ParallelCall();
  ASSERT_NO_FATAL_FAILURE(OpenCallWithJstSide(call));

  v1::ImportPartnerDataRequest r = ProposalImport(
      call,
      "JP-001,ANR-1,Heat,Transport thermique,Marie Curie,CNRS,FR,EUR,250000.50\r\n"
      "JP-002,ANR-2,Light,,Pierre Curie,ENS,FR,EUR,1.234\r\n"
      "JP-003,ANR-3,Sound,,Irène Joliot-Curie,ESPCI,FR,EUR,150000\r\n",
      "import-1");
  auto refused = Call(&Stub::ImportPartnerData, PartnerOf("ANR"), r);
  ASSERT_TRUE(refused.ok()) << refused.status();
  EXPECT_FALSE(refused->committed());
  EXPECT_EQ(refused->rejected(), 1);
  v1::GetMatchingReportRequest matching;
  matching.set_joint_call_id(call.joint_call_id());
  auto before = Call(&Stub::GetMatchingReport, Officer(), matching);
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(before->partner_proposals(), 0) << "nothing of a file with a bad row";

  r.set_apply_good_rows(true);
  r.set_idempotency_key("import-2");
  auto applied = Call(&Stub::ImportPartnerData, PartnerOf("ANR"), r);
  ASSERT_TRUE(applied.ok()) << applied.status();
  EXPECT_TRUE(applied->committed());
  EXPECT_EQ(applied->applied(), 2);
  ASSERT_EQ(applied->results(1).line(), 3);
  EXPECT_EQ(applied->results(1).field(), "requested_amount");

  auto after = Call(&Stub::GetMatchingReport, Officer(), matching);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->matched(), 1);
  EXPECT_EQ(after->partner_only(), 1);
  EXPECT_EQ(after->matching_rate_bp(), 5000);

  // The same file again (a new key): every good row unchanged, nothing written.
  r.set_idempotency_key("import-3");
  auto again = Call(&Stub::ImportPartnerData, PartnerOf("ANR"), r);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->unchanged(), 2);
  EXPECT_EQ(again->applied(), 0);
  v1::GetJointProposalRequest get;
  get.set_joint_call_id(call.joint_call_id());
  get.set_joint_proposal_id("JP-001");
  auto jp = Call(&Stub::GetJointProposal, Officer(), get);
  ASSERT_TRUE(jp.ok());
  EXPECT_EQ(jp->version(), 2);
  EXPECT_EQ(jp->partner().proposal().requested_amount().units(), 25000050);
  EXPECT_EQ(jp->partner().proposal().channel(), v1::CHANNEL_BATCH);

  // The partner's own view, one page at a time.
  v1::ListPartnerJointProposalsRequest view;
  view.set_joint_call_id(call.joint_call_id());
  view.set_page_size(1);
  auto first = Call(&Stub::ListPartnerJointProposals, PartnerOf("ANR"), view);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->joint_proposals_size(), 1);
  EXPECT_EQ(first->joint_proposals(0).joint_proposal_id(), "JP-001");
  EXPECT_EQ(first->joint_proposals(0).jst().title_ja(), "熱輸送のスペクトル学的理解と機能的制御");
  ASSERT_FALSE(first->next_page_token().empty());
  view.set_page_token(first->next_page_token());
  auto second = Call(&Stub::ListPartnerJointProposals, PartnerOf("ANR"), view);
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->joint_proposals_size(), 1);
  EXPECT_EQ(second->joint_proposals(0).joint_proposal_id(), "JP-003");
  EXPECT_FALSE(second->joint_proposals(0).has_jst());
  EXPECT_TRUE(second->next_page_token().empty());

  v1::ExportJointCallRequest x;
  x.set_joint_call_id(call.joint_call_id());
  x.set_format(v1::BATCH_FORMAT_CSV);
  auto exported = Call(&Stub::ExportJointCall, PartnerOf("ANR"), x);
  ASSERT_TRUE(exported.ok()) << exported.status();
  EXPECT_EQ(exported->rows(), 2);
  EXPECT_THAT(exported->content(), HasSubstr("熱輸送のスペクトル学的理解と機能的制御"));
  EXPECT_THAT(exported->content(), HasSubstr("Irène Joliot-Curie"));

  v1::ListAuditRecordsRequest audit;
  audit.set_partner_agency("ANR");
  auto trail = Call(&Stub::ListAuditRecords, Auditor(), audit);
  ASSERT_TRUE(trail.ok());
  std::vector<std::string> actions;
  for (const auto& record : trail->audit_records()) actions.push_back(record.action());
  EXPECT_THAT(actions, ::testing::ElementsAre("ExportJointCall", "ListPartnerJointProposals",
                                              "ListPartnerJointProposals", "ImportPartnerData",
                                              "ImportPartnerData", "ImportPartnerData"));
  const v1::AuditRecord& last_import = trail->audit_records(3);
  EXPECT_EQ(last_import.details().at("unchanged"), "2");
  EXPECT_EQ(last_import.details().at("file_sha256"), refused->file_sha256());
  EXPECT_EQ(last_import.channel(), v1::CHANNEL_API);
}

TEST_F(InternationalServiceTest, SatrepsAdoptionWaitsForTheRecordOfDiscussions) {
  Register(Jica());
  const v1::JointCall call = SatrepsCall();
  CreateCall(call);
  Publish("tane.calls.events", Submitted("SAT-01", kOtherCallId, kApplicationId, "JICA"),
          kApplicationId);
  ASSERT_TRUE(JstSideFiled(call.joint_call_id(), "SAT-01"));
  ASSERT_TRUE(PartnerFiles(call, SatrepsProposalFor()).ok());
  ASSERT_TRUE(PartnerDecides(call, "SAT-01", PartnerDecisionOf(true, "JICA-D-1"), "d1").ok());
  reviews::v1::ProposalDecided jst = JstDecision(true);
  jst.set_call_id(kOtherCallId);
  jst.set_joint_proposal_id("SAT-01");
  Publish("tane.reviews.events", jst, "case-1");
  v1::GetJointProposalRequest get;
  get.set_joint_call_id(call.joint_call_id());
  get.set_joint_proposal_id("SAT-01");
  ASSERT_TRUE(tane::testing::WaitFor(
      [&] {
        auto p = Call(&Stub::GetJointProposal, Officer(), get);
        return p.ok() && p->state() == v1::JOINT_PROPOSAL_STATE_AWAITING_RECORD_OF_DISCUSSIONS;
      },
      absl::Seconds(60)));

  v1::RecordRecordOfDiscussionsRequest rd;
  rd.set_joint_call_id(call.joint_call_id());
  rd.set_joint_proposal_id("SAT-01");
  rd.mutable_record_of_discussions()->set_reference("RD-ID-2017-03");
  rd.mutable_record_of_discussions()->mutable_signed_at()->set_seconds(absl::ToUnixSeconds(Day(0)));
  rd.set_idempotency_key("rd-1");
  auto recorded = Call(&Stub::RecordRecordOfDiscussions, PartnerOf("JICA"), rd);
  ASSERT_TRUE(recorded.ok()) << recorded.status();
  EXPECT_EQ(recorded->state(), v1::JOINT_PROPOSAL_STATE_DECIDED);

  tane::testing::TopicReader reader(infra_->kafka_bootstrap(), "tane.international.events");
  ASSERT_TRUE(reader.ReadUntil([&](const auto&) {
    return !reader.OfType("tane.international.v1.JointDecisionMade").empty();
  }));
  const auto signed_events = reader.OfType("tane.international.v1.SatrepsRdSigned");
  const auto made = reader.OfType("tane.international.v1.JointDecisionMade");
  ASSERT_EQ(signed_events.size(), 1u);
  ASSERT_EQ(made.size(), 1u);
  EXPECT_EQ(signed_events[0].aggregate_version(), made[0].aggregate_version()) << "one commit";
  v1::JointDecisionMade e;
  ASSERT_TRUE(bus::UnpackPayload(made[0], &e));
  EXPECT_EQ(e.record_of_discussions().reference(), "RD-ID-2017-03");
}

TEST_F(InternationalServiceTest, CredentialsIssueAuthenticateAndRevoke) {
  Register(Anr());
  v1::IssuePartnerCredentialRequest issue;
  issue.set_agency_code("ANR");
  issue.set_kind(v1::CREDENTIAL_KIND_API_KEY);
  issue.set_label("exchange server");
  issue.set_idempotency_key("key-1");
  auto issued = Call(&Stub::IssuePartnerCredential, Operator(), issue);
  ASSERT_TRUE(issued.ok()) << issued.status();
  ASSERT_THAT(issued->api_key(), ::testing::StartsWith("tpk_"));
  // The lost-answer retry: the same credential, never the key again.
  auto retry = Call(&Stub::IssuePartnerCredential, Operator(), issue);
  ASSERT_TRUE(retry.ok());
  EXPECT_EQ(retry->credential().credential_id(), issued->credential().credential_id());
  EXPECT_TRUE(retry->api_key().empty());

  v1::UpdatePartnerAgencyRequest update;
  update.mutable_partner_agency()->set_agency_code("ANR");
  update.mutable_partner_agency()->mutable_contact()->set_email("japon@anr.example");
  update.mutable_update_mask()->add_paths("contact");
  update.set_idempotency_key("contact-1");
  auto updated = Call(&Stub::UpdatePartnerAgency, Operator(), update);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->contact().email(), "japon@anr.example");
  EXPECT_EQ(updated->credentials_size(), 1);
  EXPECT_EQ(updated->version(), 3);  // created, key issued, contact changed
  auto agencies = Call(&Stub::ListPartnerAgencies, Auditor(), v1::ListPartnerAgenciesRequest());
  ASSERT_TRUE(agencies.ok()) << agencies.status();
  ASSERT_EQ(agencies->partner_agencies_size(), 1);
  EXPECT_EQ(agencies->partner_agencies(0).contact().email(), "japon@anr.example");

  v1::AuthenticatePartnerRequest auth;
  auth.set_api_key(issued->api_key());
  auto who = Call(&Stub::AuthenticatePartner, Operator(), auth);
  ASSERT_TRUE(who.ok()) << who.status();
  EXPECT_EQ(who->agency_code(), "ANR");
  // Nothing in Redis holds the key itself.
  auto stored = sut_->kit().store().Load("partner_agency", "ANR");
  ASSERT_TRUE(stored.ok());
  const std::string secret = issued->api_key().substr(issued->api_key().size() - 43);
  EXPECT_EQ(stored->data.find(secret), std::string::npos);

  v1::RevokePartnerCredentialRequest revoke;
  revoke.set_agency_code("ANR");
  revoke.set_credential_id(issued->credential().credential_id());
  revoke.set_idempotency_key("revoke-1");
  ASSERT_TRUE(Call(&Stub::RevokePartnerCredential, Operator(), revoke).ok());
  EXPECT_EQ(Call(&Stub::AuthenticatePartner, Operator(), auth).status().code(),
            absl::StatusCode::kUnauthenticated);
}

TEST_F(InternationalServiceTest, InvalidInputCarriesEveryFieldViolation) {
  v1::CreatePartnerAgencyRequest r;
  r.mutable_partner_agency()->set_agency_code("nsf usa");
  r.mutable_partner_agency()->set_currency_code("DOLLAR");
  auto bad = Call(&Stub::CreatePartnerAgency, Operator(), r);
  ASSERT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  std::vector<std::string> fields;
  for (const auto& v : core::ViolationsOf(bad.status())) fields.push_back(v.field);
  EXPECT_THAT(fields, ::testing::ElementsAre("partner_agency.agency_code", "partner_agency.name",
                                             "partner_agency.country_code",
                                             "partner_agency.currency_code"));
  v1::ListJointCallsRequest list;
  list.set_page_token("not-a-token");
  EXPECT_EQ(Call(&Stub::ListJointCalls, Officer(), list).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tane::international
