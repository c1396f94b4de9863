#include "tane/international/service.h"

#include <algorithm>
#include <functional>

#include "absl/strings/str_cat.h"
#include "repository.h"
#include "tane/bus/consumer.h"
#include "tane/core/errors.h"
#include "tane/core/ids.h"
#include "tane/international/audit.h"
#include "tane/international/batch.h"
#include "tane/international/joint_call.h"
#include "tane/international/proposal.h"
#include "tane/international/registry.h"
#include "tane/international/views.h"
#include "tane/runtime/status.h"
#include "tane/store/sharded_index.h"
#include "tane/telemetry/log.h"

namespace tane::international {

using service::Repository;

namespace {

constexpr char kService[] = "international";
constexpr int kDefaultPageSize = 50;
constexpr int kMaxPageSize = 500;
constexpr int kImportAttempts = 5;

Context DomainContext(const runtime::RequestContext& rc) {
  Context ctx;
  ctx.actor.set_subject(rc.caller.subject);
  ctx.actor.set_role(rc.caller.role);
  ctx.actor.set_agency(rc.caller.agency);
  ctx.now = rc.now;
  return ctx;
}

// The domain context of a consumed event.
Context EventContext(const runtime::RequestContext& rc) {
  Context ctx = DomainContext(rc);
  ctx.channel = v1::CHANNEL_EVENT;
  return ctx;
}

absl::Status NoJointCall(const std::string& id) {
  return absl::NotFoundError(absl::StrCat("no joint call ", id));
}

absl::Status NoAgency(const std::string& code) {
  return absl::NotFoundError(absl::StrCat("no partner agency ", code));
}

// One page of `items` (ordered by `key`) after the token's key.
template <typename T>
struct Page {
  std::vector<T> items;
  std::string next_page_token;
};

template <typename T>
absl::StatusOr<Page<T>> Paginate(std::vector<T> items,
                                 const std::function<std::string(const T&)>& key, int page_size,
                                 const std::string& page_token) {
  if (page_size < 0) {
    core::Violations v;
    v.Add("page_size", "must not be negative");
    return v.ToStatus();
  }
  const int limit = page_size == 0 ? kDefaultPageSize : std::min(page_size, kMaxPageSize);
  std::string after;
  if (!page_token.empty()) {
    auto decoded = store::DecodePageToken(page_token);
    if (!decoded.ok()) return decoded.status();
    after = *decoded;
  }
  Page<T> page;
  for (auto& item : items) {
    if (!after.empty() && key(item) <= after) continue;
    if (static_cast<int>(page.items.size()) == limit) {
      page.next_page_token = store::EncodePageToken(key(page.items.back()));
      break;
    }
    page.items.push_back(std::move(item));
  }
  return page;
}

// A list response holding one page of `items` in `field`.
template <typename Response, typename T, typename Request>
absl::StatusOr<Response> PagedResponse(
    std::vector<T> items, const std::function<std::string(const T&)>& key, const Request& request,
    google::protobuf::RepeatedPtrField<T>* (Response::*field)()) {
  auto page = Paginate<T>(std::move(items), key, request.page_size(), request.page_token());
  if (!page.ok()) return page.status();
  Response out;
  for (auto& item : page->items) *(out.*field)()->Add() = std::move(item);
  out.set_next_page_token(page->next_page_token);
  return out;
}

std::string ProposalKey(const v1::JointProposal& p) { return p.joint_proposal_id(); }

absl::Status Refusal(const v1::ExchangeResult& result) {
  return absl::Status(static_cast<absl::StatusCode>(result.refusal_code()),
                      result.refusal_message());
}

// The joint call (visible to the caller) and its partner agency.
struct CallAndAgency {
  v1::JointCall call;
  v1::PartnerAgency agency;
};

absl::StatusOr<CallAndAgency> LoadCallFor(Repository& repo, const Context& ctx,
                                          const std::string& joint_call_id) {
  auto call = repo.JointCall(joint_call_id);
  if (!call.ok()) return call.status();
  if (!call->exists()) return NoJointCall(joint_call_id);
  if (auto s = AuthorizeJointCall(ctx.actor, call->value); !s.ok()) return s;
  auto agency = repo.Agency(call->value.partner_agency());
  if (!agency.ok()) return agency.status();
  if (!agency->exists()) {
    return absl::InternalError(absl::StrCat("joint call ", joint_call_id, " names partner agency ",
                                            call->value.partner_agency(), ", which is not stored"));
  }
  return CallAndAgency{call->value, agency->value.agency()};
}

using ProposalDecide = std::function<absl::StatusOr<Transition>(const CallAndAgency&,
                                                                const v1::JointProposal* current)>;

// Runs a command on an existing partner agency: `change` turns the stored
// record into the mutation.
template <typename Response>
absl::StatusOr<Response> AgencyCommand(
    runtime::ServiceKit& kit, Repository& repo, const runtime::RequestContext& rc,
    const std::string& code, const google::protobuf::Message& request,
    const std::string& idempotency_key,
    const std::function<absl::StatusOr<runtime::Mutation<Response>>(
        const runtime::Loaded<v1::PartnerAgencyRecord>&)>& change) {
  if (code.empty()) return NoAgency(code);
  runtime::CommandKey key{code, idempotency_key, rc.caller.subject, &request};
  return runtime::RunCommand<Response>(kit.store(), key,
                                       [&]() -> absl::StatusOr<runtime::Mutation<Response>> {
                                         auto loaded = repo.Agency(code);
                                         if (!loaded.ok()) return loaded.status();
                                         if (!loaded->exists()) return NoAgency(code);
                                         return change(*loaded);
                                       });
}

// Runs one exchange command on a joint proposal: loads it, lets `decide`
// make the transition, commits it (the flag of a refused contradiction too)
// and answers with the partner view, or the refusal.
absl::StatusOr<v1::PartnerJointProposal> RunExchange(runtime::ServiceKit& kit, Repository& repo,
                                                     const runtime::RequestContext& rc,
                                                     const CallAndAgency& ca,
                                                     const std::string& joint_proposal_id,
                                                     const std::string& idempotency_key,
                                                     const google::protobuf::Message& request,
                                                     const ProposalDecide& decide) {
  const std::string aggregate =
      JointProposalAggregateId(ca.call.joint_call_id(), joint_proposal_id);
  runtime::CommandKey key{aggregate, idempotency_key, rc.caller.subject, &request};
  const std::vector<v1::DataScope> scopes = EffectiveScopes(ca.agency, ca.call);
  auto result = runtime::RunCommand<v1::ExchangeResult>(
      kit.store(), key, [&]() -> absl::StatusOr<runtime::Mutation<v1::ExchangeResult>> {
        auto current = repo.Proposal(ca.call.joint_call_id(), joint_proposal_id);
        if (!current.ok()) return current.status();
        auto t = decide(ca, current->exists() ? &current->value : nullptr);
        if (!t.ok()) return t.status();
        runtime::Mutation<v1::ExchangeResult> m;
        if (t->changed) {
          m.commit = repo.ProposalCommit(rc, t->proposal, current->version, t->events);
        } else {
          m.commit.shard_key = aggregate;
        }
        *m.response.mutable_proposal() = PartnerViewOf(t->proposal, scopes);
        if (!t->refusal.ok()) {
          m.response.set_refusal_code(static_cast<int>(t->refusal.code()));
          m.response.set_refusal_message(std::string(t->refusal.message()));
        }
        return m;
      });
  if (!result.ok()) return result.status();
  if (result->refusal_code() != 0) return Refusal(*result);
  return result->proposal();
}

}  // namespace

InternationalService::InternationalService(runtime::ServiceKit& kit)
    : kit_(kit), repo_(std::make_unique<Repository>(kit)) {}

InternationalService::~InternationalService() = default;

template <typename Response, typename Body>
grpc::Status InternationalService::Serve(grpc::ServerContext* context, const char* action,
                                         Exchange exchange, Response* out, Body body) {
  auto rc = kit_.Begin(*context);
  if (!rc.ok()) return runtime::ToGrpcStatus(rc.status());
  telemetry::ScopedTraceId trace(rc->trace_id);
  absl::StatusOr<Response> result = body(*rc, exchange);
  const Context ctx = DomainContext(*rc);
  if (IsAuditedExchange(ctx.actor, action)) {
    const v1::AuditRecord record = NewAuditRecord(
        core::NewUuid(), ctx, action, exchange.partner_agency, exchange.joint_call_id,
        exchange.joint_proposal_id, result.status(), exchange.details);
    if (auto s = repo_->WriteAudit(*rc, record); !s.ok()) {
      // The exchange itself happened (or was refused); losing its audit line
      // must be visible to operators, and the caller learns it could not be kept.
      telemetry::LogError("audit record not written",
                          {{"action", action}, {"audit_id", record.audit_id()}, {"error", s}});
      if (result.ok()) return runtime::ToGrpcStatus(s);
    }
  }
  return runtime::Reply(std::move(result), out);
}

// ---------------------------------------------------------------- registry

grpc::Status InternationalService::CreatePartnerAgency(
    grpc::ServerContext* context, const v1::CreatePartnerAgencyRequest* request,
    v1::PartnerAgency* response) {
  return Serve(
      context, "CreatePartnerAgency", {}, response,
      [&](const runtime::RequestContext& rc, Exchange&) -> absl::StatusOr<v1::PartnerAgency> {
        const Context ctx = DomainContext(rc);
        const std::string& code = request->partner_agency().agency_code();
        if (code.empty()) {
          auto invalid = international::CreatePartnerAgency(nullptr, *request, ctx);
          return invalid.status();
        }
        runtime::CommandKey key{code, request->idempotency_key(), rc.caller.subject, request};
        return runtime::RunCommand<v1::PartnerAgency>(
            kit_.store(), key, [&]() -> absl::StatusOr<runtime::Mutation<v1::PartnerAgency>> {
              auto loaded = repo_->Agency(code);
              if (!loaded.ok()) return loaded.status();
              auto change = international::CreatePartnerAgency(
                  loaded->exists() ? &loaded->value : nullptr, *request, ctx);
              if (!change.ok()) return change.status();
              return runtime::Mutation<v1::PartnerAgency>{repo_->AgencyCommit(change->record, 0),
                                                          change->record.agency()};
            });
      });
}

grpc::Status InternationalService::GetPartnerAgency(grpc::ServerContext* context,
                                                    const v1::GetPartnerAgencyRequest* request,
                                                    v1::PartnerAgency* response) {
  return Serve(
      context, "GetPartnerAgency", Exchange::OfAgency(request->agency_code()), response,
      [&](const runtime::RequestContext& rc, Exchange&) -> absl::StatusOr<v1::PartnerAgency> {
        auto loaded = repo_->Agency(request->agency_code());
        if (!loaded.ok()) return loaded.status();
        if (!loaded->exists()) return NoAgency(request->agency_code());
        if (auto s = AuthorizeAgencyRead(DomainContext(rc).actor, loaded->value.agency());
            !s.ok()) {
          return s;
        }
        return loaded->value.agency();
      });
}

grpc::Status InternationalService::ListPartnerAgencies(
    grpc::ServerContext* context, const v1::ListPartnerAgenciesRequest* request,
    v1::ListPartnerAgenciesResponse* response) {
  return Serve(context, "ListPartnerAgencies", {}, response,
               [&](const runtime::RequestContext&,
                   Exchange&) -> absl::StatusOr<v1::ListPartnerAgenciesResponse> {
                 auto records = repo_->Agencies();
                 if (!records.ok()) return records.status();
                 std::vector<v1::PartnerAgency> agencies;
                 for (const auto& r : *records) agencies.push_back(r.agency());
                 return PagedResponse<v1::ListPartnerAgenciesResponse, v1::PartnerAgency>(
                     std::move(agencies), [](const auto& a) { return a.agency_code(); }, *request,
                     &v1::ListPartnerAgenciesResponse::mutable_partner_agencies);
               });
}

grpc::Status InternationalService::UpdatePartnerAgency(
    grpc::ServerContext* context, const v1::UpdatePartnerAgencyRequest* request,
    v1::PartnerAgency* response) {
  const std::string& code = request->partner_agency().agency_code();
  return Serve(
      context, "UpdatePartnerAgency", Exchange::OfAgency(code), response,
      [&](const runtime::RequestContext& rc, Exchange&) -> absl::StatusOr<v1::PartnerAgency> {
        return AgencyCommand<v1::PartnerAgency>(
            kit_, *repo_, rc, code, *request, request->idempotency_key(),
            [&](const auto& loaded) -> absl::StatusOr<runtime::Mutation<v1::PartnerAgency>> {
              auto change =
                  international::UpdatePartnerAgency(loaded.value, *request, DomainContext(rc));
              if (!change.ok()) return change.status();
              return runtime::Mutation<v1::PartnerAgency>{
                  repo_->AgencyCommit(change->record, loaded.version), change->record.agency()};
            });
      });
}

grpc::Status InternationalService::IssuePartnerCredential(
    grpc::ServerContext* context, const v1::IssuePartnerCredentialRequest* request,
    v1::IssuePartnerCredentialResponse* response) {
  const std::string& code = request->agency_code();
  return Serve(
      context, "IssuePartnerCredential", Exchange::OfAgency(code), response,
      [&](const runtime::RequestContext& rc,
          Exchange&) -> absl::StatusOr<v1::IssuePartnerCredentialResponse> {
        // Made before the command so that a retry after a lost answer (the
        // stored result, which never holds the key) cannot be mistaken for it.
        const CredentialMaterial material = RandomCredentialMaterial();
        std::string api_key;
        auto issued = AgencyCommand<v1::IssuePartnerCredentialResponse>(
            kit_, *repo_, rc, code, *request, request->idempotency_key(),
            [&](const auto& loaded)
                -> absl::StatusOr<runtime::Mutation<v1::IssuePartnerCredentialResponse>> {
              auto result = IssueCredential(loaded.value, *request, material, DomainContext(rc));
              if (!result.ok()) return result.status();
              api_key = result->api_key;
              std::vector<std::string> digests;
              if (request->kind() == v1::CREDENTIAL_KIND_CLIENT_CERTIFICATE) {
                digests.push_back(CertificateIdentityDigestHex(request->certificate_identity()));
              }
              runtime::Mutation<v1::IssuePartnerCredentialResponse> m{
                  repo_->AgencyCommit(result->change.record, loaded.version,
                                      {material.credential_id}, digests),
                  {}};
              *m.response.mutable_credential() = result->credential;
              *m.response.mutable_partner_agency() = result->change.record.agency();
              return m;
            });
        if (!issued.ok()) return issued.status();
        if (issued->credential().credential_id() == material.credential_id) {
          issued->set_api_key(api_key);
        }
        return issued;
      });
}

grpc::Status InternationalService::RevokePartnerCredential(
    grpc::ServerContext* context, const v1::RevokePartnerCredentialRequest* request,
    v1::PartnerAgency* response) {
  const std::string& code = request->agency_code();
  return Serve(
      context, "RevokePartnerCredential", Exchange::OfAgency(code), response,
      [&](const runtime::RequestContext& rc, Exchange&) -> absl::StatusOr<v1::PartnerAgency> {
        return AgencyCommand<v1::PartnerAgency>(
            kit_, *repo_, rc, code, *request, request->idempotency_key(),
            [&](const auto& loaded) -> absl::StatusOr<runtime::Mutation<v1::PartnerAgency>> {
              auto change = RevokeCredential(loaded.value, *request, DomainContext(rc));
              if (!change.ok()) return change.status();
              runtime::Mutation<v1::PartnerAgency> m{{}, change->record.agency()};
              if (change->changed) {
                m.commit = repo_->AgencyCommit(change->record, loaded.version);
              } else {
                m.commit.shard_key = code;
              }
              return m;
            });
      });
}

grpc::Status InternationalService::AuthenticatePartner(
    grpc::ServerContext* context, const v1::AuthenticatePartnerRequest* request,
    v1::AuthenticatePartnerResponse* response) {
  return Serve(context, "AuthenticatePartner", {}, response,
               [&](const runtime::RequestContext& rc,
                   Exchange&) -> absl::StatusOr<v1::AuthenticatePartnerResponse> {
                 const absl::Status invalid =
                     absl::UnauthenticatedError("invalid partner credential");
                 absl::StatusOr<std::string> code = std::string();
                 if (request->has_api_key()) {
                   auto id = CredentialIdOfApiKey(request->api_key());
                   if (!id.ok()) return invalid;
                   code = repo_->AgencyOfCredential(*id);
                 } else if (request->has_certificate_identity()) {
                   code = repo_->AgencyOfCertificate(
                       CertificateIdentityDigestHex(request->certificate_identity()));
                 }
                 if (!code.ok()) return code.status();
                 if (code->empty()) return invalid;
                 auto loaded = repo_->Agency(*code);
                 if (!loaded.ok()) return loaded.status();
                 if (!loaded->exists()) return invalid;
                 return Authenticate(loaded->value, *request, rc.now);
               });
}

// ---------------------------------------------------------------- joint calls

grpc::Status InternationalService::CreateJointCall(grpc::ServerContext* context,
                                                   const v1::CreateJointCallRequest* request,
                                                   v1::JointCall* response) {
  const v1::JointCall& given = request->joint_call();
  return Serve(
      context, "CreateJointCall", Exchange::OfAgency(given.partner_agency()), response,
      [&](const runtime::RequestContext& rc, Exchange&) -> absl::StatusOr<v1::JointCall> {
        const Context ctx = DomainContext(rc);
        if (given.call_id().empty())
          return international::CreateJointCall(nullptr, nullptr, *request, ctx);
        const std::string id = JointCallIdFor(given.call_id());
        runtime::CommandKey key{id, request->idempotency_key(), rc.caller.subject, request};
        return runtime::RunCommand<v1::JointCall>(
            kit_.store(), key, [&]() -> absl::StatusOr<runtime::Mutation<v1::JointCall>> {
              auto existing = repo_->JointCall(id);
              if (!existing.ok()) return existing.status();
              absl::StatusOr<runtime::Loaded<v1::PartnerAgencyRecord>> agency =
                  runtime::Loaded<v1::PartnerAgencyRecord>{};
              if (!given.partner_agency().empty()) agency = repo_->Agency(given.partner_agency());
              if (!agency.ok()) return agency.status();
              auto call = international::CreateJointCall(
                  existing->exists() ? &existing->value : nullptr,
                  agency->exists() ? &agency->value.agency() : nullptr, *request, ctx);
              if (!call.ok()) return call.status();
              return runtime::Mutation<v1::JointCall>{repo_->JointCallCommit(*call), *call};
            });
      });
}

grpc::Status InternationalService::GetJointCall(grpc::ServerContext* context,
                                                const v1::GetJointCallRequest* request,
                                                v1::JointCall* response) {
  return Serve(context, "GetJointCall", Exchange::OfCall(request->joint_call_id()), response,
               [&](const runtime::RequestContext& rc, Exchange&) -> absl::StatusOr<v1::JointCall> {
                 auto call = repo_->JointCall(request->joint_call_id());
                 if (!call.ok()) return call.status();
                 if (!call->exists()) return NoJointCall(request->joint_call_id());
                 if (auto s = AuthorizeJointCall(DomainContext(rc).actor, call->value); !s.ok())
                   return s;
                 return call->value;
               });
}

grpc::Status InternationalService::ListJointCalls(grpc::ServerContext* context,
                                                  const v1::ListJointCallsRequest* request,
                                                  v1::ListJointCallsResponse* response) {
  return Serve(context, "ListJointCalls", {}, response,
               [&](const runtime::RequestContext& rc,
                   Exchange&) -> absl::StatusOr<v1::ListJointCallsResponse> {
                 auto calls = repo_->JointCalls();
                 if (!calls.ok()) return calls.status();
                 return PagedResponse<v1::ListJointCallsResponse, v1::JointCall>(
                     VisibleJointCalls(DomainContext(rc).actor, *calls, *request),
                     Repository::JointCallOrder, *request,
                     &v1::ListJointCallsResponse::mutable_joint_calls);
               });
}

// ------------------------------------------------------- staff proposal views

grpc::Status InternationalService::ListJointProposals(grpc::ServerContext* context,
                                                      const v1::ListJointProposalsRequest* request,
                                                      v1::ListJointProposalsResponse* response) {
  return Serve(context, "ListJointProposals", Exchange::OfCall(request->joint_call_id()), response,
               [&](const runtime::RequestContext&,
                   Exchange&) -> absl::StatusOr<v1::ListJointProposalsResponse> {
                 auto call = repo_->JointCall(request->joint_call_id());
                 if (!call.ok()) return call.status();
                 if (!call->exists()) return NoJointCall(request->joint_call_id());
                 auto proposals = repo_->CallProposals(request->joint_call_id());
                 if (!proposals.ok()) return proposals.status();
                 return PagedResponse<v1::ListJointProposalsResponse, v1::JointProposal>(
                     FilterJointProposals(*std::move(proposals), *request), ProposalKey, *request,
                     &v1::ListJointProposalsResponse::mutable_joint_proposals);
               });
}

grpc::Status InternationalService::GetJointProposal(grpc::ServerContext* context,
                                                    const v1::GetJointProposalRequest* request,
                                                    v1::JointProposal* response) {
  const std::string id = NormalizeJointProposalId(request->joint_proposal_id());
  return Serve(context, "GetJointProposal", Exchange::OfCall(request->joint_call_id(), id),
               response,
               [&](const runtime::RequestContext&, Exchange&) -> absl::StatusOr<v1::JointProposal> {
                 auto p = repo_->Proposal(request->joint_call_id(), id);
                 if (!p.ok()) return p.status();
                 if (!p->exists()) {
                   return absl::NotFoundError(absl::StrCat("joint call ", request->joint_call_id(),
                                                           " has no joint proposal ", id));
                 }
                 return p->value;
               });
}

grpc::Status InternationalService::GetMatchingReport(grpc::ServerContext* context,
                                                     const v1::GetMatchingReportRequest* request,
                                                     v1::MatchingReport* response) {
  return Serve(
      context, "GetMatchingReport", Exchange::OfCall(request->joint_call_id()), response,
      [&](const runtime::RequestContext&, Exchange&) -> absl::StatusOr<v1::MatchingReport> {
        auto call = repo_->JointCall(request->joint_call_id());
        if (!call.ok()) return call.status();
        if (!call->exists()) return NoJointCall(request->joint_call_id());
        auto proposals = repo_->CallProposals(request->joint_call_id());
        if (!proposals.ok()) return proposals.status();
        return BuildMatchingReport(request->joint_call_id(), *proposals);
      });
}

// ---------------------------------------------------------- partner exchange

grpc::Status InternationalService::ListPartnerJointProposals(
    grpc::ServerContext* context, const v1::ListPartnerJointProposalsRequest* request,
    v1::ListPartnerJointProposalsResponse* response) {
  return Serve(
      context, "ListPartnerJointProposals", Exchange::OfCall(request->joint_call_id()), response,
      [&](const runtime::RequestContext& rc,
          Exchange& x) -> absl::StatusOr<v1::ListPartnerJointProposalsResponse> {
        auto ca = LoadCallFor(*repo_, DomainContext(rc), request->joint_call_id());
        if (!ca.ok()) return ca.status();
        x.partner_agency = ca->call.partner_agency();
        auto proposals = repo_->CallProposals(request->joint_call_id());
        if (!proposals.ok()) return proposals.status();
        const std::vector<v1::DataScope> scopes = EffectiveScopes(ca->agency, ca->call);
        std::vector<v1::PartnerJointProposal> views;
        for (const auto& p : *proposals) {
          if (request->state() == v1::JOINT_PROPOSAL_STATE_UNSPECIFIED ||
              p.state() == request->state()) {
            views.push_back(PartnerViewOf(p, scopes));
          }
        }
        return PagedResponse<v1::ListPartnerJointProposalsResponse, v1::PartnerJointProposal>(
            std::move(views), [](const auto& v) { return v.joint_proposal_id(); }, *request,
            &v1::ListPartnerJointProposalsResponse::mutable_joint_proposals);
      });
}

template <typename Request, typename Decide>
grpc::Status InternationalService::ServeExchange(grpc::ServerContext* context, const char* action,
                                                 const Request& request,
                                                 const std::string& joint_call_id,
                                                 const std::string& joint_proposal_id,
                                                 v1::PartnerJointProposal* response,
                                                 Decide decide) {
  return Serve(context, action, Exchange::OfCall(joint_call_id, joint_proposal_id), response,
               [&](const runtime::RequestContext& rc,
                   Exchange& x) -> absl::StatusOr<v1::PartnerJointProposal> {
                 const Context ctx = DomainContext(rc);
                 auto ca = LoadCallFor(*repo_, ctx, joint_call_id);
                 if (!ca.ok()) return ca.status();
                 x.partner_agency = ca->call.partner_agency();
                 return RunExchange(kit_, *repo_, rc, *ca, joint_proposal_id,
                                    request.idempotency_key(), request,
                                    [&](const CallAndAgency& c, const v1::JointProposal* current) {
                                      return decide(c, current, ctx);
                                    });
               });
}

grpc::Status InternationalService::SubmitPartnerProposal(
    grpc::ServerContext* context, const v1::SubmitPartnerProposalRequest* request,
    v1::PartnerJointProposal* response) {
  return ServeExchange(
      context, "SubmitPartnerProposal", *request, request->joint_call_id(),
      NormalizeJointProposalId(request->partner_proposal().joint_proposal_id()), response,
      [&](const CallAndAgency& c, const v1::JointProposal* current,
          const Context& ctx) -> absl::StatusOr<Transition> {
        auto holder = repo_->PartnerReferenceHolder(
            c.call.joint_call_id(), request->partner_proposal().partner_reference_id());
        if (!holder.ok()) return holder.status();
        return international::SubmitPartnerProposal(c.call, c.agency, current, *holder, *request,
                                                    ctx);
      });
}

grpc::Status InternationalService::RecordPartnerDecision(
    grpc::ServerContext* context, const v1::RecordPartnerDecisionRequest* request,
    v1::PartnerJointProposal* response) {
  return ServeExchange(
      context, "RecordPartnerDecision", *request, request->joint_call_id(),
      NormalizeJointProposalId(request->joint_proposal_id()), response,
      [&](const CallAndAgency& c, const v1::JointProposal* current, const Context& ctx) {
        return international::RecordPartnerDecision(c.call, c.agency, current, *request, ctx);
      });
}

grpc::Status InternationalService::RecordRecordOfDiscussions(
    grpc::ServerContext* context, const v1::RecordRecordOfDiscussionsRequest* request,
    v1::PartnerJointProposal* response) {
  return ServeExchange(
      context, "RecordRecordOfDiscussions", *request, request->joint_call_id(),
      NormalizeJointProposalId(request->joint_proposal_id()), response,
      [&](const CallAndAgency& c, const v1::JointProposal* current, const Context& ctx) {
        return international::RecordRecordOfDiscussions(c.call, current, *request, ctx);
      });
}

grpc::Status InternationalService::ListJointDecisions(grpc::ServerContext* context,
                                                      const v1::ListJointDecisionsRequest* request,
                                                      v1::ListJointDecisionsResponse* response) {
  return Serve(context, "ListJointDecisions", Exchange::OfCall(request->joint_call_id()), response,
               [&](const runtime::RequestContext& rc,
                   Exchange& x) -> absl::StatusOr<v1::ListJointDecisionsResponse> {
                 auto ca = LoadCallFor(*repo_, DomainContext(rc), request->joint_call_id());
                 if (!ca.ok()) return ca.status();
                 x.partner_agency = ca->call.partner_agency();
                 auto proposals = repo_->CallProposals(request->joint_call_id());
                 if (!proposals.ok()) return proposals.status();
                 return PagedResponse<v1::ListJointDecisionsResponse, v1::JointDecisionEntry>(
                     JointDecisions(*proposals, request->outcome()),
                     [](const auto& e) { return e.joint_proposal_id(); }, *request,
                     &v1::ListJointDecisionsResponse::mutable_decisions);
               });
}

grpc::Status InternationalService::ImportPartnerData(grpc::ServerContext* context,
                                                     const v1::ImportPartnerDataRequest* request,
                                                     v1::ImportReport* response) {
  return Serve(
      context, "ImportPartnerData", Exchange::OfCall(request->joint_call_id()), response,
      [&](const runtime::RequestContext& rc, Exchange& x) -> absl::StatusOr<v1::ImportReport> {
        const Context ctx = DomainContext(rc);
        auto ca = LoadCallFor(*repo_, ctx, request->joint_call_id());
        if (!ca.ok()) return ca.status();
        x.partner_agency = ca->call.partner_agency();
        // The stored answer lives with the joint call; the rows' writes go to
        // their proposals, each with its own version check.
        runtime::CommandKey key{ca->call.joint_call_id(), request->idempotency_key(),
                                rc.caller.subject, request};
        auto report = runtime::RunCommand<v1::ImportReport>(
            kit_.store(), key, [&]() -> absl::StatusOr<runtime::Mutation<v1::ImportReport>> {
              absl::Status last_conflict;
              for (int attempt = 0; attempt < kImportAttempts; ++attempt) {
                auto proposals = repo_->CallProposals(ca->call.joint_call_id());
                if (!proposals.ok()) return proposals.status();
                // Rows of this file an interrupted (or earlier) run applied:
                // their effect is in the proposals, so they are not applied again.
                auto applied_lines = repo_->AppliedImportLines(*request);
                if (!applied_lines.ok()) return applied_lines.status();
                // The whole file is validated here; writes exist only for a
                // report that commits, so a bad row never leaves a part written.
                auto outcome = international::ImportPartnerData(
                    ca->call, ca->agency, ProposalBook(*proposals), *request, ctx, *applied_lines);
                if (!outcome.ok()) return outcome.status();
                // One commit per proposal, each recording its rows as applied.
                absl::Status written;
                for (const ProposalWrite& w : outcome->writes) {
                  auto committed = kit_.store().Commit(repo_->ImportCommit(rc, *request, w));
                  if (!committed.ok()) {
                    written = committed.status();
                    break;
                  }
                }
                if (absl::IsAborted(written)) {
                  last_conflict = written;  // a concurrent change: computed again, rows written
                  continue;                 // by this attempt are then skipped
                }
                if (!written.ok()) return written;
                runtime::Mutation<v1::ImportReport> m;
                m.commit.shard_key = ca->call.joint_call_id();
                m.response = outcome->report;
                return m;
              }
              return absl::AbortedError(
                  absl::StrCat("import gave up after concurrent changes; send the file again: ",
                               last_conflict.message()));
            });
        if (report.ok()) x.details = ImportAuditDetails(*report);
        return report;
      });
}

grpc::Status InternationalService::ExportJointCall(grpc::ServerContext* context,
                                                   const v1::ExportJointCallRequest* request,
                                                   v1::ExportJointCallResponse* response) {
  return Serve(context, "ExportJointCall", Exchange::OfCall(request->joint_call_id()), response,
               [&](const runtime::RequestContext& rc,
                   Exchange& x) -> absl::StatusOr<v1::ExportJointCallResponse> {
                 const Context ctx = DomainContext(rc);
                 auto ca = LoadCallFor(*repo_, ctx, request->joint_call_id());
                 if (!ca.ok()) return ca.status();
                 x.partner_agency = ca->call.partner_agency();
                 auto proposals = repo_->CallProposals(request->joint_call_id());
                 if (!proposals.ok()) return proposals.status();
                 auto out = international::ExportJointCall(ca->call, ca->agency, *proposals,
                                                           *request, ctx.actor);
                 if (out.ok()) {
                   x.details = {{"rows", absl::StrCat(out->rows())},
                                {"content_sha256", out->content_sha256()}};
                 }
                 return out;
               });
}

grpc::Status InternationalService::ListAuditRecords(grpc::ServerContext* context,
                                                    const v1::ListAuditRecordsRequest* request,
                                                    v1::ListAuditRecordsResponse* response) {
  return Serve(context, "ListAuditRecords", {}, response,
               [&](const runtime::RequestContext&,
                   Exchange&) -> absl::StatusOr<v1::ListAuditRecordsResponse> {
                 if (request->page_size() < 0) {
                   core::Violations v;
                   v.Add("page_size", "must not be negative");
                   return v.ToStatus();
                 }
                 std::string cursor;
                 if (!request->page_token().empty()) {
                   auto decoded = store::DecodePageToken(request->page_token());
                   if (!decoded.ok()) return decoded.status();
                   cursor = *decoded;
                 }
                 const int limit = request->page_size() == 0
                                       ? kDefaultPageSize
                                       : std::min(request->page_size(), kMaxPageSize);
                 auto page = repo_->AuditPage(request->joint_call_id(), request->partner_agency(),
                                              cursor, limit);
                 if (!page.ok()) return page.status();
                 v1::ListAuditRecordsResponse out;
                 for (auto& r : page->first) *out.add_audit_records() = std::move(r);
                 if (!page->second.empty())
                   out.set_next_page_token(store::EncodePageToken(page->second));
                 return out;
               });
}

// ---------------------------------------------------------- consumed events

void InternationalService::RegisterEventHandlers() {
  kit_.On<calls::v1::ApplicationSubmitted>(
      [this](const common::v1::EventEnvelope& envelope, const calls::v1::ApplicationSubmitted& e) {
        return OnApplicationSubmitted(envelope, e);
      });
  kit_.On<calls::v1::ApplicationWithdrawn>(
      [this](const common::v1::EventEnvelope& envelope, const calls::v1::ApplicationWithdrawn& e) {
        return OnApplicationWithdrawn(envelope, e);
      });
  kit_.On<reviews::v1::ProposalDecided>(
      [this](const common::v1::EventEnvelope& envelope, const reviews::v1::ProposalDecided& e) {
        return OnProposalDecided(envelope, e);
      });
}

absl::Status InternationalService::OnApplicationSubmitted(
    const common::v1::EventEnvelope& envelope, const calls::v1::ApplicationSubmitted& event) {
  if (event.partner_agency().empty()) return absl::OkStatus();  // not a joint call
  const runtime::RequestContext rc =
      runtime::ContextOfEvent(envelope, kit_.clock().Now(), kService);
  const Context ctx = EventContext(rc);
  const std::string joint_call_id = JointCallIdFor(event.application().call_id());
  auto call = repo_->JointCall(joint_call_id);
  if (!call.ok()) return call.status();
  const std::string requested = RequestedJointProposalId(event);
  auto at_requested = repo_->Proposal(joint_call_id, requested);
  if (!at_requested.ok()) return at_requested.status();
  const JstKey key = JstKeyFor(event, at_requested->exists() ? &at_requested->value : nullptr);
  auto current = key.joint_proposal_id == requested
                     ? at_requested
                     : repo_->Proposal(joint_call_id, key.joint_proposal_id);
  if (!current.ok()) return current.status();
  auto t =
      ApplyApplicationSubmitted(call->exists() ? &call->value : nullptr,
                                current->exists() ? &current->value : nullptr, event, key, ctx);
  if (!t.ok()) return t.status();
  if (t->changed) {
    auto applied =
        bus::ApplyOnce(kit_.store(), envelope,
                       repo_->ProposalCommit(rc, t->proposal, current->version, t->events));
    if (!applied.ok()) return applied.status();
  }
  // JST decisions that came first wait parked. Read after the filing is
  // committed: a decision parked meanwhile by another replica is then seen
  // here, or its own look-up after parking sees the filing.
  auto parked = repo_->ParkedDecisions(event.application().application_id());
  if (!parked.ok()) return parked.status();
  for (const reviews::v1::ProposalDecided& decision : *parked) {
    if (!DecidesSubmission(decision, event)) continue;  // decided an earlier, withdrawn submission
    auto applied = ApplyJstDecisionToFiled(rc, decision, {key.joint_proposal_id});
    if (!applied.ok()) return applied.status();
  }
  return absl::OkStatus();
}

absl::Status InternationalService::OnApplicationWithdrawn(
    const common::v1::EventEnvelope& envelope, const calls::v1::ApplicationWithdrawn& event) {
  const runtime::RequestContext rc =
      runtime::ContextOfEvent(envelope, kit_.clock().Now(), kService);
  // Withdrawals of every call come here (the event does not say whether the
  // call is joint): the joint call's proposals tell.
  auto proposals = repo_->CallProposals(JointCallIdFor(event.call_id()));
  if (!proposals.ok()) return proposals.status();
  const v1::JointProposal* current = ProposalOfApplication(*proposals, event.application_id());
  auto t = ApplyApplicationWithdrawn(current, event, EventContext(rc));
  if (!t.ok()) return t.status();
  if (!t->changed) {
    // A late copy of a withdrawal, the application since submitted again
    // under another joint proposal, escapes ApplyOnce (its dedupe sits with
    // the old proposal): its time tells it apart.
    if (current != nullptr && current->has_jst() &&
        WithdrawalPrecedesSubmission(current->jst(), event)) {
      telemetry::LogInfo("stale JST application withdrawal ignored: submitted again since",
                         {{"application_id", event.application_id()},
                          {"joint_proposal_id", current->joint_proposal_id()}});
    }
    return absl::OkStatus();
  }
  auto applied = bus::ApplyOnce(kit_.store(), envelope,
                                repo_->ProposalCommit(rc, t->proposal, current->version(), {}));
  if (!applied.ok()) return applied.status();
  telemetry::LogInfo("JST application withdrawn from its joint proposal",
                     {{"application_id", event.application_id()},
                      {"joint_proposal_id", t->proposal.joint_proposal_id()}});
  return absl::OkStatus();
}

absl::Status InternationalService::OnProposalDecided(const common::v1::EventEnvelope& envelope,
                                                     const reviews::v1::ProposalDecided& event) {
  if (!event.joint_call()) return absl::OkStatus();
  if (auto s = ValidateJstDecision(event); !s.ok()) return s;
  const runtime::RequestContext rc =
      runtime::ContextOfEvent(envelope, kit_.clock().Now(), kService);
  // The JST side is filed under the joint proposal id the application gave,
  // or under its fallback key when that could not be used.
  const std::vector<std::string> keys = {NormalizeJointProposalId(event.joint_proposal_id()),
                                         FallbackJointProposalId(event.application_id())};
  auto applied = ApplyJstDecisionToFiled(rc, event, keys);
  if (!applied.ok() || *applied) return applied.status();

  // Its ApplicationSubmitted (another topic, no order across topics) has not
  // been consumed yet: park the decision for OnApplicationSubmitted rather
  // than fail it into the dead-letter topic.
  auto stored = runtime::LoadAggregate<reviews::v1::ProposalDecided>(
      kit_.store(), service::kParkedDecisionType, event.decision_id());
  if (!stored.ok()) return stored.status();
  if (!stored->exists()) {
    auto parked = kit_.store().Commit(repo_->ParkedDecisionCommit(rc, event));
    if (!parked.ok()) return parked.status();  // ABORTED: parked meanwhile; the retry sees it
    telemetry::LogInfo("JST decision parked until its application is filed",
                       {{"decision_id", event.decision_id()},
                        {"application_id", event.application_id()}});
  }
  // The application may have been filed since the look-up above, by a
  // replica that read the parked decisions before this one was parked.
  applied = ApplyJstDecisionToFiled(rc, event, keys);
  return applied.ok() ? absl::OkStatus() : applied.status();
}

absl::StatusOr<bool> InternationalService::ApplyJstDecisionToFiled(
    const runtime::RequestContext& rc, const reviews::v1::ProposalDecided& event,
    const std::vector<std::string>& joint_proposal_ids) {
  const std::string joint_call_id = JointCallIdFor(event.call_id());
  for (const std::string& id : joint_proposal_ids) {
    auto current = repo_->Proposal(joint_call_id, id);
    if (!current.ok()) return current.status();
    if (!current->exists() || !current->value.has_jst() ||
        current->value.jst().submission().application().application_id() !=
            event.application_id()) {
      continue;
    }
    auto call = repo_->JointCall(joint_call_id);
    if (!call.ok()) return call.status();
    auto t = ApplyJstDecision(call->exists() ? &call->value : nullptr, current->value, event,
                              EventContext(rc));
    if (!t.ok()) return t.status();
    if (!t->refusal.ok()) {
      telemetry::LogWarn("JST decision refused and flagged", {{"decision_id", event.decision_id()},
                                                              {"joint_proposal_id", id},
                                                              {"reason", t->refusal}});
    }
    if (t->changed) {
      // Versioned, and the decision is idempotent by content: a repeat finds
      // it recorded and changes nothing.
      auto committed = kit_.store().Commit(
          repo_->ProposalCommit(rc, t->proposal, current->version, t->events));
      if (!committed.ok()) return committed.status();
    }
    return true;
  }
  return false;
}

}  // namespace tane::international
