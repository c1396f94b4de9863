// International joint calls over HTTP through the gateway: a SICORP call
// under the parallel model with ANR (applicants on both sides, the JST-side
// review and decision, ANR's decision through the partner API, the joint
// decision, the project and its allocation), ANR's and DFG's exchange
// systems calling with API keys the operator issues (and revokes), what a
// second partner agency (DFG) cannot see, and a SATREPS project held until
// JICA's Record of Discussions is recorded.
#include <gmock/gmock.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "e2e_fixture.h"
#include "tane/international/v1/international.pb.h"

namespace tane::e2e {
namespace {

namespace intl = international::v1;
using ::testing::Each;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::Property;
using ::testing::StartsWith;

constexpr int64_t kBudgetPerYear = 500'000'000;

intl::PartnerAgency Agency(const std::string& code, const std::string& name, const std::string& country,
                           const std::string& currency) {
  intl::PartnerAgency a;
  a.set_agency_code(code);
  a.set_name(name);
  a.set_country_code(country);
  a.set_currency_code(currency);
  a.mutable_contact()->set_name("International programmes desk");
  a.mutable_contact()->set_email("intl@" + absl::AsciiStrToLower(code) + ".example");
  a.add_shared_data(intl::DATA_SCOPE_JST_TITLES);
  a.add_shared_data(intl::DATA_SCOPE_JST_TEAM);
  a.add_shared_data(intl::DATA_SCOPE_JST_DECISION);
  return a;
}

common::v1::Money Money(const std::string& currency, int64_t units) {
  common::v1::Money m;
  m.set_currency_code(currency);
  m.set_units(units);
  return m;
}

// The JST side of a joint proposal: one researcher, `years` fiscal years from
// the current one at `yen_per_year` of personnel costs each.
calls::v1::Application JstApplication(const std::string& title_ja, const std::string& researcher_id,
                                      const std::string& joint_proposal_id, const std::string& keyword, int months,
                                      int years, int64_t yen_per_year) {
  calls::v1::Application a;
  auto* pi = a.mutable_principal_investigator();
  pi->set_researcher_id(researcher_id);
  pi->set_name_ja("国際 花子");
  pi->set_name_en("Hanako Kokusai");
  pi->set_institution_id("https://ror.org/057zh3y96");
  pi->set_institution_name("東京大学");
  pi->set_position("准教授");
  pi->set_degree_year(2010);
  a.set_pi_effort_percent(30);
  a.set_title_ja(title_ja);
  a.set_title_en("Joint research " + joint_proposal_id);
  a.set_abstract("日本側と相手国側の共同研究。");
  a.add_keywords(keyword);
  a.set_research_period_months(months);
  const int fy = CurrentFiscalYear();
  a.set_start_fiscal_year(fy);
  for (int y = fy; y < fy + years; ++y) {
    auto* line = a.add_budget_plan();
    line->set_fiscal_year(y);
    line->set_category(calls::v1::BUDGET_CATEGORY_PERSONNEL);
    line->set_amount_yen(yen_per_year);
  }
  a.set_joint_proposal_id(joint_proposal_id);
  return a;
}

intl::PartnerProposal PartnerProposal(const std::string& joint_proposal_id, const std::string& reference,
                                      const std::string& country, const common::v1::Money& amount) {
  intl::PartnerProposal p;
  p.set_joint_proposal_id(joint_proposal_id);
  p.set_partner_reference_id(reference);
  p.set_title_en("Partner side of " + joint_proposal_id);
  p.mutable_principal_investigator()->set_name("Partner PI " + reference);
  p.mutable_principal_investigator()->set_email("pi-" + reference + "@partner.example");
  p.mutable_institution()->set_name("Partner University");
  p.mutable_institution()->set_country_code(country);
  *p.mutable_requested_amount() = amount;
  return p;
}

intl::RecordPartnerDecisionRequest PartnerDecision(intl::SideDecision decision, const std::string& reference,
                                                   const common::v1::Money* approved) {
  intl::RecordPartnerDecisionRequest r;
  r.mutable_partner_decision()->set_decision(decision);
  r.mutable_partner_decision()->set_partner_decision_reference(reference);
  *r.mutable_partner_decision()->mutable_decided_at() = ToTimestamp(absl::Now() - absl::Minutes(1));
  if (approved != nullptr) *r.mutable_partner_decision()->mutable_approved_amount() = *approved;
  r.set_idempotency_key("partner-decision-" + reference);
  return r;
}

calls::v1::Call InternationalCall(const std::string& program_id, const std::string& partner,
                                  const std::string& title_ja, std::vector<calls::v1::ReviewStage> stages) {
  calls::v1::Call c;
  c.set_program_id(program_id);
  c.set_partner_agency(partner);
  c.set_title_ja(title_ja);
  c.set_title_en("International joint call " + program_id);
  for (auto s : stages) c.mutable_review_model()->add_stages(s);
  c.mutable_review_model()->set_reviewers_per_proposal(2);
  c.mutable_review_model()->set_decided_by("program_officer");
  return c;
}

intl::JointCall JointCallFor(const calls::v1::Call& call, intl::JointCallType type, const std::string& reference) {
  intl::JointCall j;
  j.set_call_id(call.call_id());
  j.set_partner_agency(call.partner_agency());
  j.set_title_ja(call.title_ja());
  j.set_title_en(call.title_en());
  j.set_type(type);
  j.set_review_model(intl::JOINT_REVIEW_MODEL_PARALLEL);
  j.mutable_agreement()->set_kind(type == intl::JOINT_CALL_TYPE_SATREPS ? intl::AGREEMENT_KIND_RECORD_OF_DISCUSSIONS
                                                                        : intl::AGREEMENT_KIND_MOU);
  j.mutable_agreement()->set_reference(reference);
  j.mutable_agreement()->set_title("Agreement " + reference);
  *j.mutable_agreement()->mutable_signed_at() = ToTimestamp(absl::Now() - absl::Hours(24 * 90));
  j.set_partner_call_reference(reference + "-CALL");
  return j;
}

std::string JointCallPath(const intl::JointCall& j) { return "/v1/joint-calls/" + j.joint_call_id(); }

std::string CredentialsPath(const std::string& agency) { return "/v1/partner-agencies/" + agency + "/credentials"; }

intl::IssuePartnerCredentialRequest ApiKeyRequest(const std::string& label) {
  intl::IssuePartnerCredentialRequest r;
  r.set_kind(intl::CREDENTIAL_KIND_API_KEY);
  r.set_label(label);
  r.set_idempotency_key("api-key-" + label);
  return r;
}

// The credential `id` of `agency`, or nullptr.
const intl::PartnerCredential* CredentialOf(const intl::PartnerAgency& agency, const std::string& id) {
  for (const auto& c : agency.credentials()) {
    if (c.credential_id() == id) return &c;
  }
  return nullptr;
}

// A partner system calling with an API key, and the key's credential id.
struct KeyedPartner {
  Caller caller;
  std::string credential_id;
};

// `agency`'s exchange system with an API key `op` issues it, labelled
// `label`. Checks that the key is in the first answer only: a retry of the
// request and the agency as the operator reads it show the credential
// without it.
absl::StatusOr<KeyedPartner> IssueApiKey(Api& api, const Caller& op, const std::string& agency,
                                         const std::string& label) {
  const auto request = ApiKeyRequest(label);
  auto issued = api.Post<intl::IssuePartnerCredentialResponse>(op, CredentialsPath(agency), request);
  if (!issued.ok()) return issued.status();
  const std::string& id = issued->credential().credential_id();
  const std::string& key = issued->api_key();
  EXPECT_EQ(issued->credential().kind(), intl::CREDENTIAL_KIND_API_KEY);
  EXPECT_EQ(issued->credential().label(), label);
  EXPECT_THAT(key, StartsWith("tpk_" + id + "_"));
  EXPECT_EQ(issued->credential().hint(), key.substr(key.size() - std::min<size_t>(4, key.size())));
  EXPECT_NE(CredentialOf(issued->partner_agency(), id), nullptr);

  auto retried = api.Post<intl::IssuePartnerCredentialResponse>(op, CredentialsPath(agency), request);
  if (!retried.ok()) return retried.status();
  EXPECT_EQ(retried->credential().credential_id(), id);
  EXPECT_EQ(retried->api_key(), "") << "the key is shown in the first answer only";
  auto read = api.Expect(200, op, "GET", "/v1/partner-agencies/" + agency);
  if (!read.ok()) return read.status();
  EXPECT_THAT(read->body, HasSubstr(id));
  // The secret is base64url, so it may itself hold '_': cut the known prefix
  // off rather than splitting at the last '_'.
  const std::string secret = key.substr(std::min(key.size(), ("tpk_" + id + "_").size()));
  EXPECT_GT(secret.size(), 4u);
  EXPECT_THAT(read->body, Not(HasSubstr(secret))) << "the key's secret is never shown again";
  return KeyedPartner{PartnerByApiKey(agency, id, key), id};
}

TEST_F(E2eTest, SicorpParallelJointCallWithPartnerDecisionThroughThePartnerApi) {
  constexpr char kProgram[] = "sicorp-core-team";
  const Caller op = As("operator", "sicorp-operator");
  const Caller po = As("program_officer", "sicorp-po");
  const Caller finance = As("finance_officer", "sicorp-finance");
  const Caller applicant_1 = As("applicant", "sicorp-applicant-1");
  const Caller applicant_2 = As("applicant", "sicorp-applicant-2");
  const std::vector<Caller> reviewers = {As("reviewer", "sicorp-reviewer-1"), As("reviewer", "sicorp-reviewer-2"),
                                         As("reviewer", "sicorp-reviewer-3")};
  const std::string keyword = "量子センシング-sicorp";

  // The partner agencies, the call and its joint call with ANR.
  for (const auto& agency : {Agency("ANR", "Agence nationale de la recherche", "FR", "EUR"),
                             Agency("DFG", "Deutsche Forschungsgemeinschaft", "DE", "EUR")}) {
    ASSERT_OK_AND_ASSIGN(auto created,
                         api().Post<intl::PartnerAgency>(
                             op, "/v1/partner-agencies?idempotencyKey=agency-" + agency.agency_code(), agency));
    EXPECT_EQ(created.agency_code(), agency.agency_code());
  }
  // Each agency's exchange system calls the partner API with a key the operator issues.
  ASSERT_OK_AND_ASSIGN(const KeyedPartner anr_key, IssueApiKey(api(), op, "ANR", "anr-exchange"));
  ASSERT_OK_AND_ASSIGN(const KeyedPartner dfg_key, IssueApiKey(api(), op, "DFG", "dfg-exchange"));
  const Caller& anr = anr_key.caller;
  const Caller& dfg = dfg_key.caller;
  const std::string anr_credential_path = CredentialsPath("ANR") + "/" + anr_key.credential_id;
  // Keys international did not issue are 401: an unknown one, and ANR's credential id with another secret.
  std::string forged = anr.api_key;
  forged.back() = forged.back() == 'A' ? 'B' : 'A';
  for (const std::string& key : {"tpk_" + std::string(32, '0') + "_" + std::string(43, 'A'), forged}) {
    ASSERT_OK_AND_ASSIGN(auto refused,
                         api().Error(401, PartnerByApiKey("ANR", "unissued", key), "GET", "/v1/joint-calls"));
    EXPECT_EQ(refused.code, "UNAUTHENTICATED") << key;
    EXPECT_THAT(refused.message, HasSubstr("unknown, revoked or expired partner API key")) << key;
  }
  // A key is role partner only: ANR cannot issue itself keys, nor revoke them.
  ASSERT_OK_AND_ASSIGN(auto self_issue,
                       api().Error(403, anr, "POST", CredentialsPath("ANR"), ApiKeyRequest("anr-self-issued")));
  EXPECT_EQ(self_issue.code, "PERMISSION_DENIED");
  ASSERT_OK_AND_ASSIGN(auto self_revoke, api().Error(403, anr, "POST", anr_credential_path + ":revoke", "{}"));
  EXPECT_EQ(self_revoke.code, "PERMISSION_DENIED");
  ASSERT_OK_AND_ASSIGN(const calls::v1::Call call,
                       OpenCall(api(), op, "sicorp-e2e",
                                InternationalCall(kProgram, "ANR", "SICORP 日仏共同研究「量子計測」",
                                                  {calls::v1::REVIEW_STAGE_DOCUMENT})));
  intl::JointCall joint_spec = JointCallFor(call, intl::JOINT_CALL_TYPE_SICORP_CORE_TEAM, "JST-ANR MOU 2026");
  *joint_spec.mutable_partner_budget_min() = Money("EUR", 10'000'000);   // €100,000.00
  *joint_spec.mutable_partner_budget_max() = Money("EUR", 100'000'000);  // €1,000,000.00
  ASSERT_OK_AND_ASSIGN(const intl::JointCall joint,
                       api().Post<intl::JointCall>(op, "/v1/joint-calls?idempotencyKey=sicorp-joint", joint_spec));
  EXPECT_FALSE(joint.joint_call_id().empty());
  EXPECT_EQ(joint.partner_agency(), "ANR");

  for (const Caller& r : reviewers)
    ASSERT_OK(CreateReviewer(api(), op, r, {}, {keyword}, "https://ror.org/04chrp450").status());

  // Applicants on both sides under the same joint proposal ids.
  const std::string id_1 = "JPFR-QS-001";
  const std::string id_2 = "JPFR-QS-002";
  ASSERT_OK_AND_ASSIGN(
      auto draft_1, Draft(api(), applicant_1, call.call_id(),
                          JstApplication("量子もつれ光による生体計測", "41000001", id_1, keyword, 24, 2, 20'000'000)));
  ASSERT_OK_AND_ASSIGN(auto draft_2,
                       Draft(api(), applicant_2, call.call_id(),
                             JstApplication("量子センサの小型化", "41000002", id_2, keyword, 24, 2, 15'000'000)));
  ASSERT_OK_AND_ASSIGN(const auto app_1, Submit(api(), applicant_1, draft_1.application_id()));
  ASSERT_OK_AND_ASSIGN(const auto app_2, Submit(api(), applicant_2, draft_2.application_id()));
  const common::v1::Money requested = Money("EUR", 45'000'000);
  for (const auto& [id, reference] :
       std::vector<std::pair<std::string, std::string>>{{id_1, "ANR-26-QS-01"}, {id_2, "ANR-26-QS-02"}}) {
    ASSERT_OK_AND_ASSIGN(auto filed,
                         api().Post<intl::PartnerJointProposal>(
                             anr, JointCallPath(joint) + "/partner-proposals?idempotencyKey=file-" + reference,
                             PartnerProposal(id, reference, "FR", requested)));
    EXPECT_EQ(filed.joint_proposal_id(), id);
    EXPECT_EQ(filed.partner().proposal().partner_reference_id(), reference);
  }
  ASSERT_OK_AND_ASSIGN(auto matching, Eventually<intl::MatchingReport>("both joint proposals matched", [&] {
                         auto report = api().Get<intl::MatchingReport>(po, JointCallPath(joint) + "/matching");
                         if (report.ok() && report->matched() != 2)
                           return absl::StatusOr<intl::MatchingReport>(absl::UnavailableError(report->DebugString()));
                         return report;
                       }));
  EXPECT_EQ(matching.matching_rate_bp(), 10000);
  EXPECT_THAT(matching.unmatched(), IsEmpty());

  // Partner isolation: ANR sees its joint call; DFG sees nothing of it.
  ASSERT_OK_AND_ASSIGN(auto anr_calls, api().Get<intl::ListJointCallsResponse>(anr, "/v1/joint-calls"));
  EXPECT_THAT(anr_calls.joint_calls(), Each(Property(&intl::JointCall::partner_agency, "ANR")));
  EXPECT_THAT(anr_calls.joint_calls(),
              ::testing::Contains(Property(&intl::JointCall::joint_call_id, joint.joint_call_id())));
  ASSERT_OK_AND_ASSIGN(auto dfg_calls, api().Get<intl::ListJointCallsResponse>(dfg, "/v1/joint-calls"));
  EXPECT_THAT(dfg_calls.joint_calls(), IsEmpty());
  struct Refusal {
    std::string method;
    std::string target;
  };
  for (const Refusal& r : std::vector<Refusal>{
           {"GET", JointCallPath(joint)},
           {"GET", "/v1/partner/joint-calls/" + joint.joint_call_id() + "/proposals"},
           {"GET", JointCallPath(joint) + "/decisions"},
           {"GET", JointCallPath(joint) + ":export?format=BATCH_FORMAT_CSV"},
           {"POST", JointCallPath(joint) + "/proposals/" + id_1 + "/partner-decision"},
           {"POST", JointCallPath(joint) + "/partner-proposals"},
           {"GET", "/v1/partner-agencies/ANR"},
       }) {
    auto error = api().Error(404, dfg, r.method, r.target, r.method == "POST" ? "{}" : "");
    ASSERT_TRUE(error.ok()) << error.status();
    EXPECT_EQ(error->code, "NOT_FOUND") << r.method << " " << r.target;
  }
  // Staff-only reads stay staff-only for ANR too.
  ASSERT_OK_AND_ASSIGN(auto staff_only, api().Error(403, anr, "GET", JointCallPath(joint) + "/proposals"));
  EXPECT_EQ(staff_only.code, "PERMISSION_DENIED");

  // The JST side: close, review, decide.
  ASSERT_OK(LoadBudgets(api(), finance, kProgram, {CurrentFiscalYear(), CurrentFiscalYear() + 1}, kBudgetPerYear));
  ASSERT_OK(CloseCall(api(), op, call.call_id()).status());
  ASSERT_OK_AND_ASSIGN(auto cases,
                       WaitForAssignments(api(), po, call.call_id(), 2, calls::v1::REVIEW_STAGE_DOCUMENT, 2));
  const std::map<std::string, int> scores = {{app_1.application_id(), 5}, {app_2.application_id(), 2}};
  ASSERT_OK_AND_ASSIGN(const int reviewed,
                       ReviewAll(api(), reviewers, call.call_id(), kProgram, calls::v1::REVIEW_STAGE_DOCUMENT,
                                 [&](const std::string& id) { return scores.at(id); }));
  EXPECT_EQ(reviewed, 4);
  const auto* case_1 = CaseOf(cases, app_1.application_id());
  const auto* case_2 = CaseOf(cases, app_2.application_id());
  ASSERT_TRUE(case_1 != nullptr && case_2 != nullptr);
  EXPECT_EQ(case_1->partner_agency(), "ANR");
  ASSERT_OK_AND_ASSIGN(auto awaiting, Shortlist(api(), po, case_1->case_id()));
  EXPECT_EQ(awaiting.state(), reviews::v1::CASE_STATE_AWAITING_DECISION);
  const std::string jst_reason = "日本側審査で最上位 / top of the JST-side review";
  ASSERT_OK(Decide(api(), po, case_1->case_id(), true, jst_reason).status());
  ASSERT_OK(Decide(api(), po, case_2->case_id(), false, "日本側で不採択 / not adopted on the JST side").status());

  // ANR sees the JST decisions (its agreement shares them), never the reasons.
  ASSERT_OK_AND_ASSIGN(
      auto partner_view, Eventually<intl::ListPartnerJointProposalsResponse>("the JST decisions in ANR's view", [&] {
        auto view = api().Get<intl::ListPartnerJointProposalsResponse>(
            anr, "/v1/partner/joint-calls/" + joint.joint_call_id() + "/proposals");
        if (!view.ok()) return view;
        for (const auto& p : view->joint_proposals()) {
          if (p.jst().decision() == intl::SIDE_DECISION_UNSPECIFIED) {
            return absl::StatusOr<intl::ListPartnerJointProposalsResponse>(absl::UnavailableError(p.DebugString()));
          }
        }
        return view;
      }));
  ASSERT_EQ(partner_view.joint_proposals_size(), 2);
  EXPECT_EQ(partner_view.joint_proposals(0).jst().decision(), intl::SIDE_DECISION_ADOPTED);
  EXPECT_EQ(partner_view.joint_proposals(1).jst().decision(), intl::SIDE_DECISION_REJECTED);
  ASSERT_OK_AND_ASSIGN(
      auto raw_view, api().Expect(200, anr, "GET", "/v1/partner/joint-calls/" + joint.joint_call_id() + "/proposals"));
  EXPECT_THAT(raw_view.body, Not(HasSubstr("日本側審査で最上位")));
  EXPECT_THAT(raw_view.body, Not(HasSubstr("41000001")));  // e-Rad numbers are never shared

  // ANR's decisions through the partner API make the joint decisions.
  const common::v1::Money approved = Money("EUR", 40'000'000);
  // Built once: sent again below, it must be the same request (its
  // decided_at is taken from the clock).
  const auto adopt_1 = PartnerDecision(intl::SIDE_DECISION_ADOPTED, "ANR-AWD-1", &approved);
  ASSERT_OK_AND_ASSIGN(auto decided_1, api().Post<intl::PartnerJointProposal>(
                                           anr, JointCallPath(joint) + "/proposals/" + id_1 + "/partner-decision",
                                           adopt_1));
  EXPECT_EQ(decided_1.state(), intl::JOINT_PROPOSAL_STATE_DECIDED);
  EXPECT_EQ(decided_1.decision().outcome(), intl::JOINT_OUTCOME_ADOPTED);
  ASSERT_OK_AND_ASSIGN(auto decided_2, api().Post<intl::PartnerJointProposal>(
                                           anr, JointCallPath(joint) + "/proposals/" + id_2 + "/partner-decision",
                                           PartnerDecision(intl::SIDE_DECISION_ADOPTED, "ANR-AWD-2", &approved)));
  EXPECT_EQ(decided_2.decision().outcome(), intl::JOINT_OUTCOME_REJECTED_BY_JST);
  // The same decision again changes nothing; a contradicting one is refused.
  ASSERT_OK(api()
                .Post<intl::PartnerJointProposal>(anr,
                                                  JointCallPath(joint) + "/proposals/" + id_1 + "/partner-decision",
                                                  adopt_1)
                .status());
  auto contradiction = PartnerDecision(intl::SIDE_DECISION_REJECTED, "ANR-AWD-1-REVERSED", nullptr);
  ASSERT_OK_AND_ASSIGN(
      auto refused,
      api().Error(409, anr, "POST", JointCallPath(joint) + "/proposals/" + id_1 + "/partner-decision", contradiction));
  EXPECT_EQ(refused.code, "FAILED_PRECONDITION");
  ASSERT_OK_AND_ASSIGN(auto decisions,
                       api().Get<intl::ListJointDecisionsResponse>(anr, JointCallPath(joint) + "/decisions"));
  ASSERT_EQ(decisions.decisions_size(), 2);
  EXPECT_EQ(decisions.decisions(0).decision().outcome(), intl::JOINT_OUTCOME_ADOPTED);
  EXPECT_EQ(decisions.decisions(1).decision().outcome(), intl::JOINT_OUTCOME_REJECTED_BY_JST);

  // Only the joint adoption becomes a project, and funds allocates it.
  ASSERT_OK_AND_ASSIGN(auto project, WaitForProject(api(), po, kProgram, app_1.application_id()));
  EXPECT_TRUE(project.joint_call());
  EXPECT_EQ(project.pi_subject(), applicant_1.subject);
  EXPECT_EQ(project.state(), projects::v1::PROJECT_STATE_CONTRACTING);
  ASSERT_OK(WaitForAllocations(api(), finance, project.project_id(), [&](const auto& list) {
              return AllocationsMatchPlan(list, app_1, 30, true);
            }).status());
  ASSERT_OK_AND_ASSIGN(project, ContractAndActivate(api(), op, project));
  ASSERT_OK(WaitForAllocations(api(), finance, project.project_id(), [&](const auto& list) {
              return AllocationsMatchPlan(list, app_1, 30, false);
            }).status());
  ASSERT_OK_AND_ASSIGN(auto program_projects, api().Get<projects::v1::ListProjectsResponse>(
                                                  po, std::string("/v1/projects?programId=") + kProgram));
  int of_this_call = 0;
  for (const auto& p : program_projects.projects()) of_this_call += p.call_id() == call.call_id();
  EXPECT_EQ(of_this_call, 1);

  // The operator revokes ANR's key, which the gateway has just admitted (and
  // remembers): once that answer expires (the Platform's partner-key TTL)
  // the key is refused; DFG's is not.
  ASSERT_OK(api().Get<intl::ListJointCallsResponse>(anr, "/v1/joint-calls").status());
  intl::RevokePartnerCredentialRequest revoke;
  revoke.set_reason("exchange system replaced");
  revoke.set_idempotency_key("revoke-anr-exchange");
  ASSERT_OK_AND_ASSIGN(auto anr_agency,
                       api().Post<intl::PartnerAgency>(op, anr_credential_path + ":revoke", revoke));
  const intl::PartnerCredential* revoked = CredentialOf(anr_agency, anr_key.credential_id);
  ASSERT_NE(revoked, nullptr);
  EXPECT_TRUE(revoked->has_revoke_time());
  EXPECT_EQ(revoked->revoke_reason(), "exchange system replaced");
  EXPECT_EQ(anr_agency.credentials_size(), 1) << "ANR's refused requests issued no key";
  ASSERT_OK_AND_ASSIGN(auto after_revoke, Eventually<ApiError>("ANR's revoked key refused", [&] {
                         return api().Error(401, anr, "GET", "/v1/joint-calls");
                       }));
  EXPECT_EQ(after_revoke.code, "UNAUTHENTICATED");
  EXPECT_THAT(after_revoke.message, HasSubstr("unknown, revoked or expired partner API key"));
  ASSERT_OK(api()
                .Error(401, anr, "POST", JointCallPath(joint) + "/proposals/" + id_1 + "/partner-decision", adopt_1)
                .status());
  ASSERT_OK(api().Get<intl::ListJointCallsResponse>(dfg, "/v1/joint-calls").status());

  ExpectSentRequestsDocumented();
}

TEST_F(E2eTest, SatrepsProjectIsHeldUntilTheRecordOfDiscussions) {
  constexpr char kProgram[] = "satreps";
  const Caller op = As("operator", "satreps-operator");
  const Caller po = As("program_officer", "satreps-po");
  const Caller finance = As("finance_officer", "satreps-finance");
  const Caller jica = As("partner", "jica-exchange", "JICA");
  const Caller applicant = As("applicant", "satreps-applicant");
  const std::vector<Caller> reviewers = {As("reviewer", "satreps-reviewer-1"), As("reviewer", "satreps-reviewer-2")};
  const std::string keyword = "防災-satreps";

  ASSERT_OK(api()
                .Post<intl::PartnerAgency>(op, "/v1/partner-agencies?idempotencyKey=agency-JICA",
                                           Agency("JICA", "Japan International Cooperation Agency", "JP", "JPY"))
                .status());
  ASSERT_OK_AND_ASSIGN(
      const calls::v1::Call call,
      OpenCall(api(), op, "satreps-e2e",
               InternationalCall(kProgram, "JICA", "SATREPS 防災分野 研究提案募集",
                                 {calls::v1::REVIEW_STAGE_DOCUMENT, calls::v1::REVIEW_STAGE_INTERVIEW})));
  ASSERT_OK_AND_ASSIGN(
      const intl::JointCall joint,
      api().Post<intl::JointCall>(op, "/v1/joint-calls?idempotencyKey=satreps-joint",
                                  JointCallFor(call, intl::JOINT_CALL_TYPE_SATREPS, "JST-JICA SATREPS 2026")));
  EXPECT_EQ(joint.type(), intl::JOINT_CALL_TYPE_SATREPS);
  for (const Caller& r : reviewers)
    ASSERT_OK(CreateReviewer(api(), op, r, {}, {keyword}, "https://ror.org/00p4k0j84").status());

  const std::string id = "SATREPS-ID-001";
  ASSERT_OK_AND_ASSIGN(auto draft, Draft(api(), applicant, call.call_id(),
                                         JstApplication("インドネシアにおける地震・津波防災", "42000001", id, keyword,
                                                        36, 3, 30'000'000)));
  ASSERT_OK_AND_ASSIGN(const auto app, Submit(api(), applicant, draft.application_id()));
  auto partner_side = PartnerProposal(id, "JICA-ID-2026-07", "ID", Money("JPY", 300'000'000));
  partner_side.mutable_satreps()->set_requesting_country_code("ID");
  partner_side.mutable_satreps()->set_requesting_ministry("Ministry of Research and Technology");
  partner_side.mutable_satreps()->set_oda_request_reference("ODA-ID-2026-113");
  ASSERT_OK(api()
                .Post<intl::PartnerJointProposal>(
                    jica, JointCallPath(joint) + "/partner-proposals?idempotencyKey=file-satreps", partner_side)
                .status());

  // The JST side: document and interview review, adoption.
  ASSERT_OK(LoadBudgets(api(), finance, kProgram,
                        {CurrentFiscalYear(), CurrentFiscalYear() + 1, CurrentFiscalYear() + 2}, kBudgetPerYear));
  ASSERT_OK(CloseCall(api(), op, call.call_id()).status());
  ASSERT_OK_AND_ASSIGN(auto cases,
                       WaitForAssignments(api(), po, call.call_id(), 1, calls::v1::REVIEW_STAGE_DOCUMENT, 2));
  const std::string case_id = cases.at(0).case_id();
  auto five = [](const std::string&) { return 5; };
  ASSERT_OK_AND_ASSIGN(int reviewed,
                       ReviewAll(api(), reviewers, call.call_id(), kProgram, calls::v1::REVIEW_STAGE_DOCUMENT, five));
  EXPECT_EQ(reviewed, 2);
  ASSERT_OK(Shortlist(api(), po, case_id).status());
  ASSERT_OK_AND_ASSIGN(auto run, SolveStage(api(), po, call.call_id(), calls::v1::REVIEW_STAGE_INTERVIEW));
  EXPECT_EQ(run.run().fully_covered(), 1);
  ASSERT_OK_AND_ASSIGN(reviewed,
                       ReviewAll(api(), reviewers, call.call_id(), kProgram, calls::v1::REVIEW_STAGE_INTERVIEW, five));
  EXPECT_EQ(reviewed, 2);
  ASSERT_OK(Shortlist(api(), po, case_id).status());
  ASSERT_OK(Decide(api(), po, case_id, true, "相手国の要請と合致 / matches the partner government's request").status());

  // JICA adopts too; the adoption waits for the R/D.
  const std::string proposal_path = JointCallPath(joint) + "/proposals/" + id;
  ASSERT_OK(Eventually<intl::JointProposal>("the JST decision at international", [&] {
              auto p = api().Get<intl::JointProposal>(po, proposal_path);
              if (p.ok() && p->jst().decision().decision() != intl::SIDE_DECISION_ADOPTED) {
                return absl::StatusOr<intl::JointProposal>(absl::UnavailableError(p->DebugString()));
              }
              return p;
            }).status());
  const common::v1::Money approved = Money("JPY", 280'000'000);
  ASSERT_OK_AND_ASSIGN(auto held, api().Post<intl::PartnerJointProposal>(
                                      jica, proposal_path + "/partner-decision",
                                      PartnerDecision(intl::SIDE_DECISION_ADOPTED, "JICA-AWD-2026-07", &approved)));
  EXPECT_EQ(held.state(), intl::JOINT_PROPOSAL_STATE_AWAITING_RECORD_OF_DISCUSSIONS);
  EXPECT_TRUE(held.decision().held_for_record_of_discussions());
  EXPECT_FALSE(held.decision().has_published_at());
  ASSERT_OK_AND_ASSIGN(auto before_rd, api().Get<projects::v1::ListProjectsResponse>(
                                           po, std::string("/v1/projects?programId=") + kProgram));
  for (const auto& p : before_rd.projects()) {
    EXPECT_NE(p.application_id(), app.application_id()) << "a project started before the R/D";
  }

  // The R/D signed by JICA and the partner government releases it.
  intl::RecordRecordOfDiscussionsRequest rd;
  rd.mutable_record_of_discussions()->set_reference("R/D JICA-ID 2026-07");
  *rd.mutable_record_of_discussions()->mutable_signed_at() = ToTimestamp(absl::Now() - absl::Hours(2));
  rd.mutable_record_of_discussions()->add_signatories("JICA Indonesia Office");
  rd.mutable_record_of_discussions()->add_signatories("Ministry of Research and Technology");
  rd.set_idempotency_key("satreps-rd");
  ASSERT_OK_AND_ASSIGN(auto released,
                       api().Post<intl::PartnerJointProposal>(jica, proposal_path + "/record-of-discussions", rd));
  EXPECT_EQ(released.state(), intl::JOINT_PROPOSAL_STATE_DECIDED);
  EXPECT_EQ(released.decision().outcome(), intl::JOINT_OUTCOME_ADOPTED);
  EXPECT_FALSE(released.decision().held_for_record_of_discussions());
  EXPECT_TRUE(released.decision().has_published_at());
  EXPECT_EQ(released.record_of_discussions().reference(), "R/D JICA-ID 2026-07");

  ASSERT_OK_AND_ASSIGN(auto project, WaitForProject(api(), po, kProgram, app.application_id()));
  EXPECT_TRUE(project.joint_call());
  EXPECT_EQ(project.research_period().months(), 36);
  ASSERT_OK(WaitForAllocations(api(), finance, project.project_id(), [&](const auto& list) {
              return AllocationsMatchPlan(list, app, 30, true);
            }).status());

  ExpectSentRequestsDocumented();
}

}  // namespace
}  // namespace tane::e2e
