#include "tane/international/audit.h"

#include "absl/strings/str_cat.h"
#include "internal.h"

namespace tane::international {

bool IsAuditedExchange(const common::v1::Actor& actor, std::string_view action) {
  return IsPartner(actor) || action == "ImportPartnerData" || action == "ExportJointCall";
}

v1::AuditRecord NewAuditRecord(std::string audit_id, const Context& ctx, std::string_view action,
                               std::string_view partner_agency, std::string_view joint_call_id,
                               std::string_view joint_proposal_id, const absl::Status& outcome,
                               const std::map<std::string, std::string>& details) {
  v1::AuditRecord r;
  r.set_audit_id(std::move(audit_id));
  *r.mutable_time() = internal::ToProto(ctx.now);
  *r.mutable_actor() = ctx.actor;
  r.set_action(std::string(action));
  r.set_channel(ctx.channel);
  r.set_partner_agency(IsPartner(ctx.actor) ? ctx.actor.agency() : std::string(partner_agency));
  r.set_joint_call_id(std::string(joint_call_id));
  r.set_joint_proposal_id(std::string(joint_proposal_id));
  r.set_status_code(absl::StatusCodeToString(outcome.code()));
  r.set_message(std::string(outcome.message()));
  for (const auto& [k, v] : details) (*r.mutable_details())[k] = v;
  return r;
}

std::map<std::string, std::string> ImportAuditDetails(const v1::ImportReport& report) {
  return {
      {"file_sha256", report.file_sha256()},
      {"rows", absl::StrCat(report.rows())},
      {"applied", absl::StrCat(report.applied())},
      {"unchanged", absl::StrCat(report.unchanged())},
      {"rejected", absl::StrCat(report.rejected())},
      {"committed", report.committed() ? "true" : "false"},
  };
}

v1::ExchangeAudited AuditedEvent(const v1::AuditRecord& record) {
  v1::ExchangeAudited e;
  *e.mutable_record() = record;
  return e;
}

}  // namespace tane::international
