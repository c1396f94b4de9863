#pragma once
/// The exchange audit trail: who did what, when, through which channel, with
/// which outcome. The wiring writes one AuditRecord (and its ExchangeAudited
/// event) for every request of a partner caller and every import and export,
/// whether it succeeded or not.

#include <map>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "tane/international/context.h"
#include "tane/international/v1/events.pb.h"
#include "tane/international/v1/international.pb.h"

namespace tane::international {

/// Whether a request is an exchange to audit: anything a partner calls, and
/// ImportPartnerData / ExportJointCall whoever calls them.
bool IsAuditedExchange(const common::v1::Actor& actor, std::string_view action);

/// The record of `action` by ctx.actor at ctx.now with `outcome`.
/// `audit_id` is the caller's (a UUID). The partner agency is the actor's
/// for a partner, else `partner_agency`.
v1::AuditRecord NewAuditRecord(std::string audit_id, const Context& ctx, std::string_view action,
                               std::string_view partner_agency, std::string_view joint_call_id,
                               std::string_view joint_proposal_id, const absl::Status& outcome,
                               const std::map<std::string, std::string>& details = {});

/// Details worth keeping of an import: the file's digest and the counts.
std::map<std::string, std::string> ImportAuditDetails(const v1::ImportReport& report);

v1::ExchangeAudited AuditedEvent(const v1::AuditRecord& record);

}  // namespace tane::international
