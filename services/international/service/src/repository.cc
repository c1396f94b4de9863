#include "repository.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "tane/international/audit.h"
#include "tane/international/credentials.h"
#include "tane/store/sharded_index.h"

namespace tane::international::service {
namespace {

constexpr char kAgencies[] = "idx:agencies";
constexpr char kJointCalls[] = "idx:joint-calls";
constexpr char kAudit[] = "idx:audit";

std::string CallProposalsKey(const std::string& id) { return "idx:jc-proposals:" + id; }
std::string CallReferencesKey(const std::string& id) { return "idx:jc-refs:" + id; }
std::string AuditRecordKey(const std::string& id) { return "audit:" + id; }
std::string ParkedDecisionsKey(const std::string& application_id) {
  return "idx:parked-jst:" + application_id;
}

std::string ImportRowsKey(const v1::ImportPartnerDataRequest& request) {
  return absl::StrCat("idx:import-rows:", request.joint_call_id(), ":",
                      Sha256Hex(request.content()), ":", static_cast<int>(request.format()), ":",
                      static_cast<int>(request.kind()));
}

absl::Time TimeOf(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixNanos(google::protobuf::util::TimeUtil::TimestampToNanoseconds(ts));
}

std::vector<std::string> IdsOf(const std::vector<std::string>& members) {
  std::vector<std::string> ids;
  ids.reserve(members.size());
  for (const auto& m : members) ids.emplace_back(store::IndexMemberId(m));
  return ids;
}

}  // namespace

absl::StatusOr<runtime::Loaded<v1::PartnerAgencyRecord>> Repository::Agency(
    const std::string& code) {
  return runtime::LoadAggregate<v1::PartnerAgencyRecord>(kit_.store(), kAgencyType, code);
}

absl::StatusOr<runtime::Loaded<v1::JointCall>> Repository::JointCall(const std::string& id) {
  return runtime::LoadAggregate<v1::JointCall>(kit_.store(), kJointCallType, id);
}

absl::StatusOr<runtime::Loaded<v1::JointProposal>> Repository::Proposal(
    const std::string& joint_call_id, const std::string& joint_proposal_id) {
  return runtime::LoadAggregate<v1::JointProposal>(
      kit_.store(), kProposalType, JointProposalAggregateId(joint_call_id, joint_proposal_id));
}

template <typename T>
absl::StatusOr<std::vector<T>> Repository::LoadAll(const std::string& type,
                                                   const std::vector<std::string>& ids) {
  auto loaded = kit_.store().LoadMany(type, ids);
  if (!loaded.ok()) return loaded.status();
  std::vector<T> out;
  for (size_t i = 0; i < loaded->size(); ++i) {
    const store::Versioned& v = (*loaded)[i];
    if (v.version == 0) continue;
    T value;
    if (!value.ParseFromString(v.data)) {
      return absl::InternalError(absl::StrCat("stored ", type, " ", ids[i], " does not parse"));
    }
    out.push_back(std::move(value));
  }
  return out;
}

absl::StatusOr<std::vector<v1::JointProposal>> Repository::CallProposals(
    const std::string& joint_call_id) {
  auto members = kit_.index().All(CallProposalsKey(joint_call_id));
  if (!members.ok()) return members.status();
  std::vector<std::string> ids;
  for (const auto& joint_proposal_id : IdsOf(*members)) {
    ids.push_back(JointProposalAggregateId(joint_call_id, joint_proposal_id));
  }
  return LoadAll<v1::JointProposal>(kProposalType, ids);
}

absl::StatusOr<std::string> Repository::FirstIdAfter(const std::string& key_suffix,
                                                     const std::string& prefix) {
  auto page = kit_.index().Page(key_suffix, prefix, 1);
  if (!page.ok()) return page.status();
  if (page->members.empty() || !page->members[0].starts_with(prefix + "|")) return std::string();
  return std::string(store::IndexMemberId(page->members[0]));
}

absl::StatusOr<std::string> Repository::PartnerReferenceHolder(const std::string& joint_call_id,
                                                               const std::string& reference) {
  return FirstIdAfter(CallReferencesKey(joint_call_id), Sha256Hex(reference));
}

absl::StatusOr<std::vector<v1::PartnerAgencyRecord>> Repository::Agencies() {
  auto members = kit_.index().All(kAgencies);
  if (!members.ok()) return members.status();
  return LoadAll<v1::PartnerAgencyRecord>(kAgencyType, IdsOf(*members));
}

absl::StatusOr<std::vector<v1::JointCall>> Repository::JointCalls() {
  auto members = kit_.index().All(kJointCalls);
  if (!members.ok()) return members.status();
  return LoadAll<v1::JointCall>(kJointCallType, IdsOf(*members));
}

absl::StatusOr<std::vector<reviews::v1::ProposalDecided>> Repository::ParkedDecisions(
    const std::string& application_id) {
  auto members = kit_.index().All(ParkedDecisionsKey(application_id));
  if (!members.ok()) return members.status();
  return LoadAll<reviews::v1::ProposalDecided>(kParkedDecisionType, IdsOf(*members));
}

absl::StatusOr<std::string> Repository::AgencyOfCredential(const std::string& credential_id) {
  auto page = kit_.index().Page("idx:credential:" + credential_id, "", 1);
  if (!page.ok()) return page.status();
  return page->members.empty() ? std::string()
                               : std::string(store::IndexMemberId(page->members[0]));
}

absl::StatusOr<std::string> Repository::AgencyOfCertificate(const std::string& digest_hex) {
  auto page = kit_.index().Page("idx:cert:" + digest_hex, "", 1);
  if (!page.ok()) return page.status();
  return page->members.empty() ? std::string()
                               : std::string(store::IndexMemberId(page->members[0]));
}

store::Commit Repository::AgencyCommit(const v1::PartnerAgencyRecord& record,
                                       int64_t expected_version,
                                       const std::vector<std::string>& new_credentials,
                                       const std::vector<std::string>& new_certificate_digests) {
  const std::string& code = record.agency().agency_code();
  store::Commit c;
  c.aggregate_type = kAgencyType;
  c.aggregate_id = code;
  c.expected_version = expected_version;
  c.data = record.SerializeAsString();
  c.index_ops.push_back(store::IndexAdd(kAgencies, code, code));
  for (const auto& id : new_credentials) {
    c.index_ops.push_back(store::IndexAdd("idx:credential:" + id, code, code));
  }
  for (const auto& digest : new_certificate_digests) {
    c.index_ops.push_back(store::IndexAdd("idx:cert:" + digest, code, code));
  }
  return c;
}

std::string Repository::JointCallOrder(const v1::JointCall& call) {
  return store::IndexMember(store::SortKeyOfTime(TimeOf(call.create_time())), call.joint_call_id());
}

store::Commit Repository::JointCallCommit(const v1::JointCall& call) {
  store::Commit c;
  c.aggregate_type = kJointCallType;
  c.aggregate_id = call.joint_call_id();
  c.expected_version = 0;
  c.data = call.SerializeAsString();
  c.index_ops.push_back(store::IndexAdd(
      kJointCalls, store::SortKeyOfTime(TimeOf(call.create_time())), call.joint_call_id()));
  return c;
}

store::Commit Repository::ProposalCommit(const runtime::RequestContext& rc,
                                         const v1::JointProposal& p, int64_t expected_version,
                                         const std::vector<Event>& events) {
  const std::string id = JointProposalAggregateId(p.joint_call_id(), p.joint_proposal_id());
  store::Commit c;
  c.aggregate_type = kProposalType;
  c.aggregate_id = id;
  c.expected_version = expected_version;
  c.data = p.SerializeAsString();
  for (const auto& e : events) c.events.push_back(rc.NewEvent(EventPayload(e), kProposalType, id));
  c.index_ops.push_back(store::IndexAdd(CallProposalsKey(p.joint_call_id()), p.joint_proposal_id(),
                                        p.joint_proposal_id()));
  if (p.has_partner()) {
    c.index_ops.push_back(store::IndexAdd(CallReferencesKey(p.joint_call_id()),
                                          Sha256Hex(p.partner().proposal().partner_reference_id()),
                                          p.joint_proposal_id()));
  }
  return c;
}

absl::StatusOr<std::set<int>> Repository::AppliedImportLines(
    const v1::ImportPartnerDataRequest& request) {
  auto fields = kit_.index().Fields(ImportRowsKey(request));
  if (!fields.ok()) return fields.status();
  std::set<int> lines;
  for (const auto& [line, joint_proposal_id] : *fields) {
    int n = 0;
    if (!absl::SimpleAtoi(line, &n)) {
      return absl::InternalError(absl::StrCat("stored import row \"", line, "\" is not a line"));
    }
    lines.insert(n);
  }
  return lines;
}

store::Commit Repository::ImportCommit(const runtime::RequestContext& rc,
                                       const v1::ImportPartnerDataRequest& request,
                                       const ProposalWrite& write) {
  store::Commit c = ProposalCommit(rc, write.proposal, write.expected_version, write.events);
  const std::string key = ImportRowsKey(request);
  for (int line : write.lines) {
    c.index_ops.push_back({store::IndexOp::Kind::kHashSet, key, absl::StrCat(line),
                           write.proposal.joint_proposal_id()});
  }
  return c;
}

store::Commit Repository::ParkedDecisionCommit(const runtime::RequestContext& rc,
                                               const reviews::v1::ProposalDecided& decision) {
  store::Commit c;
  c.aggregate_type = kParkedDecisionType;
  c.aggregate_id = decision.decision_id();
  c.expected_version = 0;
  c.data = decision.SerializeAsString();
  c.index_ops.push_back(store::IndexAdd(ParkedDecisionsKey(decision.application_id()),
                                        store::SortKeyOfTime(rc.now), decision.decision_id()));
  return c;
}

absl::Status Repository::WriteAudit(const runtime::RequestContext& rc,
                                    const v1::AuditRecord& record) {
  const std::string when = store::SortKeyOfTime(TimeOf(record.time()));
  store::Commit c;
  c.shard_key = record.audit_id();
  c.index_ops.push_back(store::IndexOp{store::IndexOp::Kind::kStringSet,
                                       AuditRecordKey(record.audit_id()), "",
                                       record.SerializeAsString()});
  c.index_ops.push_back(store::IndexAdd(kAudit, when, record.audit_id()));
  if (!record.joint_call_id().empty()) {
    c.index_ops.push_back(
        store::IndexAdd("idx:audit-call:" + record.joint_call_id(), when, record.audit_id()));
  }
  if (!record.partner_agency().empty()) {
    c.index_ops.push_back(
        store::IndexAdd("idx:audit-agency:" + record.partner_agency(), when, record.audit_id()));
  }
  c.events.push_back(rc.NewEvent(AuditedEvent(record), "audit_record", record.audit_id()));
  auto result = kit_.store().Commit(c);
  return result.ok() ? absl::OkStatus() : result.status();
}

absl::StatusOr<std::pair<std::vector<v1::AuditRecord>, std::string>> Repository::AuditPage(
    const std::string& joint_call_id, const std::string& partner_agency, const std::string& cursor,
    int limit) {
  const std::string index = !joint_call_id.empty()    ? "idx:audit-call:" + joint_call_id
                            : !partner_agency.empty() ? "idx:audit-agency:" + partner_agency
                                                      : std::string(kAudit);
  auto page = kit_.index().Page(index, cursor, limit, /*descending=*/true);
  if (!page.ok()) return page.status();
  std::vector<std::vector<std::string>> commands;
  for (const auto& id : IdsOf(page->members)) {
    commands.push_back(
        {"GET", kit_.keyspace().Key(kit_.keyspace().ShardOf(id), AuditRecordKey(id))});
  }
  std::vector<v1::AuditRecord> records;
  if (!commands.empty()) {
    auto replies = kit_.redis().Pipeline(commands);
    if (!replies.ok()) return replies.status();
    for (const auto& r : *replies) {
      v1::AuditRecord record;
      if (r.type == store::Reply::Type::kString && record.ParseFromString(r.str)) {
        records.push_back(std::move(record));
      }
    }
  }
  return std::make_pair(std::move(records), page->next_cursor);
}

}  // namespace tane::international::service
