#include "tane/international/views.h"

#include <algorithm>
#include <set>

namespace tane::international {
namespace {

void SortById(std::vector<v1::JointProposal>& proposals) {
  std::sort(proposals.begin(), proposals.end(), [](const auto& a, const auto& b) {
    return a.joint_proposal_id() < b.joint_proposal_id();
  });
}

v1::SharedPerson Share(const calls::v1::Person& person) {
  v1::SharedPerson out;
  out.set_name_ja(person.name_ja());
  out.set_name_en(person.name_en());
  out.set_institution_name(person.institution_name());
  out.set_institution_country_code(person.institution_country_code());
  out.set_position(person.position());
  return out;
}

int32_t BasisPoints(int64_t part, int64_t whole) {
  return whole == 0 ? 0 : static_cast<int32_t>(part * 10000 / whole);
}

}  // namespace

v1::PartnerJointProposal PartnerViewOf(const v1::JointProposal& p,
                                       const std::vector<v1::DataScope>& scopes) {
  const std::set<v1::DataScope> allowed(scopes.begin(), scopes.end());
  const auto shares = [&](v1::DataScope s) { return allowed.contains(s); };
  v1::PartnerJointProposal out;
  out.set_joint_call_id(p.joint_call_id());
  out.set_joint_proposal_id(p.joint_proposal_id());
  out.set_state(p.state());
  out.set_version(p.version());
  for (v1::DataScope s : allowed) out.add_shared_data(s);
  if (p.has_partner()) *out.mutable_partner() = p.partner();
  if (p.has_decision()) *out.mutable_decision() = p.decision();
  if (p.has_record_of_discussions())
    *out.mutable_record_of_discussions() = p.record_of_discussions();
  if (!p.has_jst()) return out;

  const calls::v1::Application& app = p.jst().submission().application();
  v1::SharedJstSide& jst = *out.mutable_jst();
  jst.set_application_id(app.application_id());
  if (shares(v1::DATA_SCOPE_JST_TITLES)) {
    jst.set_title_ja(app.title_ja());
    jst.set_title_en(app.title_en());
  }
  if (shares(v1::DATA_SCOPE_JST_ABSTRACT)) {
    jst.set_abstract(app.abstract());
    for (const auto& k : app.keywords()) jst.add_keywords(k);
  }
  if (shares(v1::DATA_SCOPE_JST_TEAM)) {
    *jst.mutable_principal_investigator() = Share(app.principal_investigator());
    for (const auto& co : app.co_investigators()) *jst.add_co_investigators() = Share(co.person());
  }
  if (shares(v1::DATA_SCOPE_JST_BUDGET)) {
    jst.set_research_period_months(app.research_period_months());
    for (const auto& y : app.yearly_costs()) {
      auto* shared = jst.add_yearly_costs();
      shared->set_fiscal_year(y.fiscal_year());
      shared->set_direct_yen(y.direct_yen());
    }
    jst.set_total_direct_yen(app.total_direct_yen());
  }
  if (p.jst().has_decision() && shares(v1::DATA_SCOPE_JST_DECISION)) {
    jst.set_decision(p.jst().decision().decision());
    *jst.mutable_decided_at() = p.jst().decision().decided_at();
  }
  return out;
}

std::vector<v1::JointDecisionEntry> JointDecisions(const std::vector<v1::JointProposal>& proposals,
                                                   v1::JointOutcome outcome) {
  std::vector<v1::JointProposal> decided;
  for (const auto& p : proposals) {
    if (!p.has_decision()) continue;
    if (outcome != v1::JOINT_OUTCOME_UNSPECIFIED && p.decision().outcome() != outcome) continue;
    decided.push_back(p);
  }
  SortById(decided);
  std::vector<v1::JointDecisionEntry> out;
  for (const auto& p : decided) {
    v1::JointDecisionEntry e;
    e.set_joint_proposal_id(p.joint_proposal_id());
    e.set_application_id(p.jst().submission().application().application_id());
    e.set_partner_reference_id(p.partner().proposal().partner_reference_id());
    *e.mutable_decision() = p.decision();
    out.push_back(std::move(e));
  }
  return out;
}

v1::MatchingReport BuildMatchingReport(std::string_view joint_call_id,
                                       const std::vector<v1::JointProposal>& proposals) {
  std::vector<v1::JointProposal> sorted = proposals;
  SortById(sorted);
  v1::MatchingReport r;
  r.set_joint_call_id(std::string(joint_call_id));
  for (const auto& p : sorted) {
    const bool jst = p.has_jst();
    const bool partner = p.has_partner();
    r.set_jst_proposals(r.jst_proposals() + (jst ? 1 : 0));
    r.set_partner_proposals(r.partner_proposals() + (partner ? 1 : 0));
    if (jst && partner) {
      r.set_matched(r.matched() + 1);
      continue;
    }
    if (!jst && !partner) continue;
    v1::UnmatchedProposal& u = *r.add_unmatched();
    u.set_joint_proposal_id(p.joint_proposal_id());
    if (jst) {
      r.set_jst_only(r.jst_only() + 1);
      const calls::v1::Application& app = p.jst().submission().application();
      u.set_side(v1::SIDE_JST);
      u.set_application_id(app.application_id());
      u.set_title(app.title_ja().empty() ? app.title_en() : app.title_ja());
      u.set_problem(p.match_problem().empty() ? "no partner proposal with this joint proposal id"
                                              : p.match_problem());
    } else {
      r.set_partner_only(r.partner_only() + 1);
      u.set_side(v1::SIDE_PARTNER);
      u.set_partner_reference_id(p.partner().proposal().partner_reference_id());
      u.set_title(p.partner().proposal().title_en());
      u.set_problem("no JST application with this joint proposal id");
    }
  }
  r.set_matching_rate_bp(BasisPoints(r.matched(), r.matched() + r.jst_only() + r.partner_only()));
  r.set_jst_matching_rate_bp(BasisPoints(r.matched(), r.jst_proposals()));
  return r;
}

std::vector<v1::JointProposal> FilterJointProposals(std::vector<v1::JointProposal> proposals,
                                                    const v1::ListJointProposalsRequest& request) {
  std::erase_if(proposals, [&](const v1::JointProposal& p) {
    if (p.joint_call_id() != request.joint_call_id()) return true;
    if (request.state() != v1::JOINT_PROPOSAL_STATE_UNSPECIFIED && p.state() != request.state()) {
      return true;
    }
    return request.conflicts_only() && p.conflicts_size() == 0;
  });
  SortById(proposals);
  return proposals;
}

}  // namespace tane::international
