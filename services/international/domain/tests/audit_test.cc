// The exchange audit trail.

#include "tane/international/audit.h"

#include "gtest/gtest.h"
#include "test_support.h"

namespace tane::international {
namespace {

using namespace tane::international::testing;  // NOLINT

TEST(AuditTest, WhatIsAudited) {
  struct Case {
    common::v1::Actor actor;
    std::string action;
    bool audited;
  };
  const std::vector<Case> cases = {
      {Partner(), "ListJointCalls", true},       {Partner(), "RecordPartnerDecision", true},
      {Staff(), "RecordPartnerDecision", false}, {Staff(), "ImportPartnerData", true},
      {Staff(), "ExportJointCall", true},        {Staff(), "GetJointProposal", false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.actor.role() + " " + c.action);
    EXPECT_EQ(IsAuditedExchange(c.actor, c.action), c.audited);
  }
}

TEST(AuditTest, RecordsWhoWhatWhenAndTheOutcome) {
  Context ctx = Ctx(Partner("ANR"), Day(2));
  ctx.channel = v1::CHANNEL_BATCH;
  v1::ImportReport report;
  report.set_file_sha256("ab");
  report.set_rows(3);
  report.set_applied(2);
  report.set_rejected(1);
  const v1::AuditRecord r =
      NewAuditRecord("audit-1", ctx, "ImportPartnerData", "NSF", ParallelCall().joint_call_id(), "",
                     absl::FailedPreconditionError("1 bad row"), ImportAuditDetails(report));
  EXPECT_EQ(r.audit_id(), "audit-1");
  EXPECT_EQ(r.time().seconds(), absl::ToUnixSeconds(Day(2)));
  EXPECT_EQ(r.actor().subject(), "anr-exchange");
  EXPECT_EQ(r.action(), "ImportPartnerData");
  EXPECT_EQ(r.channel(), v1::CHANNEL_BATCH);
  EXPECT_EQ(r.partner_agency(), "ANR") << "a partner's own agency, not what it named";
  EXPECT_EQ(r.status_code(), "FAILED_PRECONDITION");
  EXPECT_EQ(r.message(), "1 bad row");
  EXPECT_EQ(r.details().at("file_sha256"), "ab");
  EXPECT_EQ(r.details().at("applied"), "2");
  EXPECT_EQ(r.details().at("committed"), "false");
  EXPECT_EQ(AuditedEvent(r).record().audit_id(), "audit-1");

  const v1::AuditRecord staff =
      NewAuditRecord("audit-2", Ctx(Staff()), "ExportJointCall", "ANR", "", "", absl::OkStatus());
  EXPECT_EQ(staff.partner_agency(), "ANR");
  EXPECT_EQ(staff.status_code(), "OK");
  EXPECT_EQ(staff.channel(), v1::CHANNEL_API);
}

}  // namespace
}  // namespace tane::international
