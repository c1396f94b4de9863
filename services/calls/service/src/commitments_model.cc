#include "tane/calls/service/commitments_model.h"

#include <map>
#include <set>

#include "absl/strings/match.h"
#include "keys.h"
#include "tane/bus/consumer.h"
#include "tane/bus/envelope.h"
#include "tane/calls/call_rules.h"
#include "tane/calls/v1/state.pb.h"
#include "tane/telemetry/log.h"

namespace tane::calls {
namespace {

namespace tel = ::tane::telemetry;
using common::v1::EventEnvelope;
using store::IndexOp;

// Each researcher named in the application once, with the effort it declares
// for them (the principal investigator's first).
std::vector<v1::ActiveProjectMember> EffortsOf(const v1::Application& a) {
  std::vector<v1::ActiveProjectMember> out;
  std::map<std::string, size_t> at;
  auto add = [&](const std::string& id, int effort) {
    if (id.empty()) return;
    auto [it, inserted] = at.try_emplace(id, out.size());
    if (inserted) {
      out.emplace_back().set_researcher_id(id);
    }
    out[it->second].set_effort_percent(out[it->second].effort_percent() + effort);
  };
  add(a.principal_investigator().researcher_id(), a.pi_effort_percent());
  for (const auto& co : a.co_investigators()) add(co.person().researcher_id(), co.effort_percent());
  return out;
}

IndexOp HashSet(std::string key, std::string field, const google::protobuf::Message& value) {
  return IndexOp{IndexOp::Kind::kHashSet, std::move(key), std::move(field), value.SerializeAsString()};
}

IndexOp HashDelete(std::string key, std::string field) {
  return IndexOp{IndexOp::Kind::kHashDelete, std::move(key), std::move(field), ""};
}

}  // namespace

std::vector<std::string> CommitmentsModel::Topics() {
  return {bus::EventsTopic("projects"), bus::EventsTopic("reviews")};
}

void CommitmentsModel::Subscribe() {
  kit_.On<projects::v1::ProjectStarted>(
      [this](const EventEnvelope& e, const projects::v1::ProjectStarted& p) { return OnProjectStarted(e, p); });
  kit_.On<projects::v1::ProjectChanged>(
      [this](const EventEnvelope& e, const projects::v1::ProjectChanged& p) { return OnProjectChanged(e, p); });
  kit_.On<projects::v1::ProjectTerminated>([this](const EventEnvelope& e, const projects::v1::ProjectTerminated& p) {
    return OnProjectEnded(e, p.project_id());
  });
  kit_.On<projects::v1::ProjectCompleted>([this](const EventEnvelope& e, const projects::v1::ProjectCompleted& p) {
    return OnProjectEnded(e, p.project_id());
  });
  kit_.On<reviews::v1::ProposalDecided>(
      [this](const EventEnvelope& e, const reviews::v1::ProposalDecided& d) { return OnProposalDecided(e, d); });
}

absl::StatusOr<InMemoryCommitments> CommitmentsModel::ViewFor(const v1::Application& application,
                                                              absl::Time now) const {
  struct Loaded {
    std::vector<ActiveProject> projects;
    std::vector<v1::PendingApplicationRecord> pending;
  };
  std::map<std::string, Loaded> by_researcher;
  std::set<std::string> call_ids;
  for (const auto& member : EffortsOf(application)) {
    auto fields = kit_.index().Fields(keys::Commitments(member.researcher_id()));
    if (!fields.ok()) return fields.status();
    Loaded& loaded = by_researcher[member.researcher_id()];
    std::set<std::string> adopted;  // applications whose project replaced them
    for (const auto& [field, value] : *fields) {
      if (absl::StartsWith(field, keys::kProjectFieldPrefix)) {
        v1::ActiveProjectRecord record;
        if (!record.ParseFromString(value)) return absl::InternalError("stored project commitment does not parse");
        adopted.insert(record.application_id());
        loaded.projects.push_back({record.project_id(), record.program_id(), record.effort_percent()});
      } else if (absl::StartsWith(field, keys::kPendingFieldPrefix)) {
        v1::PendingApplicationRecord record;
        if (!record.ParseFromString(value)) return absl::InternalError("stored pending commitment does not parse");
        loaded.pending.push_back(std::move(record));
      }
    }
    std::erase_if(loaded.pending, [&](const auto& p) { return adopted.contains(p.application_id()); });
    for (const auto& p : loaded.pending) call_ids.insert(p.call_id());
  }

  const std::vector<std::string> ids(call_ids.begin(), call_ids.end());
  auto calls = runtime::LoadAggregates<v1::Call>(kit_.store(), keys::kCall, ids);
  if (!calls.ok()) return calls.status();
  std::set<std::string> open_calls;
  for (size_t i = 0; i < ids.size(); ++i) {
    if ((*calls)[i].exists() && IsOpen((*calls)[i].value, now)) open_calls.insert(ids[i]);
  }

  InMemoryCommitments view;
  for (auto& [researcher, loaded] : by_researcher) {
    ResearcherCommitments c;
    c.active_projects = std::move(loaded.projects);
    for (const auto& r : loaded.pending) {
      c.pending_applications.push_back({r.application_id(), r.call_id(), r.effort_percent(), r.title_ja_hash(),
                                        r.title_en_hash(), r.abstract_hash(), open_calls.contains(r.call_id())});
    }
    view.Put(researcher, std::move(c));
  }
  return view;
}

std::vector<IndexOp> CommitmentsModel::PendingOps(const v1::Application* before, const v1::Application& after) {
  std::vector<IndexOp> ops;
  if (before != nullptr && before->state() == v1::APPLICATION_STATE_SUBMITTED) {
    for (const auto& member : EffortsOf(*before)) {
      ops.push_back(
          HashDelete(keys::Commitments(member.researcher_id()), keys::PendingField(before->application_id())));
    }
  }
  if (after.state() == v1::APPLICATION_STATE_SUBMITTED) {
    for (const auto& member : EffortsOf(after)) {
      const PendingApplication p = AsPending(after, member.researcher_id(), /*call_open=*/true);
      v1::PendingApplicationRecord record;
      record.set_application_id(p.application_id);
      record.set_call_id(p.call_id);
      record.set_effort_percent(p.effort_percent);
      record.set_title_ja_hash(p.title_ja_hash);
      record.set_title_en_hash(p.title_en_hash);
      record.set_abstract_hash(p.abstract_hash);
      ops.push_back(
          HashSet(keys::Commitments(member.researcher_id()), keys::PendingField(after.application_id()), record));
    }
  }
  return ops;
}

namespace {

// The project's record, from the project's shard; nullopt when unknown.
absl::StatusOr<std::optional<v1::ProjectRecord>> LoadProject(runtime::ServiceKit& kit, const std::string& project_id) {
  const store::Keyspace& ks = kit.keyspace();
  auto reply = kit.redis().Command({"GET", ks.Key(ks.ShardOf(project_id), keys::ProjectRecordKey(project_id))});
  if (!reply.ok()) return reply.status();
  if (reply->is_nil()) return std::optional<v1::ProjectRecord>();
  v1::ProjectRecord record;
  if (!record.ParseFromString(reply->str)) return absl::InternalError("stored project record does not parse");
  return std::optional<v1::ProjectRecord>(std::move(record));
}

v1::ActiveProjectRecord ActiveRecord(const v1::ProjectRecord& project, const v1::ActiveProjectMember& member) {
  v1::ActiveProjectRecord r;
  r.set_project_id(project.project_id());
  r.set_program_id(project.program_id());
  r.set_application_id(project.application_id());
  r.set_effort_percent(member.effort_percent());
  return r;
}

// The ops that record `project` (its record and each member's commitment).
void AddProjectOps(const v1::ProjectRecord& project, std::vector<IndexOp>& ops) {
  ops.push_back(IndexOp{IndexOp::Kind::kStringSet, keys::ProjectRecordKey(project.project_id()), "",
                        project.SerializeAsString()});
  for (const auto& m : project.members()) {
    ops.push_back(HashSet(keys::Commitments(m.researcher_id()), keys::ProjectField(project.project_id()),
                          ActiveRecord(project, m)));
  }
}

void RemoveMemberOps(const v1::ProjectRecord& project, std::vector<IndexOp>& ops) {
  for (const auto& m : project.members()) {
    ops.push_back(HashDelete(keys::Commitments(m.researcher_id()), keys::ProjectField(project.project_id())));
  }
}

}  // namespace

absl::Status CommitmentsModel::OnProjectStarted(const EventEnvelope& event,
                                                const projects::v1::ProjectStarted& started) {
  auto application =
      runtime::LoadAggregate<v1::Application>(kit_.store(), keys::kApplication, started.application_id());
  if (!application.ok()) return application.status();
  std::map<std::string, int> declared;
  if (application->exists()) {
    for (const auto& m : EffortsOf(application->value)) declared[m.researcher_id()] = m.effort_percent();
  } else {
    tel::LogWarn("project started from an application calls does not know; its team's effort counts 0%",
                 {{"project_id", started.project_id()}, {"application_id", started.application_id()}});
  }
  v1::ProjectRecord project;
  project.set_project_id(started.project_id());
  project.set_program_id(started.program_id());
  project.set_application_id(started.application_id());
  std::set<std::string> seen;
  auto add = [&](const projects::v1::Member& member) {
    if (member.researcher_id().empty() || !seen.insert(member.researcher_id()).second) return;
    auto* m = project.add_members();
    m->set_researcher_id(member.researcher_id());
    m->set_effort_percent(declared[member.researcher_id()]);
  };
  add(started.principal_investigator());
  for (const auto& member : started.members()) add(member);

  store::Commit commit;
  commit.shard_key = started.project_id();
  AddProjectOps(project, commit.index_ops);
  auto applied = bus::ApplyOnce(kit_.store(), event, std::move(commit));
  if (applied.ok() && *applied) {
    tel::LogInfo("project commitments recorded",
                 {{"project_id", project.project_id()}, {"members", project.members_size()}});
  }
  return applied.status();
}

absl::Status CommitmentsModel::OnProjectChanged(const EventEnvelope& event,
                                                const projects::v1::ProjectChanged& changed) {
  if (changed.state() == projects::v1::PROJECT_STATE_COMPLETED ||
      changed.state() == projects::v1::PROJECT_STATE_TERMINATED) {
    return OnProjectEnded(event, changed.project_id());
  }
  const std::string& new_pi = changed.principal_investigator().researcher_id();
  if (new_pi.empty()) return absl::OkStatus();
  auto project = LoadProject(kit_, changed.project_id());
  if (!project.ok()) return project.status();
  if (!project->has_value() || (*project)->members_size() == 0) return absl::OkStatus();
  v1::ProjectRecord updated = **project;
  if (updated.members(0).researcher_id() == new_pi) return absl::OkStatus();
  // A new principal investigator takes over the lead's effort (replacing
  // their own entry if they were a member); the old one is released.
  store::Commit commit;
  commit.shard_key = changed.project_id();
  RemoveMemberOps(updated, commit.index_ops);
  auto* members = updated.mutable_members();
  for (int i = members->size() - 1; i > 0; --i) {
    if (members->Get(i).researcher_id() == new_pi) members->DeleteSubrange(i, 1);
  }
  updated.mutable_members(0)->set_researcher_id(new_pi);
  AddProjectOps(updated, commit.index_ops);
  return bus::ApplyOnce(kit_.store(), event, std::move(commit)).status();
}

absl::Status CommitmentsModel::OnProjectEnded(const EventEnvelope& event, const std::string& project_id) {
  auto project = LoadProject(kit_, project_id);
  if (!project.ok()) return project.status();
  if (!project->has_value()) return absl::OkStatus();  // never recorded, or already released
  store::Commit commit;
  commit.shard_key = project_id;
  RemoveMemberOps(**project, commit.index_ops);
  commit.index_ops.push_back(IndexOp{IndexOp::Kind::kDelete, keys::ProjectRecordKey(project_id), "", ""});
  auto applied = bus::ApplyOnce(kit_.store(), event, std::move(commit));
  if (applied.ok() && *applied) tel::LogInfo("project commitments released", {{"project_id", project_id}});
  return applied.status();
}

absl::Status CommitmentsModel::OnProposalDecided(const EventEnvelope& event,
                                                 const reviews::v1::ProposalDecided& decided) {
  if (decided.adopted()) return absl::OkStatus();  // pending until its project starts
  auto application =
      runtime::LoadAggregate<v1::Application>(kit_.store(), keys::kApplication, decided.application_id());
  if (!application.ok()) return application.status();
  if (!application->exists()) return absl::OkStatus();
  store::Commit commit;
  commit.shard_key = decided.application_id();
  for (const auto& member : EffortsOf(application->value)) {
    commit.index_ops.push_back(
        HashDelete(keys::Commitments(member.researcher_id()), keys::PendingField(decided.application_id())));
  }
  return bus::ApplyOnce(kit_.store(), event, std::move(commit)).status();
}

}  // namespace tane::calls
