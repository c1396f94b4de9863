#pragma once
/// Effort (エフォート) and duplicate-funding (不合理な重複・過度の集中) checks,
/// as pure functions over a read model of each researcher's commitments.
///
/// The read model is owned by the service (built from its own events and from
/// projects' events); these functions never do I/O. Load the commitments of
/// the researchers named in an application into an InMemoryCommitments (or
/// implement CommitmentsView over a snapshot) and pass it in.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tane/calls/application_rules.h"
#include "tane/calls/catalog.h"
#include "tane/calls/v1/calls.pb.h"
#include "tane/core/errors.h"

namespace tane::calls {

/// A funded project the researcher works on.
struct ActiveProject {
  std::string project_id;
  std::string program_id;
  int effort_percent = 0;
};

/// A submitted application not yet decided.
struct PendingApplication {
  std::string application_id;
  std::string call_id;
  /// This researcher's effort in that application (PI or co-investigator).
  int effort_percent = 0;
  /// MatchingHash of title_ja, title_en and abstract (empty: none).
  std::string title_ja_hash;
  std::string title_en_hash;
  std::string abstract_hash;
  /// The call still accepts submissions (PUBLISHED and before closes_at).
  bool call_open = false;
};

struct ResearcherCommitments {
  std::vector<ActiveProject> active_projects;
  std::vector<PendingApplication> pending_applications;
};

/// Read-only view of commitments by e-Rad researcher number.
class CommitmentsView {
 public:
  virtual ~CommitmentsView() = default;
  /// Empty commitments for an unknown researcher.
  virtual ResearcherCommitments CommitmentsOf(std::string_view researcher_id) const = 0;
};

/// A CommitmentsView over a map; for tests and for snapshots loaded per request.
class InMemoryCommitments final : public CommitmentsView {
 public:
  void Put(std::string researcher_id, ResearcherCommitments commitments) {
    by_researcher_[std::move(researcher_id)] = std::move(commitments);
  }
  ResearcherCommitments CommitmentsOf(std::string_view researcher_id) const override;

 private:
  std::map<std::string, ResearcherCommitments, std::less<>> by_researcher_;
};

/// What the read model stores for `researcher_id` once `application` is
/// submitted: its hashes, call, and that researcher's effort in it.
PendingApplication AsPending(const v1::Application& application, std::string_view researcher_id,
                             bool call_open);

/// For the principal investigator and each co-investigator: effort in active
/// projects + effort in other pending applications (this application's id
/// excluded) + effort in this application must not exceed 100%. One violation
/// per over-committed person, on "pi_effort_percent" or
/// "co_investigators[i].effort_percent", stating the total and its parts.
void CollectEffortViolations(const v1::Application& application, const CommitmentsView& view,
                             core::Violations& out);

/// Pending applications of the same researcher (PI or co-investigator) in an
/// open call whose normalised title (ja or en) or abstract hash equals this
/// application's (see NormalizeForMatching in text.h). Includes other
/// applications to the same call. One finding per (researcher, other
/// application, reason). Findings flag, never refuse.
std::vector<v1::DuplicateFinding> FindDuplicates(const v1::Application& application,
                                                 const CommitmentsView& view);

/// CheckForSubmit (application_rules.h) plus the effort rule, with the
/// duplicate findings in SubmitCheck::duplicates: everything SubmitApplication
/// and ValidateApplication need in one call.
SubmitCheck CheckForSubmit(const v1::Application& application, const v1::Call& call,
                           const ProgramRule& program, const CommitmentsView& view, absl::Time now);

struct SubmitOutcome {
  v1::Application application;  // SUBMITTED, with computed costs
  std::vector<v1::DuplicateFinding> duplicates;
};
/// SubmitApplication (application_rules.h) with the effort rule and the
/// duplicate findings to publish as DuplicateSuspected.
absl::StatusOr<SubmitOutcome> SubmitApplication(const v1::Application& current,
                                                const v1::Call& call, const ProgramRule& program,
                                                const CommitmentsView& view, absl::Time now);

}  // namespace tane::calls
