#pragma once
// The e2e suite's fixture: one platform for the whole suite (started in
// SetUpTestSuite, logs printed when a test failed), an Api per test, and the
// steps the flows share, each one or a few HTTP requests with their status
// and body checked. Tests use distinct subjects, calls, areas and agency
// codes, so they do not see each other's data.
//
// A new flow is a TEST_F(E2eTest, ...) calling these steps; a new step is a
// method here that returns absl::StatusOr (the flows ASSERT_OK_AND_ASSIGN it).

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "tane/calls/v1/calls.pb.h"
#include "tane/e2e/api.h"
#include "tane/e2e/platform.h"
#include "tane/funds/v1/funds.pb.h"
#include "tane/projects/v1/projects.pb.h"
#include "tane/reviews/v1/reviews.pb.h"
#include "tane/testing/fixtures.h"

#define TANE_E2E_CONCAT_INNER(a, b) a##b
#define TANE_E2E_CONCAT(a, b) TANE_E2E_CONCAT_INNER(a, b)
// ASSERT_OK_AND_ASSIGN(auto x, StatusOrExpression()): fails the test with
// the status (which names the request and shows the body) unless ok.
#define ASSERT_OK_AND_ASSIGN(lhs, rexpr) \
  TANE_E2E_ASSIGN_IMPL(TANE_E2E_CONCAT(e2e_statusor_, __LINE__), lhs, rexpr)
#define TANE_E2E_ASSIGN_IMPL(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                         \
  ASSERT_TRUE(statusor.ok()) << statusor.status(); \
  lhs = *std::move(statusor)
#define ASSERT_OK(expr)                 \
  do {                                  \
    const absl::Status e2e_s = (expr);  \
    ASSERT_TRUE(e2e_s.ok()) << e2e_s;   \
  } while (0)

namespace tane::e2e {

/// How long an event-driven step (assignment after close, project after
/// decision, allocation after start) may take to show over the API.
inline constexpr absl::Duration kEventTimeout = absl::Seconds(60);

/// Polls `attempt` until it succeeds (at most kEventTimeout); its value,
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
  return absl::DeadlineExceededError(absl::StrCat(what, " within ", absl::FormatDuration(kEventTimeout),
                                                  "; last: ", last.status().message()));
}

class E2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite();
  static void TearDownTestSuite();
  void SetUp() override;

  static Platform& platform() { return *platform_; }
  Api& api() { return *api_; }
  /// A caller with a fresh token (the test fails if it cannot be minted).
  Caller As(const std::string& role, const std::string& subject, const std::string& agency = "");

  /// The current fiscal year (JST) by this machine's clock, which the
  /// services share.
  static int CurrentFiscalYear();

  // ---- calls

  /// A strategic goal of the current fiscal year, a research area of
  /// `program_id` under it supervised by `supervisor`, both as the operator.
  absl::StatusOr<calls::v1::ResearchArea> CreateGoalAndArea(const Caller& op, const std::string& key,
                                                            const std::string& program_id,
                                                            const Caller& supervisor);
  /// `call` (program, titles, area, partner, review model) created as a
  /// DRAFT with the window [now - 1 h, now + 30 days), then published.
  absl::StatusOr<calls::v1::Call> OpenCall(const Caller& op, const std::string& key, calls::v1::Call call);
  /// A DRAFT of `application` in `call_id` by `applicant`.
  absl::StatusOr<calls::v1::Application> Draft(const Caller& applicant, const std::string& call_id,
                                               const calls::v1::Application& application);
  absl::StatusOr<calls::v1::Application> Submit(const Caller& applicant, const std::string& application_id);
  absl::StatusOr<calls::v1::Call> CloseCall(const Caller& op, const std::string& call_id);

  // ---- reviews

  /// A reviewer whose subject is `who.subject`, reviewing `sections` and
  /// `keywords`, at `institution_id`, taking up to `max_load` cases a call.
  absl::StatusOr<reviews::v1::Reviewer> CreateReviewer(const Caller& op, const Caller& who,
                                                       const std::vector<std::string>& sections,
                                                       const std::vector<std::string>& keywords,
                                                       const std::string& institution_id, int max_load = 4);
  /// Polls the call's review cases (as `po`) until `cases` of them have
  /// `reviewers` reviewers each assigned in `stage`; returns every case.
  absl::StatusOr<std::vector<reviews::v1::ReviewCase>> WaitForAssignments(const Caller& po,
                                                                         const std::string& call_id,
                                                                         size_t cases,
                                                                         calls::v1::ReviewStage stage,
                                                                         int reviewers);
  /// Each reviewer reviews every case of `call_id` assigned to them in
  /// `stage`: every criterion of the program's form and the overall score
  /// at `score(application_id)` (clamped to the form's scales). Returns the
  /// number of reviews submitted.
  absl::StatusOr<int> ReviewAll(const std::vector<Caller>& reviewers, const std::string& call_id,
                                const std::string& program_id, calls::v1::ReviewStage stage,
                                const std::function<int(const std::string&)>& score);
  absl::StatusOr<reviews::v1::ReviewCase> Shortlist(const Caller& po, const std::string& case_id);
  /// Adoption (research starting today, JST) or rejection, with a reason.
  absl::StatusOr<reviews::v1::ReviewCase> Decide(const Caller& po, const std::string& case_id, bool adopted,
                                                 const std::string& reason);
  /// The case of `application_id` among `cases`, or nullptr.
  static const reviews::v1::ReviewCase* CaseOf(const std::vector<reviews::v1::ReviewCase>& cases,
                                               const std::string& application_id);

  // ---- funds and projects

  /// Loads `yen_per_year` into the program's initial budget of each fiscal
  /// year, as a finance officer.
  absl::Status LoadBudgets(const Caller& finance, const std::string& program_id, const std::vector<int>& fiscal_years,
                           int64_t yen_per_year);
  /// Polls the projects (as `po`) until one comes from `application_id`.
  absl::StatusOr<projects::v1::Project> WaitForProject(const Caller& po, const std::string& program_id,
                                                       const std::string& application_id);
  /// A contract with every institution of the project, then activation.
  absl::StatusOr<projects::v1::Project> ContractAndActivate(const Caller& op, const projects::v1::Project& project);
  /// Polls the project's allocations (as `finance`) until `done` holds for them.
  absl::StatusOr<funds::v1::ListAllocationsResponse> WaitForAllocations(
      const Caller& finance, const std::string& project_id,
      const std::function<bool(const funds::v1::ListAllocationsResponse&)>& done);

  /// Every request this test sent is an operation of /openapi.json.
  void ExpectSentRequestsDocumented();

 private:
  static Platform* platform_;
  std::unique_ptr<Api> api_;
};

/// The plan's direct costs per fiscal year.
std::map<int, int64_t> DirectByYear(const calls::v1::Application& application);

/// The allocations are the application's plan: one a fiscal year, its
/// direct costs plus `indirect_percent` of them (rounded down), either all
/// reserved (pending the contract) or all booked.
bool AllocationsMatchPlan(const funds::v1::ListAllocationsResponse& allocations,
                          const calls::v1::Application& application, int indirect_percent, bool reserved);

}  // namespace tane::e2e
