#pragma once
/// The steps of a research cycle over the REST API, shared by the e2e
/// flows and the benchmarks: each is one or a few requests whose status and
/// body it checks (FAILED_PRECONDITION or INTERNAL naming the request and
/// showing the body otherwise), or a poll of the API until an event-driven
/// state shows (DEADLINE_EXCEEDED after kEventTimeout).
///
/// Idempotency keys are derived from the arguments, so a step repeated with
/// the same arguments is answered from the first result.

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"
#include "tane/calls/v1/calls.pb.h"
#include "tane/e2e/api.h"
#include "tane/e2e/platform.h"
#include "tane/funds/v1/funds.pb.h"
#include "tane/projects/v1/projects.pb.h"
#include "tane/reviews/v1/reviews.pb.h"
#include "tane/testing/fixtures.h"

namespace tane::e2e {

/// How long an event-driven step (assignment after close, project after
/// decision, allocation after start) may take to show over the API.
inline constexpr absl::Duration kEventTimeout = absl::Seconds(60);

/// Polls `attempt` until it succeeds (at most kEventTimeout): its value,
/// else DEADLINE_EXCEEDED with `what` and the last error.
template <typename T>
absl::StatusOr<T> Eventually(const std::string& what, const std::function<absl::StatusOr<T>()>& attempt) {
  absl::StatusOr<T> last = absl::DeadlineExceededError("not tried");
  testing::WaitFor(
      [&] {
        last = attempt();
        return last.ok();
      },
      kEventTimeout, absl::Milliseconds(100));
  if (last.ok()) return last;
  return absl::DeadlineExceededError(
      absl::StrCat(what, " within ", absl::FormatDuration(kEventTimeout), "; last: ", last.status().message()));
}

/// The current fiscal year (JST) by this machine's clock, which the
/// services share.
int CurrentFiscalYear();
google::protobuf::Timestamp ToTimestamp(absl::Time t);

// ---- calls

/// A researcher with a doctorate, e-Rad number `id`, at `institution` (a ROR id).
calls::v1::Person Researcher(const std::string& id, const std::string& name_ja, const std::string& institution);
inline constexpr int kCrestPeriodMonths = 60;
/// A valid CREST application starting in fiscal year `fy` for
/// kCrestPeriodMonths (five fiscal years):
/// ¥30M of equipment in the first, ¥30M of personnel in each later one
/// (¥150M, the program's minimum total); PI 40% effort, `co` 20%.
calls::v1::Application CrestApplication(const std::string& title_ja, const calls::v1::Person& pi,
                                        const calls::v1::Person& co, int fy);
/// A strategic goal of the current fiscal year and a research area of
/// `program_id` under it supervised by `supervisor`, both as the operator.
absl::StatusOr<calls::v1::ResearchArea> CreateGoalAndArea(Api& api, const Caller& op, const std::string& key,
                                                          const std::string& program_id, const Caller& supervisor);
/// `call` (program, titles, area, partner, review model) created as a
/// DRAFT with the window [now - 1 h, now + 30 days), then published.
absl::StatusOr<calls::v1::Call> OpenCall(Api& api, const Caller& op, const std::string& key, calls::v1::Call call);
/// A DRAFT of `application` in `call_id` by `applicant`.
absl::StatusOr<calls::v1::Application> Draft(Api& api, const Caller& applicant, const std::string& call_id,
                                             const calls::v1::Application& application);
absl::StatusOr<calls::v1::Application> Submit(Api& api, const Caller& applicant, const std::string& application_id);
absl::StatusOr<calls::v1::Call> CloseCall(Api& api, const Caller& op, const std::string& call_id);

// ---- reviews

/// A reviewer whose subject is `who.subject`, reviewing `sections` and
/// `keywords`, at `institution_id`, taking up to `max_load` cases a call.
absl::StatusOr<reviews::v1::Reviewer> CreateReviewer(Api& api, const Caller& op, const Caller& who,
                                                     const std::vector<std::string>& sections,
                                                     const std::vector<std::string>& keywords,
                                                     const std::string& institution_id, int max_load = 4);
/// Polls the call's review cases (as `po`) until `cases` of them have
/// `reviewers` reviewers each assigned in `stage`; returns every case.
absl::StatusOr<std::vector<reviews::v1::ReviewCase>> WaitForAssignments(Api& api, const Caller& po,
                                                                        const std::string& call_id, size_t cases,
                                                                        calls::v1::ReviewStage stage, int reviewers);
/// Each reviewer reviews every case of `call_id` assigned to them in
/// `stage`: every criterion of the program's form and the overall score
/// at `score(application_id)` (clamped to the form's scales). Returns the
/// number of reviews submitted.
absl::StatusOr<int> ReviewAll(Api& api, const std::vector<Caller>& reviewers, const std::string& call_id,
                              const std::string& program_id, calls::v1::ReviewStage stage,
                              const std::function<int(const std::string&)>& score);
/// Runs the assignment of `stage` (the service runs the first stage's
/// itself when the call closes), as `po`.
absl::StatusOr<reviews::v1::SolveAssignmentResponse> SolveStage(Api& api, const Caller& po, const std::string& call_id,
                                                                calls::v1::ReviewStage stage);
absl::StatusOr<reviews::v1::ReviewCase> Shortlist(Api& api, const Caller& po, const std::string& case_id);
/// Adoption (research starting today, JST) or rejection, with a reason.
absl::StatusOr<reviews::v1::ReviewCase> Decide(Api& api, const Caller& po, const std::string& case_id, bool adopted,
                                               const std::string& reason);
/// The case of `application_id` among `cases`, or nullptr.
const reviews::v1::ReviewCase* CaseOf(const std::vector<reviews::v1::ReviewCase>& cases,
                                      const std::string& application_id);

// ---- funds and projects

/// Loads `yen_per_year` into the program's initial budget of each fiscal
/// year, as a finance officer.
absl::Status LoadBudgets(Api& api, const Caller& finance, const std::string& program_id,
                         const std::vector<int>& fiscal_years, int64_t yen_per_year);
/// Polls the projects (as `po`) until one comes from `application_id`.
absl::StatusOr<projects::v1::Project> WaitForProject(Api& api, const Caller& po, const std::string& program_id,
                                                     const std::string& application_id);
/// A contract with every institution of the project, then activation.
absl::StatusOr<projects::v1::Project> ContractAndActivate(Api& api, const Caller& op,
                                                          const projects::v1::Project& project);
/// Polls the project's allocations (as `finance`) until `done` holds for them.
absl::StatusOr<funds::v1::ListAllocationsResponse> WaitForAllocations(
    Api& api, const Caller& finance, const std::string& project_id,
    const std::function<bool(const funds::v1::ListAllocationsResponse&)>& done);

/// The plan's direct costs per fiscal year.
std::map<int, int64_t> DirectByYear(const calls::v1::Application& application);
/// The allocations are the application's plan: one a fiscal year, its
/// direct costs plus `indirect_percent` of them (rounded down), either all
/// reserved (pending the contract) or all booked.
bool AllocationsMatchPlan(const funds::v1::ListAllocationsResponse& allocations,
                          const calls::v1::Application& application, int indirect_percent, bool reserved);

}  // namespace tane::e2e
