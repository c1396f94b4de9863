#pragma once
/// The gRPC edge of the funds service: tane.funds.v1.FundsService over
/// Funds (funds.h). Each method takes the caller's identity and trace from
/// the metadata (ServiceKit::Begin), calls Funds and maps its status
/// (runtime::Reply: field violations travel as google.rpc.BadRequest,
/// shortfalls as google.rpc.PreconditionFailure). Thread-safe.

#include <grpcpp/server_context.h>

#include "tane/funds/funds.h"
#include "tane/funds/v1/funds.grpc.pb.h"
#include "tane/runtime/service_kit.h"

namespace tane::funds {

class FundsGrpc final : public v1::FundsService::Service {
 public:
  /// Neither is owned; both must outlive the server.
  FundsGrpc(runtime::ServiceKit& kit, Funds& funds) : kit_(kit), funds_(funds) {}

  grpc::Status LoadProgramBudget(grpc::ServerContext* context, const v1::LoadProgramBudgetRequest* request, v1::LoadProgramBudgetResponse* response) override;
  grpc::Status OpenAccount(grpc::ServerContext* context, const v1::OpenAccountRequest* request, v1::Account* response) override;
  grpc::Status CreateTransfer(grpc::ServerContext* context, const v1::CreateTransferRequest* request, v1::Transfer* response) override;
  grpc::Status GetTransfer(grpc::ServerContext* context, const v1::GetTransferRequest* request, v1::Transfer* response) override;
  grpc::Status PostPendingTransfer(grpc::ServerContext* context, const v1::PostPendingTransferRequest* request, v1::Transfer* response) override;
  grpc::Status VoidPendingTransfer(grpc::ServerContext* context, const v1::VoidPendingTransferRequest* request, v1::Transfer* response) override;
  grpc::Status GetAccount(grpc::ServerContext* context, const v1::GetAccountRequest* request, v1::Account* response) override;
  grpc::Status ListAccounts(grpc::ServerContext* context, const v1::ListAccountsRequest* request, v1::ListAccountsResponse* response) override;
  grpc::Status GetAllocation(grpc::ServerContext* context, const v1::GetAllocationRequest* request, v1::Allocation* response) override;
  grpc::Status ListAllocations(grpc::ServerContext* context, const v1::ListAllocationsRequest* request, v1::ListAllocationsResponse* response) override;
  grpc::Status RecordDisbursement(grpc::ServerContext* context, const v1::RecordDisbursementRequest* request, v1::Disbursement* response) override;
  grpc::Status ReportExpense(grpc::ServerContext* context, const v1::ReportExpenseRequest* request, v1::ExpenseReport* response) override;
  grpc::Status ApproveReallocation(grpc::ServerContext* context, const v1::ApproveReallocationRequest* request, v1::ReallocationApproval* response) override;
  grpc::Status Reallocate(grpc::ServerContext* context, const v1::ReallocateRequest* request, v1::ReallocateResponse* response) override;
  grpc::Status UseNextYearFunds(grpc::ServerContext* context, const v1::UseNextYearFundsRequest* request, v1::UseNextYearFundsResponse* response) override;
  grpc::Status CloseFiscalYear(grpc::ServerContext* context, const v1::CloseFiscalYearRequest* request, v1::CloseFiscalYearResponse* response) override;
  grpc::Status ReportProgramBudget(grpc::ServerContext* context, const v1::ReportProgramBudgetRequest* request, v1::ProgramBudgetReport* response) override;
  grpc::Status ReportProjects(grpc::ServerContext* context, const v1::ReportProjectsRequest* request, v1::ProjectsReport* response) override;
  grpc::Status ReportInstitutions(grpc::ServerContext* context, const v1::ReportInstitutionsRequest* request, v1::InstitutionsReport* response) override;
  grpc::Status ExportCsv(grpc::ServerContext* context, const v1::ExportCsvRequest* request, v1::ExportCsvResponse* response) override;

 private:
  template <typename Request, typename Response>
  grpc::Status Handle(grpc::ServerContext* context, const Request& request, Response* response,
                      absl::StatusOr<Response> (Funds::*method)(const runtime::RequestContext&, const Request&));

  runtime::ServiceKit& kit_;
  Funds& funds_;
};

}  // namespace tane::funds
