#pragma once
/// The funds service's operations: program budgets, project allocations,
/// disbursements, expense reports, reallocation (費目間流用), 前倒し,
/// fiscal-year close and reports — the funding rules (tane::funds_rules)
/// booked on the double-entry ledger (tane::funds_ledger) — and the handlers
/// of the projects events that drive allocations. FundsGrpc (grpc_service.h)
/// is the thin gRPC edge over it.
///
/// State. The money is in the ledger, one book per program. Beside it, in the
/// kit's AggregateStore: what funds learnt of each project from
/// tane.projects.events (FundedProject, aggregate "project"), approvals of
/// reallocations beyond the free limit, and closed fiscal years.
///
/// Idempotency. Every domain operation books one ledger batch whose transfer
/// ids "<prefix>.<n>" follow from the request's idempotency key (request_id)
/// or the consumed event, and whose batch id also carries a fingerprint of the
/// request. A repeated request finds its batch booked and answers from it
/// (nothing changes); the same key with another request is ALREADY_EXISTS;
/// events redelivered by Kafka find their batches booked and their event id
/// applied, and book nothing twice. Domain events (AllocationMade,
/// DisbursementMade, ...) are in the batch, so they reach the outbox exactly
/// when the money moves; AllocationRejected and FiscalYearClosed go out with
/// the FundedProject / closed-year commit.
///
/// Allocations wait on the contract: ProjectStarted (a project in
/// contracting) reserves the plan as pending transfers; the ProjectChanged
/// that makes the project active posts them; termination voids what is
/// still reserved and releases future years.
///
/// Who sees what: finance officers, program officers, operators and auditors
/// see every project (the gateway enforces the roles of each RPC); an
/// applicant only the projects whose principal investigator they are
/// (caller subject = ProjectStarted.pi_subject, the rule projects applies;
/// the PI's e-Rad number for a project started without one), else
/// PERMISSION_DENIED.
///
/// Thread-safety: every method may be called from any thread.

#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tane/common/v1/envelope.pb.h"
#include "tane/funds/ledger.h"
#include "tane/funds/program_terms.h"
#include "tane/funds/v1/events.pb.h"
#include "tane/funds/v1/funds.pb.h"
#include "tane/funds/v1/state.pb.h"
#include "tane/projects/v1/events.pb.h"
#include "tane/runtime/service_kit.h"

namespace tane::funds {

/// "funds": the kit's service name, keyspace and topic (tane.funds.events).
inline constexpr char kServiceName[] = "funds";

/// An account-id component for an institution id: a ROR id without its
/// "https://ror.org/" prefix, an id of [A-Za-z0-9_-] as it is, anything else
/// "i" + 16 hex digits of its FNV-1a hash.
std::string InstitutionKey(std::string_view institution_id);

class Funds final {
 public:
  using Context = runtime::RequestContext;

  /// The kit must outlive this object; its keyspace must be "funds".
  Funds(runtime::ServiceKit& kit, ProgramTerms terms);

  /// Registers the handlers of ProjectStarted, ProjectChanged,
  /// ProjectTerminated and EvaluationRecorded with the kit (before Start()).
  void RegisterEventHandlers();

  // ------------------------------------------------------------- RPCs
  // Errors (besides the ledger's, see ledger.h): INVALID_ARGUMENT with field
  // violations; NOT_FOUND for an unknown program (catalog), project,
  // account, transfer or approval; FAILED_PRECONDITION for what the rules
  // forbid (closed year, inactive project, limits, insufficient funds with
  // google.rpc.PreconditionFailure); ALREADY_EXISTS for a request id used
  // for a different request; PERMISSION_DENIED for an applicant's foreign
  // project; ABORTED when the accounts a limit (費目間流用, 前倒し) is judged on
  // kept changing under concurrent requests until the attempts ran out
  // (retry with the same ids); UNAVAILABLE when Redis is down (retry with
  // the same ids).

  absl::StatusOr<v1::LoadProgramBudgetResponse> LoadProgramBudget(const Context& ctx,
                                                                  const v1::LoadProgramBudgetRequest& request);
  absl::StatusOr<v1::Account> OpenAccount(const Context& ctx, const v1::OpenAccountRequest& request);
  absl::StatusOr<v1::Transfer> CreateTransfer(const Context& ctx, const v1::CreateTransferRequest& request);
  absl::StatusOr<v1::Transfer> GetTransfer(const Context& ctx, const v1::GetTransferRequest& request);
  absl::StatusOr<v1::Transfer> PostPendingTransfer(const Context& ctx, const v1::PostPendingTransferRequest& request);
  absl::StatusOr<v1::Transfer> VoidPendingTransfer(const Context& ctx, const v1::VoidPendingTransferRequest& request);
  absl::StatusOr<v1::Account> GetAccount(const Context& ctx, const v1::GetAccountRequest& request);
  absl::StatusOr<v1::ListAccountsResponse> ListAccounts(const Context& ctx, const v1::ListAccountsRequest& request);
  absl::StatusOr<v1::Allocation> GetAllocation(const Context& ctx, const v1::GetAllocationRequest& request);
  absl::StatusOr<v1::ListAllocationsResponse> ListAllocations(const Context& ctx,
                                                              const v1::ListAllocationsRequest& request);
  absl::StatusOr<v1::Disbursement> RecordDisbursement(const Context& ctx, const v1::RecordDisbursementRequest& request);
  absl::StatusOr<v1::ExpenseReport> ReportExpense(const Context& ctx, const v1::ReportExpenseRequest& request);
  absl::StatusOr<v1::ReallocationApproval> ApproveReallocation(const Context& ctx,
                                                               const v1::ApproveReallocationRequest& request);
  absl::StatusOr<v1::ReallocateResponse> Reallocate(const Context& ctx, const v1::ReallocateRequest& request);
  absl::StatusOr<v1::UseNextYearFundsResponse> UseNextYearFunds(const Context& ctx,
                                                                const v1::UseNextYearFundsRequest& request);
  absl::StatusOr<v1::CloseFiscalYearResponse> CloseFiscalYear(const Context& ctx,
                                                              const v1::CloseFiscalYearRequest& request);
  absl::StatusOr<v1::ProgramBudgetReport> ReportProgramBudget(const Context& ctx,
                                                              const v1::ReportProgramBudgetRequest& request);
  absl::StatusOr<v1::ProjectsReport> ReportProjects(const Context& ctx, const v1::ReportProjectsRequest& request);
  absl::StatusOr<v1::InstitutionsReport> ReportInstitutions(const Context& ctx,
                                                            const v1::ReportInstitutionsRequest& request);
  absl::StatusOr<v1::ExportCsvResponse> ExportCsv(const Context& ctx, const v1::ExportCsvRequest& request);

  // ------------------------------------------------------------- events
  // Idempotent (redelivery changes nothing). UNAVAILABLE / ABORTED are
  // retried by the consumer; a payload funds cannot use (no project id) is
  // INVALID_ARGUMENT and goes to the dead-letter topic.

  /// Records the project and reserves its plan (AllocationMade, pending), or
  /// AllocationRejected with the shortfall per fiscal year and nothing booked.
  absl::Status OnProjectStarted(const common::v1::EventEnvelope& envelope, const projects::v1::ProjectStarted& event);
  /// Keeps the project's state, PI and institutions; posts the reservation
  /// when the project becomes active; with a new plan, revises the
  /// allocation from the current fiscal year on (ReviseAllocation) or, for a
  /// rejected one, tries again; a released hold also tries a rejected
  /// allocation again.
  absl::Status OnProjectChanged(const common::v1::EventEnvelope& envelope, const projects::v1::ProjectChanged& event);
  /// Voids what is still reserved and releases the allocations of
  /// effective_fiscal_year on to the program budget (FundsReturned).
  absl::Status OnProjectTerminated(const common::v1::EventEnvelope& envelope,
                                   const projects::v1::ProjectTerminated& event);
  /// Notes the evaluation on the project. Its money effect arrives with the
  /// ProjectChanged (BUDGET_CUT, with the cut plan) or ProjectTerminated that
  /// projects emits beside it.
  absl::Status OnEvaluationRecorded(const common::v1::EventEnvelope& envelope,
                                    const projects::v1::EvaluationRecorded& event);

  /// Tests only: hooks into the windows a crash or a concurrent request can
  /// hit. Empty members are skipped; the hooks are called from the threads
  /// of the requests and handlers, so they must be thread-safe themselves.
  struct TestHooks {
    /// Asked before each project commit of an event handler, the crash
    /// window between an event's ledger batch and its project commit: a
    /// non-OK status is returned in the commit's place (the commit is not
    /// made, as when it fails or the process dies; the consumer retries
    /// UNAVAILABLE / ABORTED).
    std::function<absl::Status(const common::v1::EventEnvelope& cause)> before_project_commit;
    /// Called with the batch's id prefix before each ledger batch is booked,
    /// after the operation read and judged the state it books on: the
    /// window in which a concurrent request can change that state.
    std::function<void(const std::string& prefix)> before_book;
  };
  /// Replaces the hooks ({} clears them). Thread-safe.
  void SetTestHooks(TestHooks hooks);

 private:
  struct Booked {
    std::vector<Transfer> transfers;
    std::vector<Transfer> resolved;
    bool duplicate = false;
  };
  enum class OnOtherRequest { kRefuse, kAccept };
  struct AllocationOutcome {
    bool booked = false;
    std::vector<std::string> pending_ids;
    std::optional<v1::AllocationRejected> rejected;
  };

  /// The batch booked under `prefix` ("<prefix>.1", ...), if any. Booked for
  /// another request (batch id "<prefix>:<other fingerprint>"): returned with
  /// kAccept, ALREADY_EXISTS naming `key_field` with kRefuse.
  absl::StatusOr<std::optional<Booked>> FindBooked(const std::string& program_id, const std::string& prefix,
                                                   const std::string& fingerprint, OnOtherRequest on_other,
                                                   const std::string& key_field);
  /// FindBooked, else books what `build` returns (numbered under `prefix`,
  /// batch id "<prefix>:<fingerprint>"); an empty batch books nothing.
  absl::StatusOr<Booked> BookOnce(const std::string& program_id, const std::string& prefix,
                                  const std::string& fingerprint, OnOtherRequest on_other, const std::string& key_field,
                                  const Origin& origin, const std::function<absl::StatusOr<Batch>()>& build);
  absl::StatusOr<runtime::Loaded<v1::FundedProject>> LoadProject(const std::string& project_id);
  /// The project for an RPC: NOT_FOUND when unknown, INVALID_ARGUMENT when
  /// `program_id` is given and differs, PERMISSION_DENIED for an applicant
  /// who is not its PI.
  absl::StatusOr<v1::FundedProject> ProjectFor(const Context& ctx, const std::string& program_id,
                                               const std::string& project_id);
  absl::Status RequireOpenYear(const std::string& program_id, int fiscal_year);
  /// The moves of a fiscal-year close (CloseFiscalYear of the rules per
  /// group of accounts closing under the same terms).
  absl::StatusOr<std::vector<LedgerMove>> CloseMoves(const v1::CloseFiscalYearRequest& request,
                                                     const FundingTerms& program_terms);
  absl::StatusOr<std::vector<BudgetAvailability>> Availability(const std::string& program_id);
  absl::StatusOr<AllocationOutcome> TryAllocate(const v1::FundedProject& project, const common::v1::EventEnvelope& cause,
                                                const std::string& reason, const Context& ctx);
  absl::StatusOr<AllocationOutcome> Revise(const v1::FundedProject& project,
                                           const std::vector<v1::PlanLine>& new_plan,
                                           const common::v1::EventEnvelope& cause, const Context& ctx);
  absl::Status PostReservation(v1::FundedProject& project, const Context& ctx);
  /// Commits the project (expected version) with the event marked applied
  /// and `events` to the outbox.
  absl::Status CommitProject(const v1::FundedProject& project, int64_t version,
                             const common::v1::EventEnvelope& cause, std::vector<common::v1::EventEnvelope> events);
  absl::StatusOr<bool> Applied(const common::v1::EventEnvelope& envelope, const std::string& project_id);
  /// The project an event is about, or nothing to do: INVALID_ARGUMENT
  /// without a project id; nullopt when the event was applied before, or
  /// when funds does not know the project (then it is marked applied).
  absl::StatusOr<std::optional<runtime::Loaded<v1::FundedProject>>> KnownProject(
      const common::v1::EventEnvelope& envelope, const std::string& project_id);
  /// Takes an allocation's outcome into the project: its status and pending
  /// transfers (and `plan` when given), or the rejection and its event.
  void Take(const AllocationOutcome& outcome, const std::vector<v1::PlanLine>* plan, const Context& ctx,
            v1::FundedProject& project, std::vector<common::v1::EventEnvelope>& events);
  v1::Disbursement DisbursementOf(const v1::FundedProject& project, const v1::RecordDisbursementRequest& request,
                                  const std::string& institution, const std::string& id, const Booked& booked);
  void Count(const std::string& what, const std::string& outcome);

  runtime::ServiceKit& kit_;
  ProgramTerms terms_;
  Ledger ledger_;
  /// The hooks now set; copied out under hooks_mu_ and called outside it.
  TestHooks Hooks();
  std::mutex hooks_mu_;
  TestHooks hooks_;  // guarded by hooks_mu_
};

}  // namespace tane::funds
