#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "internal.h"
#include "tane/international/batch.h"
#include "tane/international/credentials.h"
#include "tane/international/csv.h"
#include "tane/international/joint_call.h"
#include "tane/international/money.h"
#include "tane/international/views.h"

namespace tane::international {

using namespace internal;  // NOLINT

namespace {

// "JOINT_OUTCOME_REJECTED_BY_JST" → "rejected_by_jst"; "" for the zero value.
std::string Word(const std::string& enum_name, std::string_view prefix) {
  if (enum_name.ends_with("_UNSPECIFIED")) return "";
  std::string_view rest = enum_name;
  if (rest.starts_with(prefix)) rest.remove_prefix(prefix.size());
  return absl::AsciiStrToLower(Sv(rest));
}

std::vector<std::string> CsvRow(const v1::PartnerJointProposal& view) {
  const v1::SharedJstSide& jst = view.jst();
  const v1::PartnerProposal& partner = view.partner().proposal();
  const bool budget_shared = std::find(view.shared_data().begin(), view.shared_data().end(),
                                       v1::DATA_SCOPE_JST_BUDGET) != view.shared_data().end();
  return {
      view.joint_proposal_id(),
      Word(v1::JointProposalState_Name(view.state()), "JOINT_PROPOSAL_STATE_"),
      jst.application_id(),
      jst.title_ja(),
      jst.title_en(),
      jst.principal_investigator().name_ja(),
      jst.principal_investigator().name_en(),
      jst.principal_investigator().institution_name(),
      view.has_jst() && budget_shared ? absl::StrCat(jst.total_direct_yen()) : "",
      Word(v1::SideDecision_Name(jst.decision()), "SIDE_DECISION_"),
      partner.partner_reference_id(),
      partner.title_en(),
      partner.principal_investigator().name(),
      partner.institution().name(),
      partner.institution().country_code(),
      partner.requested_amount().currency_code(),
      partner.has_requested_amount() ? FormatDecimalAmount(partner.requested_amount()) : "",
      Word(v1::SideDecision_Name(view.partner().decision().decision()), "SIDE_DECISION_"),
      Word(v1::JointOutcome_Name(view.decision().outcome()), "JOINT_OUTCOME_"),
      view.decision().held_for_record_of_discussions() ? "true" : "false",
      view.record_of_discussions().reference(),
      view.has_record_of_discussions()
          ? Rfc3339(FromProto(view.record_of_discussions().signed_at()))
          : "",
  };
}

}  // namespace

std::vector<std::string> ExportCsvHeader() {
  return {"joint_proposal_id",    "state",
          "application_id",       "jst_title_ja",
          "jst_title_en",         "jst_pi_name_ja",
          "jst_pi_name_en",       "jst_pi_institution",
          "jst_total_direct_yen", "jst_decision",
          "partner_reference_id", "partner_title_en",
          "partner_pi_name",      "partner_institution",
          "partner_country",      "requested_currency",
          "requested_amount",     "partner_decision",
          "joint_outcome",        "held_for_record_of_discussions",
          "rd_reference",         "rd_signed_at"};
}

absl::StatusOr<v1::ExportJointCallResponse> ExportJointCall(
    const v1::JointCall& call, const v1::PartnerAgency& agency,
    const std::vector<v1::JointProposal>& proposals, const v1::ExportJointCallRequest& request,
    const common::v1::Actor& actor) {
  if (auto s = AuthorizeJointCall(actor, call); !s.ok()) return s;
  core::Violations v;
  if (request.joint_call_id() != call.joint_call_id()) {
    v.Add("joint_call_id", absl::StrCat("is not joint call ", call.joint_call_id()));
  }
  if (request.format() != v1::BATCH_FORMAT_JSON_LINES && request.format() != v1::BATCH_FORMAT_CSV) {
    v.Add("format", "must be BATCH_FORMAT_JSON_LINES or BATCH_FORMAT_CSV");
  }
  if (!v.empty()) return v.ToStatus("invalid export request");

  const std::vector<v1::DataScope> scopes = EffectiveScopes(agency, call);
  ProposalBook ordered;
  for (const auto& p : proposals) {
    if (p.joint_call_id() == call.joint_call_id()) ordered.Put(p);
  }
  v1::ExportJointCallResponse out;
  out.set_format(request.format());
  std::string content;
  if (request.format() == v1::BATCH_FORMAT_CSV) {
    out.set_media_type("text/csv; charset=utf-8");
    content = CsvLine(ExportCsvHeader());
  } else {
    out.set_media_type("application/x-ndjson");
  }
  int rows = 0;
  for (const auto& p : ordered.All()) {
    const v1::PartnerJointProposal view = PartnerViewOf(p, scopes);
    if (request.format() == v1::BATCH_FORMAT_CSV) {
      content += CsvLine(CsvRow(view));
    } else {
      std::string json;
      const auto printed = google::protobuf::util::MessageToJsonString(view, &json);
      if (!printed.ok()) {
        return absl::InternalError(absl::StrCat("cannot print joint proposal ",
                                                p.joint_proposal_id(),
                                                " as JSON: ", std::string(printed.message())));
      }
      content += json;
      content += '\n';
    }
    ++rows;
  }
  out.set_rows(rows);
  out.set_content_sha256(Sha256Hex(content));
  out.set_content(std::move(content));
  return out;
}

}  // namespace tane::international
