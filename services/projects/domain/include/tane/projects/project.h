#pragma once
/// The project aggregate's state machine as pure functions.
///
/// Every command is a function (project, request, context) → the new project
/// and the events to publish, or an error that changes nothing:
/// - INVALID_ARGUMENT with google.rpc.BadRequest field violations for bad input,
/// - FAILED_PRECONDITION with the reason for a transition the rules forbid
///   ("cannot activate: no contract for institution X"),
/// - ABORTED when request.expected_version is set and differs.
/// A successful command bumps the version by one and appends one history entry
/// (who, when, what). Nothing here reads a clock, a network or Redis: the
/// caller passes `now`, and persists the project and events atomically.
///
/// States: contracting → active ⇄ suspended, active ⇄ paused,
///         active → completed, {contracting, active, suspended, paused} → terminated.

#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "tane/common/v1/types.pb.h"
#include "tane/projects/rules.h"
#include "tane/projects/v1/events.pb.h"
#include "tane/projects/v1/projects.pb.h"

namespace tane::projects {

/// An adoption as the wiring reads it from reviews' ProposalDecided or
/// international's JointDecisionMade (those events belong to their services'
/// packages; this struct keeps the domain independent of them).
struct AdoptionDecision {
  enum class Source { kProposalDecided, kJointDecisionMade };
  Source source = Source::kProposalDecided;
  /// Drives the project id: a redelivered decision maps to the same project.
  std::string decision_id;
  std::string application_id;
  std::string call_id;
  std::string program_id;
  std::string research_area_id;
  bool adopted = true;
  /// A joint-call proposal becomes a project only from JointDecisionMade.
  bool joint_call = false;
  std::string title_ja;
  std::string title_en;
  /// researcher_id (e-Rad), name, institution_id.
  v1::Member principal_investigator;
  /// The PI's gateway subject (the application's owner): Project.pi_subject.
  std::string pi_subject;
  std::vector<v1::Member> team;
  /// Names of the institutions; any institution a member names is added even
  /// when missing here.
  std::vector<v1::Institution> institutions;
  absl::Time start_time = absl::InfinitePast();
  int months = 0;
  std::vector<v1::BudgetLine> budget_plan;
  /// 0 = the program's default.
  int indirect_rate_percent = 0;
};

/// What AllocationRejected from funds tells us.
struct AllocationRejection {
  std::string allocation_id;
  int fiscal_year = 0;
  std::string reason;
};

/// Who acts, when, under which program rules.
struct Context {
  const ProgramRules& rules;
  common::v1::Actor actor;
  absl::Time now;
};

using Event = std::variant<v1::ProjectStarted, v1::ProjectChanged, v1::ProgressReported,
                           v1::EvaluationRecorded, v1::ProjectTerminated, v1::ProjectCompleted>;

/// The payload to pack into the envelope's Any.
const google::protobuf::Message& EventPayload(const Event& event);

struct Transition {
  v1::Project project;
  std::vector<Event> events;
};

/// Namespace of project ids (NameUuid(kProjectIdNamespace, decision_id)).
inline constexpr char kProjectIdNamespace[] = "tane.projects.project";
std::string ProjectIdForDecision(std::string_view decision_id);

/// A new project in state contracting, version 1, emitting ProjectStarted.
/// FAILED_PRECONDITION for a rejection or for a joint-call proposal decided by
/// reviews alone (it waits for JointDecisionMade); INVALID_ARGUMENT for a
/// decision the program's rules do not allow (period, budget, ...). The caller
/// keeps it idempotent: the id is ProjectIdForDecision(decision.decision_id),
/// so an existing project with that id means "already applied".
absl::StatusOr<Transition> NewProjectFromAdoption(const AdoptionDecision& decision,
                                                  const ProgramRules& rules, absl::Time now);

// --- lifecycle --------------------------------------------------------------
absl::StatusOr<Transition> AddContract(const v1::Project& project,
                                       const v1::AddContractRequest& request, const Context& ctx);
absl::StatusOr<Transition> Activate(const v1::Project& project,
                                    const v1::ActivateProjectRequest& request, const Context& ctx);
absl::StatusOr<Transition> Suspend(const v1::Project& project,
                                   const v1::SuspendProjectRequest& request, const Context& ctx);
/// Suspended or paused → active. Ending a pause early counts only the months
/// used (rounded up) and moves the period end back accordingly.
absl::StatusOr<Transition> Resume(const v1::Project& project,
                                  const v1::ResumeProjectRequest& request, const Context& ctx);
absl::StatusOr<Transition> Terminate(const v1::Project& project,
                                     const v1::TerminateProjectRequest& request,
                                     const Context& ctx);
absl::StatusOr<Transition> Complete(const v1::Project& project,
                                    const v1::CompleteProjectRequest& request, const Context& ctx);
absl::StatusOr<Transition> Extend(const v1::Project& project,
                                  const v1::ExtendProjectRequest& request, const Context& ctx);
absl::StatusOr<Transition> Pause(const v1::Project& project, const v1::PauseProjectRequest& request,
                                 const Context& ctx);
/// AllocationRejected: on hold with the reason (activation and resumption wait).
absl::StatusOr<Transition> PutOnHold(const v1::Project& project,
                                     const AllocationRejection& rejection, const Context& ctx);
absl::StatusOr<Transition> ReleaseHold(const v1::Project& project,
                                       const v1::ReleaseHoldRequest& request, const Context& ctx);

// --- changes ----------------------------------------------------------------
absl::StatusOr<Transition> AddMember(const v1::Project& project,
                                     const v1::AddMemberRequest& request, const Context& ctx);
absl::StatusOr<Transition> RemoveMember(const v1::Project& project,
                                        const v1::RemoveMemberRequest& request, const Context& ctx);
absl::StatusOr<Transition> TransferInstitution(const v1::Project& project,
                                               const v1::TransferInstitutionRequest& request,
                                               const Context& ctx);
absl::StatusOr<Transition> RevisePlan(const v1::Project& project,
                                      const v1::RevisePlanRequest& request, const Context& ctx);

// --- reporting and evaluation (reports.cc, evaluations.cc) -------------------
absl::StatusOr<Transition> SubmitReport(const v1::Project& project,
                                        const v1::SubmitReportRequest& request, const Context& ctx);
/// Stage gate stop, or a failing grade at a stage gate (program's choice):
/// terminated from the start of the next fiscal year (JST), later budget lines
/// removed — or those lines cut by the program's percentage. Expand: plan
/// revisions may raise fiscal years from the next one up to the program's
/// expanded annual cap.
absl::StatusOr<Transition> RecordEvaluation(const v1::Project& project,
                                            const v1::RecordEvaluationRequest& request,
                                            const Context& ctx);

// --- helpers shared with queries --------------------------------------------
const char* StateName(v1::ProjectState state);
bool IsTerminal(v1::ProjectState state);
/// Fiscal years the research period touches, first to last.
std::vector<int> FiscalYearsOf(const v1::Project& project);
/// Direct costs of one fiscal year.
int64_t DirectTotalOf(const v1::Project& project, int fiscal_year);

}  // namespace tane::projects
