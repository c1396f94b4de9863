#include "tane/international/proposal.h"

#include <algorithm>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "internal.h"
#include "tane/core/ids.h"
#include "tane/international/credentials.h"
#include "tane/international/joint_call.h"
#include "tane/international/money.h"

namespace tane::international {

using core::Violations;
using namespace internal;  // NOLINT

namespace {

constexpr size_t kMaxJointProposalId = 64;

v1::SideDecision FromAdopted(bool adopted) {
  return adopted ? v1::SIDE_DECISION_ADOPTED : v1::SIDE_DECISION_REJECTED;
}

const char* Word(v1::SideDecision d) {
  switch (d) {
    case v1::SIDE_DECISION_ADOPTED:
      return "adopted";
    case v1::SIDE_DECISION_REJECTED:
      return "rejected";
    default:
      return "undecided";
  }
}

std::string SideLabel(const v1::JointCall& call, v1::Side side) {
  return side == v1::SIDE_JST ? "JST" : absl::StrCat("the partner (", call.partner_agency(), ")");
}

v1::SideDecision Recorded(const v1::JointProposal& p, v1::Side side) {
  if (side == v1::SIDE_JST) {
    return p.jst().has_decision() ? p.jst().decision().decision() : v1::SIDE_DECISION_UNSPECIFIED;
  }
  return p.partner().has_decision() ? p.partner().decision().decision()
                                    : v1::SIDE_DECISION_UNSPECIFIED;
}

v1::Side Other(v1::Side side) { return side == v1::SIDE_JST ? v1::SIDE_PARTNER : v1::SIDE_JST; }

bool LeadAgency(const v1::JointCall& call) {
  return call.review_model() == v1::JOINT_REVIEW_MODEL_LEAD_AGENCY;
}

std::string DeterministicBytes(const google::protobuf::Message& m) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    m.SerializeToCodedStream(&coded);
  }
  return out;
}

// The proposal a command starts from: `current`, or a new one under the key.
v1::JointProposal Base(const v1::JointProposal* current, std::string_view joint_call_id,
                       std::string_view joint_proposal_id, std::string_view call_id,
                       std::string_view partner_agency) {
  if (current != nullptr) return *current;
  v1::JointProposal p;
  p.set_joint_call_id(std::string(joint_call_id));
  p.set_joint_proposal_id(std::string(joint_proposal_id));
  p.set_call_id(std::string(call_id));
  p.set_partner_agency(std::string(partner_agency));
  return p;
}

Transition Changed(v1::JointProposal p, std::vector<Event> events, const Context& ctx) {
  p.set_version(p.version() + 1);
  if (p.version() == 1) *p.mutable_create_time() = ToProto(ctx.now);
  *p.mutable_update_time() = ToProto(ctx.now);
  p.set_state(StateOf(p));
  return Transition{std::move(p), std::move(events), true, absl::OkStatus()};
}

Transition Unchanged(const v1::JointProposal& p) {
  return Transition{p, {}, false, absl::OkStatus()};
}

v1::DecisionConflictFlagged FlagEvent(const v1::JointProposal& p, const v1::DecisionConflict& c) {
  v1::DecisionConflictFlagged e;
  e.set_joint_call_id(p.joint_call_id());
  e.set_joint_proposal_id(p.joint_proposal_id());
  e.set_partner_agency(p.partner_agency());
  *e.mutable_conflict() = c;
  return e;
}

v1::DecisionConflict Conflict(v1::Side side, v1::SideDecision recorded, v1::SideDecision refused,
                              std::string message, const Context& ctx) {
  v1::DecisionConflict c;
  c.set_side(side);
  c.set_recorded(recorded);
  c.set_refused(refused);
  c.set_channel(ctx.channel);
  c.set_message(std::move(message));
  *c.mutable_flagged_at() = ToProto(ctx.now);
  c.set_actor(ActorLabel(ctx.actor));
  return c;
}

// Refuses a contradicting decision and flags it, once per (side, recorded, refused).
Transition Contradiction(const v1::JointProposal& current, v1::Side side, v1::SideDecision recorded,
                         v1::SideDecision refused, const std::string& message, const Context& ctx) {
  const absl::Status refusal = absl::FailedPreconditionError(message);
  for (const auto& c : current.conflicts()) {
    if (c.side() == side && c.recorded() == recorded && c.refused() == refused) {
      return Transition{current, {}, false, refusal};
    }
  }
  v1::JointProposal p = current;
  const v1::DecisionConflict& c = *p.add_conflicts() =
      Conflict(side, recorded, refused, message, ctx);
  std::vector<Event> events{FlagEvent(p, c)};
  Transition t = Changed(std::move(p), std::move(events), ctx);
  t.refusal = refusal;
  return t;
}

// A follower's decision under the lead-agency model must be the lead's once
// that is known. Returns the refusal transition, or nothing.
std::optional<Transition> CheckFollower(const v1::JointCall& call, const v1::JointProposal& p,
                                        v1::Side side, v1::SideDecision incoming,
                                        const Context& ctx) {
  if (!LeadAgency(call) || call.lead_side() == side) return std::nullopt;
  const v1::SideDecision lead = Recorded(p, call.lead_side());
  if (lead == v1::SIDE_DECISION_UNSPECIFIED || lead == incoming) return std::nullopt;
  return Contradiction(
      p, side, lead, incoming,
      absl::StrCat(SideLabel(call, call.lead_side()), " is the lead agency of joint call ",
                   call.joint_call_id(), " and ", Word(lead), " joint proposal ",
                   p.joint_proposal_id(), "; ", SideLabel(call, side), " follows it, so \"",
                   Word(incoming), "\" is refused and flagged for the program officer"),
      ctx);
}

// Both sides are now filed: stamps matched_at and says so.
v1::JointProposalMatched Match(v1::JointProposal& p, const Context& ctx) {
  *p.mutable_matched_at() = ToProto(ctx.now);
  v1::JointProposalMatched m;
  m.set_joint_call_id(p.joint_call_id());
  m.set_joint_proposal_id(p.joint_proposal_id());
  m.set_call_id(p.call_id());
  m.set_partner_agency(p.partner_agency());
  m.set_application_id(p.jst().submission().application().application_id());
  m.set_partner_reference_id(p.partner().proposal().partner_reference_id());
  *m.mutable_matched_at() = p.matched_at();
  return m;
}

v1::JointDecisionMade DecisionEvent(const v1::JointCall& call, const v1::JointProposal& p) {
  const v1::JointDecision& d = p.decision();
  v1::JointDecisionMade e;
  e.set_joint_decision_id(d.joint_decision_id());
  e.set_joint_call_id(p.joint_call_id());
  e.set_joint_proposal_id(p.joint_proposal_id());
  e.set_call_id(p.call_id());
  const calls::v1::ApplicationSubmitted& jst = p.jst().submission();
  e.set_application_id(jst.application().application_id());
  e.set_program_id(jst.program_id());
  e.set_research_area_id(jst.research_area_id());
  e.set_partner_agency(call.partner_agency());
  e.set_call_type(call.type());
  e.set_review_model(d.review_model());
  e.set_lead_side(d.lead_side());
  e.set_outcome(d.outcome());
  e.set_adopted(d.outcome() == v1::JOINT_OUTCOME_ADOPTED);
  e.set_jst_decision(d.jst_decision());
  if (p.jst().has_decision()) {
    e.set_jst_decision_id(p.jst().decision().decision_id());
    if (p.jst().decision().has_research_start_time()) {
      *e.mutable_research_start_time() = p.jst().decision().research_start_time();
    }
  }
  e.set_partner_decision(d.partner_decision());
  *e.mutable_jst_submission() = jst;
  *e.mutable_partner_proposal() = p.partner().proposal();
  if (p.partner().has_decision()) *e.mutable_partner_decision_detail() = p.partner().decision();
  if (p.has_record_of_discussions()) {
    *e.mutable_record_of_discussions() = p.record_of_discussions();
  }
  *e.mutable_decided_at() = d.decided_at();
  return e;
}

v1::JointOutcome ParallelOutcome(v1::SideDecision jst, v1::SideDecision partner) {
  const bool jst_adopted = jst == v1::SIDE_DECISION_ADOPTED;
  const bool partner_adopted = partner == v1::SIDE_DECISION_ADOPTED;
  if (jst_adopted && partner_adopted) return v1::JOINT_OUTCOME_ADOPTED;
  if (partner_adopted) return v1::JOINT_OUTCOME_REJECTED_BY_JST;
  if (jst_adopted) return v1::JOINT_OUTCOME_REJECTED_BY_PARTNER;
  return v1::JOINT_OUTCOME_REJECTED_BY_BOTH;
}

// Makes the joint decision once the review model has what it needs.
void MaybeDecide(const v1::JointCall& call, v1::JointProposal& p, const Context& ctx,
                 std::vector<Event>& events) {
  if (p.has_decision() || !p.has_jst() || !p.has_partner()) return;
  const v1::SideDecision jst = Recorded(p, v1::SIDE_JST);
  const v1::SideDecision partner = Recorded(p, v1::SIDE_PARTNER);
  v1::JointOutcome outcome;
  if (LeadAgency(call)) {
    const v1::Side lead_side = call.lead_side();
    const v1::SideDecision lead = Recorded(p, lead_side);
    if (lead == v1::SIDE_DECISION_UNSPECIFIED) return;
    outcome = lead == v1::SIDE_DECISION_ADOPTED ? v1::JOINT_OUTCOME_ADOPTED
              : lead_side == v1::SIDE_JST       ? v1::JOINT_OUTCOME_REJECTED_BY_JST
                                                : v1::JOINT_OUTCOME_REJECTED_BY_PARTNER;
    const v1::Side follower_side = Other(lead_side);
    const v1::SideDecision follower = Recorded(p, follower_side);
    if (follower != v1::SIDE_DECISION_UNSPECIFIED && follower != lead) {
      const v1::DecisionConflict& c = *p.add_conflicts() =
          Conflict(follower_side, lead, follower,
                   absl::StrCat(SideLabel(call, lead_side), " is the lead agency and ", Word(lead),
                                " joint proposal ", p.joint_proposal_id(), "; the earlier \"",
                                Word(follower), "\" of ", SideLabel(call, follower_side),
                                " is overridden and flagged for the program officer"),
                   ctx);
      events.push_back(FlagEvent(p, c));
    }
  } else {
    if (jst == v1::SIDE_DECISION_UNSPECIFIED || partner == v1::SIDE_DECISION_UNSPECIFIED) return;
    outcome = ParallelOutcome(jst, partner);
  }
  v1::JointDecision& d = *p.mutable_decision();
  d.set_joint_decision_id(JointDecisionIdFor(p.joint_call_id(), p.joint_proposal_id()));
  d.set_outcome(outcome);
  d.set_review_model(call.review_model());
  d.set_lead_side(call.lead_side());
  d.set_jst_decision(jst);
  d.set_partner_decision(partner);
  *d.mutable_decided_at() = ToProto(ctx.now);
  const bool held = call.type() == v1::JOINT_CALL_TYPE_SATREPS &&
                    outcome == v1::JOINT_OUTCOME_ADOPTED && !p.has_record_of_discussions();
  d.set_held_for_record_of_discussions(held);
  if (!held) {
    *d.mutable_published_at() = ToProto(ctx.now);
    events.push_back(DecisionEvent(call, p));
  }
}

// Why a proposal is (or will be) rejected whatever still arrives; empty if not.
std::string KnownRejection(const v1::JointCall& call, const v1::JointProposal& p) {
  if (p.has_decision()) {
    if (p.decision().outcome() == v1::JOINT_OUTCOME_ADOPTED) return "";
    return v1::JointOutcome_Name(p.decision().outcome());
  }
  const auto rejected = [&](v1::Side side) {
    return Recorded(p, side) == v1::SIDE_DECISION_REJECTED;
  };
  if (LeadAgency(call)) {
    return rejected(call.lead_side())
               ? absl::StrCat("rejected by the lead agency ", SideLabel(call, call.lead_side()))
               : "";
  }
  if (rejected(v1::SIDE_JST)) return "rejected by JST";
  if (rejected(v1::SIDE_PARTNER)) return "rejected by the partner";
  return "";
}

absl::Status CheckRequestCall(const v1::JointCall& call, std::string_view joint_call_id) {
  if (joint_call_id != call.joint_call_id()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the request names joint call ", Sv(joint_call_id), ", not ", call.joint_call_id()));
  }
  return absl::OkStatus();
}

absl::Status CheckCurrentKey(const v1::JointProposal* current, std::string_view id) {
  if (current != nullptr && current->joint_proposal_id() != id) {
    return absl::InvalidArgumentError(
        absl::StrCat("the stored proposal is ", current->joint_proposal_id(), ", not ", Sv(id)));
  }
  return absl::OkStatus();
}

absl::Status NoJointProposal(const v1::JointCall& call, std::string_view id) {
  return absl::NotFoundError(
      absl::StrCat("joint call ", call.joint_call_id(), " has no joint proposal ", Sv(id)));
}

void ValidatePartnerProposal(const v1::JointCall& call, const v1::PartnerAgency& agency,
                             const v1::PartnerProposal& given, std::string_view normalized_id,
                             Violations& v) {
  const std::string f = "partner_proposal.";
  if (const std::string problem = JointProposalIdProblem(normalized_id); !problem.empty()) {
    v.Add(f + "joint_proposal_id", problem);
  }
  CheckText(v, f + "partner_reference_id", given.partner_reference_id(), true, 128);
  CheckText(v, f + "title_en", given.title_en(), true);
  CheckText(v, f + "title_local", given.title_local(), false);
  const v1::PartnerResearcher& pi = given.principal_investigator();
  CheckText(v, f + "principal_investigator.name", pi.name(), true, 200);
  if (!pi.email().empty() && !IsEmail(pi.email())) {
    v.Add(f + "principal_investigator.email", "is not an e-mail address");
  }
  if (!pi.orcid().empty() && !core::IsOrcid(pi.orcid())) {
    v.Add(f + "principal_investigator.orcid",
          "must be an ORCID iD like 0000-0002-1825-0097 with a valid check digit");
  }
  CheckText(v, f + "institution.name", given.institution().name(), true, 300);
  if (!IsCountryCode(given.institution().country_code())) {
    v.Add(f + "institution.country_code", "must be an ISO 3166-1 alpha-2 code such as \"FR\"");
  }
  const std::string currency = PartnerCurrency(call, agency);
  if (!given.has_requested_amount()) {
    v.Add(f + "requested_amount", absl::StrCat("is required (in ", currency, ")"));
  } else {
    const common::v1::Money& amount = given.requested_amount();
    Violations money;
    ValidateMoney(amount, f + "requested_amount", true, money);
    for (const auto& item : money.items()) v.Add(item.field, item.description);
    if (money.empty() && amount.currency_code() != currency) {
      v.Add(f + "requested_amount.currency_code",
            absl::StrCat("must be ", currency, ", the partner currency of this joint call, not ",
                         amount.currency_code()));
    } else if (money.empty()) {
      if (call.has_partner_budget_min() && amount.units() < call.partner_budget_min().units()) {
        v.Add(f + "requested_amount", absl::StrCat(DescribeMoney(amount), " is below the minimum ",
                                                   DescribeMoney(call.partner_budget_min())));
      }
      if (call.has_partner_budget_max() && amount.units() > call.partner_budget_max().units()) {
        v.Add(f + "requested_amount", absl::StrCat(DescribeMoney(amount), " is above the maximum ",
                                                   DescribeMoney(call.partner_budget_max())));
      }
    }
  }
  if (call.type() == v1::JOINT_CALL_TYPE_SATREPS) {
    const v1::SatrepsRequest& s = given.satreps();
    if (!given.has_satreps()) {
      v.Add(f + "satreps", "is required for SATREPS: the partner government's ODA request");
    } else {
      if (!IsCountryCode(s.requesting_country_code())) {
        v.Add(f + "satreps.requesting_country_code", "must be an ISO 3166-1 alpha-2 code");
      }
      CheckText(v, f + "satreps.requesting_ministry", s.requesting_ministry(), false, 200);
      CheckText(v, f + "satreps.oda_request_reference", s.oda_request_reference(), true, 128);
      CheckText(v, f + "satreps.jica_project_reference", s.jica_project_reference(), false, 128);
    }
  } else if (given.has_satreps()) {
    v.Add(f + "satreps", "is only for SATREPS calls");
  }
}

void ValidatePartnerDecision(const v1::JointCall& call, const v1::PartnerAgency& agency,
                             const v1::PartnerDecision& d, const Context& ctx, Violations& v) {
  const std::string f = "partner_decision.";
  if (d.decision() != v1::SIDE_DECISION_ADOPTED && d.decision() != v1::SIDE_DECISION_REJECTED) {
    v.Add(f + "decision", "must be SIDE_DECISION_ADOPTED or SIDE_DECISION_REJECTED");
  }
  CheckText(v, f + "partner_decision_reference", d.partner_decision_reference(), false, 128);
  if (d.has_decided_at() && FromProto(d.decided_at()) > ctx.now) {
    v.Add(f + "decided_at", "must not be in the future");
  }
  if (d.has_approved_amount()) {
    if (d.decision() != v1::SIDE_DECISION_ADOPTED) {
      v.Add(f + "approved_amount", "is only given with an adoption");
    } else {
      const std::string currency = PartnerCurrency(call, agency);
      ValidateMoney(d.approved_amount(), f + "approved_amount", true, v);
      if (FindCurrency(d.approved_amount().currency_code()) != nullptr &&
          d.approved_amount().currency_code() != currency) {
        v.Add(f + "approved_amount.currency_code",
              absl::StrCat("must be ", currency, ", the partner currency of this joint call"));
      }
    }
  }
  CheckText(v, f + "comment", d.comment(), false, 2000, true);
}

}  // namespace

const google::protobuf::Message& EventPayload(const Event& event) {
  return std::visit([](const auto& e) -> const google::protobuf::Message& { return e; }, event);
}

std::string JointProposalAggregateId(std::string_view joint_call_id,
                                     std::string_view joint_proposal_id) {
  return core::NameUuid(kJointProposalIdNamespace,
                        absl::StrCat(Sv(joint_call_id), "/", Sv(joint_proposal_id)));
}

std::string JointDecisionIdFor(std::string_view joint_call_id, std::string_view joint_proposal_id) {
  return core::NameUuid(kJointDecisionIdNamespace,
                        JointProposalAggregateId(joint_call_id, joint_proposal_id));
}

std::string NormalizeJointProposalId(std::string_view raw) {
  constexpr std::string_view kIdeographicSpace = "\xE3\x80\x80";
  for (;;) {
    const size_t before = raw.size();
    const absl::string_view stripped = absl::StripAsciiWhitespace(Sv(raw));
    raw = std::string_view(stripped.data(), stripped.size());
    while (raw.starts_with(kIdeographicSpace)) raw.remove_prefix(kIdeographicSpace.size());
    while (raw.ends_with(kIdeographicSpace)) raw.remove_suffix(kIdeographicSpace.size());
    if (raw.size() == before) break;
  }
  return absl::AsciiStrToUpper(Sv(raw));
}

std::string JointProposalIdProblem(std::string_view id) {
  if (id.empty()) return "is required: the joint proposal id the applicants gave both agencies";
  if (id.size() > kMaxJointProposalId) {
    return absl::StrCat("is longer than ", kMaxJointProposalId, " characters");
  }
  const bool ok = std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
  });
  if (!ok) return "may contain only letters A–Z, digits, '.', '_' and '-'";
  if (id.starts_with(kUnmatchableJstPrefix)) {
    return absl::StrCat("must not start with \"", kUnmatchableJstPrefix, "\" (reserved)");
  }
  return "";
}

std::string FallbackJointProposalId(std::string_view application_id) {
  return absl::AsciiStrToUpper(absl::StrCat(kUnmatchableJstPrefix, Sv(application_id)));
}

std::string RequestedJointProposalId(const calls::v1::ApplicationSubmitted& event) {
  return NormalizeJointProposalId(event.application().joint_proposal_id());
}

JstKey JstKeyFor(const calls::v1::ApplicationSubmitted& event,
                 const v1::JointProposal* at_requested) {
  const std::string& application_id = event.application().application_id();
  const std::string requested = RequestedJointProposalId(event);
  const std::string fallback = FallbackJointProposalId(application_id);
  if (event.application().joint_proposal_id().empty()) {
    return {fallback, "the application gives no joint proposal id"};
  }
  if (const std::string problem = JointProposalIdProblem(requested); !problem.empty()) {
    return {fallback, absl::StrCat("the application's joint proposal id \"",
                                   event.application().joint_proposal_id(), "\" ", problem)};
  }
  if (at_requested != nullptr && at_requested->has_jst() &&
      at_requested->jst().submission().application().application_id() != application_id) {
    return {fallback,
            absl::StrCat("joint proposal id ", requested, " is already used by application ",
                         at_requested->jst().submission().application().application_id())};
  }
  return {requested, ""};
}

absl::StatusOr<Transition> ApplyApplicationSubmitted(const v1::JointCall* call,
                                                     const v1::JointProposal* current,
                                                     const calls::v1::ApplicationSubmitted& event,
                                                     const JstKey& key, const Context& ctx) {
  const calls::v1::Application& app = event.application();
  Violations v;
  if (app.application_id().empty()) v.Add("application.application_id", "is required");
  if (app.call_id().empty()) v.Add("application.call_id", "is required");
  if (event.partner_agency().empty()) {
    v.Add("partner_agency", "is required: only applications of joint calls are kept");
  }
  if (key.joint_proposal_id.empty()) v.Add("joint_proposal_id", "the key is empty");
  if (!v.empty()) return v.ToStatus("invalid ApplicationSubmitted");
  const std::string joint_call_id = JointCallIdFor(app.call_id());
  if (call != nullptr && call->joint_call_id() != joint_call_id) {
    return absl::InvalidArgumentError(absl::StrCat(
        "application ", app.application_id(), " is not in joint call ", call->joint_call_id()));
  }
  if (auto s = CheckCurrentKey(current, key.joint_proposal_id); !s.ok()) return s;
  if (current != nullptr && current->has_jst()) {
    const std::string& held = current->jst().submission().application().application_id();
    if (held == app.application_id()) return Unchanged(*current);
    return absl::FailedPreconditionError(absl::StrCat("joint proposal ", key.joint_proposal_id,
                                                      " already holds application ", held));
  }
  const bool refiled = current != nullptr && current->has_withdrawn_jst() &&
                       current->withdrawn_jst().submission().application().application_id() ==
                           app.application_id();
  // A submission from before the withdrawal is a stale copy, not a resubmission.
  if (refiled && app.has_submitted_at() && current->withdrawn_jst().has_withdrawn_at() &&
      FromProto(app.submitted_at()) <= FromProto(current->withdrawn_jst().withdrawn_at())) {
    return Unchanged(*current);
  }
  if (call == nullptr && current != nullptr && current->has_partner()) {
    return absl::FailedPreconditionError(absl::StrCat("joint call ", joint_call_id,
                                                      " is needed to match joint proposal ",
                                                      key.joint_proposal_id));
  }
  v1::JointProposal p = Base(current, joint_call_id, key.joint_proposal_id, app.call_id(),
                             call != nullptr ? call->partner_agency() : event.partner_agency());
  if (refiled) p.clear_withdrawn_jst();
  *p.mutable_jst()->mutable_submission() = event;
  *p.mutable_jst()->mutable_received_at() = ToProto(ctx.now);
  p.set_match_problem(key.problem);
  std::vector<Event> events;
  if (p.has_partner()) {
    events.push_back(Match(p, ctx));
    MaybeDecide(*call, p, ctx, events);
  }
  return Changed(std::move(p), std::move(events), ctx);
}

const v1::JointProposal* ProposalOfApplication(const std::vector<v1::JointProposal>& proposals,
                                               std::string_view application_id) {
  const auto holds = [&](const v1::JstSide& side) {
    return side.submission().application().application_id() == application_id;
  };
  // A filed side first: a resubmission may sit elsewhere than its withdrawal.
  for (const auto& p : proposals) {
    if (p.has_jst() && holds(p.jst())) return &p;
  }
  for (const auto& p : proposals) {
    if (p.has_withdrawn_jst() && holds(p.withdrawn_jst())) return &p;
  }
  return nullptr;
}

bool WithdrawalPrecedesSubmission(const v1::JstSide& side,
                                  const calls::v1::ApplicationWithdrawn& event) {
  const calls::v1::Application& app = side.submission().application();
  return event.has_withdrawn_at() && app.has_submitted_at() &&
         FromProto(event.withdrawn_at()) < FromProto(app.submitted_at());
}

absl::StatusOr<Transition> ApplyApplicationWithdrawn(const v1::JointProposal* current,
                                                     const calls::v1::ApplicationWithdrawn& event,
                                                     const Context& ctx) {
  Violations v;
  if (event.application_id().empty()) v.Add("application_id", "is required");
  if (event.call_id().empty()) v.Add("call_id", "is required");
  if (!v.empty()) return v.ToStatus("invalid ApplicationWithdrawn");
  if (current == nullptr) return Transition{};
  if (!current->has_jst() ||
      current->jst().submission().application().application_id() != event.application_id() ||
      WithdrawalPrecedesSubmission(current->jst(), event)) {
    return Unchanged(*current);
  }
  if (current->has_decision()) {
    return absl::FailedPreconditionError(
        absl::StrCat("application ", event.application_id(), " is withdrawn after the joint ",
                     "decision on joint proposal ", current->joint_proposal_id(),
                     " was made; the decision stands"));
  }
  v1::JointProposal p = *current;
  v1::JstSide& withdrawn = *p.mutable_withdrawn_jst();
  withdrawn = p.jst();
  *withdrawn.mutable_withdrawn_at() =
      event.has_withdrawn_at() ? event.withdrawn_at() : ToProto(ctx.now);
  withdrawn.set_withdrawal_reason(event.reason());
  p.clear_jst();
  p.clear_matched_at();
  p.clear_match_problem();
  return Changed(std::move(p), {}, ctx);
}

bool DecidesSubmission(const reviews::v1::ProposalDecided& decision,
                       const calls::v1::ApplicationSubmitted& submission) {
  const calls::v1::Application& app = submission.application();
  if (decision.application_id() != app.application_id()) return false;
  return !decision.has_decided_at() || !app.has_submitted_at() ||
         FromProto(decision.decided_at()) >= FromProto(app.submitted_at());
}

absl::StatusOr<Transition> SubmitPartnerProposal(const v1::JointCall& call,
                                                 const v1::PartnerAgency& agency,
                                                 const v1::JointProposal* current,
                                                 std::string_view partner_reference_holder,
                                                 const v1::SubmitPartnerProposalRequest& request,
                                                 const Context& ctx) {
  if (auto s = AuthorizeJointCall(ctx.actor, call); !s.ok()) return s;
  if (auto s = CheckRequestCall(call, request.joint_call_id()); !s.ok()) return s;
  const v1::PartnerProposal& given = request.partner_proposal();
  const std::string id = NormalizeJointProposalId(given.joint_proposal_id());
  Violations v;
  ValidatePartnerProposal(call, agency, given, id, v);
  if (!v.empty()) return v.ToStatus("invalid partner proposal");
  if (auto s = CheckCurrentKey(current, id); !s.ok()) return s;

  const std::string& ref = given.partner_reference_id();
  if (!partner_reference_holder.empty() && partner_reference_holder != id) {
    return absl::AlreadyExistsError(absl::StrCat("partner reference ", ref,
                                                 " is already filed under joint proposal ",
                                                 Sv(partner_reference_holder)));
  }
  v1::PartnerProposal filed = given;
  filed.set_joint_proposal_id(id);
  filed.clear_received_at();
  filed.clear_channel();
  filed.clear_content_sha256();
  const std::string hash = Sha256Hex(DeterministicBytes(filed));

  if (current != nullptr && current->has_partner()) {
    const v1::PartnerProposal& existing = current->partner().proposal();
    if (existing.partner_reference_id() != ref) {
      return absl::AlreadyExistsError(
          absl::StrCat("joint proposal ", id, " already has partner proposal ",
                       existing.partner_reference_id(), "; ", ref, " cannot be filed under it"));
    }
    if (existing.content_sha256() == hash) return Unchanged(*current);
    if (current->partner().has_decision() || current->has_decision()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "partner proposal ", ref, " cannot be revised: ",
          current->has_decision() ? "the joint decision is made" : "the partner has decided"));
    }
  }
  v1::JointProposal p =
      Base(current, call.joint_call_id(), id, call.call_id(), call.partner_agency());
  const bool first = !p.has_partner();
  *filed.mutable_received_at() = ToProto(ctx.now);
  filed.set_channel(ctx.channel);
  filed.set_content_sha256(hash);
  *p.mutable_partner()->mutable_proposal() = std::move(filed);
  std::vector<Event> events;
  if (first && p.has_jst()) {
    events.push_back(Match(p, ctx));
  }
  MaybeDecide(call, p, ctx, events);
  return Changed(std::move(p), std::move(events), ctx);
}

absl::Status ValidateJstDecision(const reviews::v1::ProposalDecided& d) {
  Violations v;
  if (d.decision_id().empty()) v.Add("decision_id", "is required");
  if (d.application_id().empty()) v.Add("application_id", "is required");
  if (d.call_id().empty()) v.Add("call_id", "is required");
  return v.empty() ? absl::OkStatus() : v.ToStatus("invalid ProposalDecided");
}

absl::StatusOr<Transition> ApplyJstDecision(const v1::JointCall* call,
                                            const v1::JointProposal& current,
                                            const reviews::v1::ProposalDecided& d,
                                            const Context& ctx) {
  if (auto s = ValidateJstDecision(d); !s.ok()) return s;
  if (!current.has_jst() ||
      current.jst().submission().application().application_id() != d.application_id()) {
    return absl::FailedPreconditionError(
        absl::StrCat("joint proposal ", current.joint_proposal_id(), " has no JST application ",
                     d.application_id()));
  }
  const std::string joint_call_id =
      call != nullptr ? call->joint_call_id() : JointCallIdFor(d.call_id());
  if (current.joint_call_id() != joint_call_id) {
    return absl::InvalidArgumentError(absl::StrCat("joint proposal ", current.joint_proposal_id(),
                                                   " is not in joint call ", joint_call_id));
  }
  if (call == nullptr && current.has_partner()) {
    return absl::FailedPreconditionError(absl::StrCat("joint call ", joint_call_id,
                                                      " is needed to decide joint proposal ",
                                                      current.joint_proposal_id()));
  }
  const v1::SideDecision incoming = FromAdopted(d.adopted());
  const v1::SideDecision recorded = Recorded(current, v1::SIDE_JST);
  if (recorded == incoming) return Unchanged(current);
  if (recorded != v1::SIDE_DECISION_UNSPECIFIED) {
    return Contradiction(
        current, v1::SIDE_JST, recorded, incoming,
        absl::StrCat("JST already ", Word(recorded), " joint proposal ",
                     current.joint_proposal_id(), " (decision ",
                     current.jst().decision().decision_id(), "); the contradicting \"",
                     Word(incoming), "\" of decision ", d.decision_id(),
                     " is refused and flagged for the program officer"),
        ctx);
  }
  if (call != nullptr) {
    if (auto refused = CheckFollower(*call, current, v1::SIDE_JST, incoming, ctx)) return *refused;
  }

  v1::JointProposal p = current;
  v1::JstDecision& stored = *p.mutable_jst()->mutable_decision();
  stored.set_decision_id(d.decision_id());
  stored.set_decision(incoming);
  stored.set_reason(d.reason());
  if (d.has_decided_by()) stored.set_decided_by(ActorLabel(d.decided_by()));
  *stored.mutable_decided_at() = d.has_decided_at() ? d.decided_at() : ToProto(ctx.now);
  *stored.mutable_received_at() = ToProto(ctx.now);
  if (d.has_research_start_time()) *stored.mutable_research_start_time() = d.research_start_time();
  stored.set_departs_from_ranking(d.departs_from_ranking());
  stored.set_departure_reason(d.departure_reason());
  stored.set_case_id(d.case_id());
  std::vector<Event> events;
  if (call != nullptr) MaybeDecide(*call, p, ctx, events);
  return Changed(std::move(p), std::move(events), ctx);
}

absl::StatusOr<Transition> RecordPartnerDecision(const v1::JointCall& call,
                                                 const v1::PartnerAgency& agency,
                                                 const v1::JointProposal* current,
                                                 const v1::RecordPartnerDecisionRequest& request,
                                                 const Context& ctx) {
  if (auto s = AuthorizeJointCall(ctx.actor, call); !s.ok()) return s;
  if (auto s = CheckRequestCall(call, request.joint_call_id()); !s.ok()) return s;
  const std::string id = NormalizeJointProposalId(request.joint_proposal_id());
  if (current == nullptr) return NoJointProposal(call, id);
  if (auto s = CheckCurrentKey(current, id); !s.ok()) return s;
  if (auto s = CheckVersion(request.expected_version(), current->version(), "joint proposal");
      !s.ok()) {
    return s;
  }
  Violations v;
  ValidatePartnerDecision(call, agency, request.partner_decision(), ctx, v);
  if (!v.empty()) return v.ToStatus("invalid partner decision");
  if (!current->has_partner()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "joint proposal ", id, " has no partner proposal yet: submit it before its decision"));
  }
  const v1::SideDecision incoming = request.partner_decision().decision();
  const v1::SideDecision recorded = Recorded(*current, v1::SIDE_PARTNER);
  if (recorded == incoming) return Unchanged(*current);
  if (recorded != v1::SIDE_DECISION_UNSPECIFIED) {
    const std::string& ref = current->partner().decision().partner_decision_reference();
    return Contradiction(
        *current, v1::SIDE_PARTNER, recorded, incoming,
        absl::StrCat("the partner (", call.partner_agency(), ") already ", Word(recorded),
                     " joint proposal ", id, ref.empty() ? "" : absl::StrCat(" (", ref, ")"),
                     " on ", Rfc3339(FromProto(current->partner().decision().decided_at())),
                     "; the contradicting \"", Word(incoming),
                     "\" is refused and flagged for the program officer"),
        ctx);
  }
  if (auto refused = CheckFollower(call, *current, v1::SIDE_PARTNER, incoming, ctx)) {
    return *refused;
  }

  v1::JointProposal p = *current;
  v1::PartnerDecision& stored = *p.mutable_partner()->mutable_decision();
  stored = request.partner_decision();
  if (!stored.has_decided_at()) *stored.mutable_decided_at() = ToProto(ctx.now);
  *stored.mutable_received_at() = ToProto(ctx.now);
  stored.set_channel(ctx.channel);
  v1::PartnerDecisionReceived received;
  received.set_joint_call_id(p.joint_call_id());
  received.set_joint_proposal_id(id);
  received.set_partner_agency(call.partner_agency());
  received.set_partner_reference_id(p.partner().proposal().partner_reference_id());
  *received.mutable_partner_decision() = stored;
  std::vector<Event> events{std::move(received)};
  MaybeDecide(call, p, ctx, events);
  return Changed(std::move(p), std::move(events), ctx);
}

absl::StatusOr<Transition> RecordRecordOfDiscussions(
    const v1::JointCall& call, const v1::JointProposal* current,
    const v1::RecordRecordOfDiscussionsRequest& request, const Context& ctx) {
  if (auto s = AuthorizeJointCall(ctx.actor, call); !s.ok()) return s;
  if (auto s = CheckRequestCall(call, request.joint_call_id()); !s.ok()) return s;
  const std::string id = NormalizeJointProposalId(request.joint_proposal_id());
  if (call.type() != v1::JOINT_CALL_TYPE_SATREPS) {
    return absl::FailedPreconditionError(
        absl::StrCat("joint call ", call.joint_call_id(),
                     " is not a SATREPS call: it has no Record of Discussions"));
  }
  if (current == nullptr) return NoJointProposal(call, id);
  if (auto s = CheckCurrentKey(current, id); !s.ok()) return s;
  if (auto s = CheckVersion(request.expected_version(), current->version(), "joint proposal");
      !s.ok()) {
    return s;
  }
  const v1::RecordOfDiscussions& rd = request.record_of_discussions();
  Violations v;
  CheckText(v, "record_of_discussions.reference", rd.reference(), true, 200);
  if (!rd.has_signed_at()) {
    v.Add("record_of_discussions.signed_at", "is required");
  } else if (FromProto(rd.signed_at()) > ctx.now) {
    v.Add("record_of_discussions.signed_at", "must not be in the future");
  }
  for (int i = 0; i < rd.signatories_size(); ++i) {
    CheckText(v, absl::StrCat("record_of_discussions.signatories[", i, "]"), rd.signatories(i),
              true, 200);
  }
  if (!v.empty()) return v.ToStatus("invalid Record of Discussions");
  if (current->has_record_of_discussions()) {
    const v1::RecordOfDiscussions& on_record = current->record_of_discussions();
    if (on_record.reference() == rd.reference() &&
        FromProto(on_record.signed_at()) == FromProto(rd.signed_at())) {
      return Unchanged(*current);
    }
    return absl::FailedPreconditionError(
        absl::StrCat("joint proposal ", id, " already has R/D ", on_record.reference(), " signed ",
                     Rfc3339(FromProto(on_record.signed_at())), "; a different one is refused"));
  }
  if (!current->has_partner()) {
    return absl::FailedPreconditionError(absl::StrCat("joint proposal ", id, " has no ",
                                                      call.partner_agency(), "-side proposal yet"));
  }
  if (const std::string rejection = KnownRejection(call, *current); !rejection.empty()) {
    return absl::FailedPreconditionError(absl::StrCat("joint proposal ", id, " is ", rejection,
                                                      ": it will not start, so it has no R/D"));
  }

  v1::JointProposal p = *current;
  v1::RecordOfDiscussions& stored = *p.mutable_record_of_discussions();
  stored = rd;
  *stored.mutable_recorded_at() = ToProto(ctx.now);
  const bool releases = p.has_decision() && p.decision().held_for_record_of_discussions();
  v1::SatrepsRdSigned signed_event;
  signed_event.set_joint_call_id(p.joint_call_id());
  signed_event.set_joint_proposal_id(id);
  if (p.has_jst()) {
    signed_event.set_application_id(p.jst().submission().application().application_id());
  }
  *signed_event.mutable_record_of_discussions() = stored;
  *signed_event.mutable_satreps() = p.partner().proposal().satreps();
  signed_event.set_releases_adoption(releases);
  std::vector<Event> events{std::move(signed_event)};
  if (releases) {
    p.mutable_decision()->set_held_for_record_of_discussions(false);
    *p.mutable_decision()->mutable_published_at() = ToProto(ctx.now);
    events.push_back(DecisionEvent(call, p));
  } else {
    MaybeDecide(call, p, ctx, events);
  }
  return Changed(std::move(p), std::move(events), ctx);
}

v1::JointProposalState StateOf(const v1::JointProposal& p) {
  if (p.has_decision()) {
    return p.decision().held_for_record_of_discussions()
               ? v1::JOINT_PROPOSAL_STATE_AWAITING_RECORD_OF_DISCUSSIONS
               : v1::JOINT_PROPOSAL_STATE_DECIDED;
  }
  if (p.has_jst() && p.has_partner()) return v1::JOINT_PROPOSAL_STATE_AWAITING_DECISIONS;
  if (p.has_jst()) return v1::JOINT_PROPOSAL_STATE_AWAITING_PARTNER_PROPOSAL;
  if (p.has_partner()) return v1::JOINT_PROPOSAL_STATE_AWAITING_JST_PROPOSAL;
  if (p.has_withdrawn_jst()) return v1::JOINT_PROPOSAL_STATE_WITHDRAWN;
  return v1::JOINT_PROPOSAL_STATE_UNSPECIFIED;
}

}  // namespace tane::international
