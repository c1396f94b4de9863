#pragma once
// Builders shared by the projects domain tests. FOREST project used
// throughout: PI 12345678 at univ-a, 84 months from 1 October 2021 00:00 JST
// (so it ends 1 October 2028 00:00 JST), ¥7M direct costs per fiscal year.

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "gtest/gtest.h"
#include "tane/core/time.h"
#include "tane/projects/project.h"
#include "tane/projects/rules.h"

namespace tane::projects::testing {

/// An instant given in JST.
absl::Time Jst(int y, int m, int d, int hh = 0, int mm = 0, int ss = 0);

common::v1::Actor Officer();     // program_officer:po-1
common::v1::Actor Operator();    // operator:op-1
common::v1::Actor PiActor();     // applicant:12345678
common::v1::Actor FundsActor();  // system:funds

inline constexpr char kPi[] = "12345678";
inline constexpr char kUnivA[] = "univ-a";

AdoptionDecision ForestDecision(const std::string& decision_id = "decision-1");

/// Unwraps or throws (gtest reports the exception as a failure).
template <typename T>
T Ok(absl::StatusOr<T> result) {
  if (!result.ok()) throw std::runtime_error("unexpected error: " + result.status().ToString());
  return *std::move(result);
}

/// Applies transitions to one project and keeps every event, like the wiring.
class Harness {
 public:
  explicit Harness(ProgramRules rules = ProgramRules::Forest()) : rules_(std::move(rules)) {}

  const ProgramRules& rules() const { return rules_; }
  ProgramRules& mutable_rules() { return rules_; }
  v1::Project& project() { return project_; }
  const std::vector<Event>& events() const { return events_; }
  Context Ctx(absl::Time now, common::v1::Actor actor = Officer()) const {
    return Context{rules_, std::move(actor), now};
  }

  /// Creates the project from `decision` at `now`.
  void Create(const AdoptionDecision& decision, absl::Time now);
  /// Create + contract for univ-a from the start + activate, at the start.
  void CreateActive(const AdoptionDecision& decision = ForestDecision());

  /// Runs fn(project, ctx) and keeps the result when it succeeds.
  template <typename Fn>
  absl::Status Do(absl::Time now, Fn fn, common::v1::Actor actor = Officer()) {
    const Context ctx = Ctx(now, std::move(actor));
    absl::StatusOr<Transition> t = fn(std::as_const(project_), ctx);
    if (!t.ok()) return t.status();
    project_ = std::move(t->project);
    for (auto& e : t->events) events_.push_back(std::move(e));
    return absl::OkStatus();
  }

 private:
  ProgramRules rules_;
  v1::Project project_;
  std::vector<Event> events_;
};

// Requests, pre-filled with the project id.
v1::AddContractRequest ContractReq(const v1::Project& p, const std::string& institution,
                                   absl::Time start, const std::string& number = "C-1");
v1::ActivateProjectRequest ActivateReq(const v1::Project& p);
v1::SuspendProjectRequest SuspendReq(const v1::Project& p, const std::string& reason = "audit");
v1::ResumeProjectRequest ResumeReq(const v1::Project& p);
v1::TerminateProjectRequest TerminateReq(const v1::Project& p,
                                         const std::string& reason = "misconduct");
v1::CompleteProjectRequest CompleteReq(const v1::Project& p);
v1::ExtendProjectRequest ExtendReq(const v1::Project& p, int months);
v1::PauseProjectRequest PauseReq(const v1::Project& p, int months,
                                 v1::PauseReason reason = v1::PAUSE_REASON_CHILDBIRTH);
v1::RecordEvaluationRequest GateReq(const v1::Project& p, int month, v1::StageGateOutcome outcome,
                                    const std::string& grade);
v1::SubmitReportRequest ReportReq(const v1::Project& p, int fy, v1::ReportKind kind);

/// The type names of events, e.g. {"ProjectStarted", "ProjectChanged"}.
std::vector<std::string> EventNames(const std::vector<Event>& events);

/// Sum of direct costs of one fiscal year.
int64_t PlanFor(const v1::Project& p, int fy);

}  // namespace tane::projects::testing
