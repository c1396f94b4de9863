#include "tane/funds/grpc_service.h"

#include "tane/runtime/status.h"

namespace tane::funds {

template <typename Request, typename Response>
grpc::Status FundsGrpc::Handle(grpc::ServerContext* context, const Request& request, Response* response,
                               absl::StatusOr<Response> (Funds::*method)(const runtime::RequestContext&,
                                                                         const Request&)) {
  auto ctx = kit_.Begin(*context);
  if (!ctx.ok()) return runtime::ToGrpcStatus(ctx.status());
  return runtime::Reply((funds_.*method)(*ctx, request), response);
}

grpc::Status FundsGrpc::LoadProgramBudget(grpc::ServerContext* context, const v1::LoadProgramBudgetRequest* request, v1::LoadProgramBudgetResponse* response) {
  return Handle(context, *request, response, &Funds::LoadProgramBudget);
}

grpc::Status FundsGrpc::OpenAccount(grpc::ServerContext* context, const v1::OpenAccountRequest* request, v1::Account* response) {
  return Handle(context, *request, response, &Funds::OpenAccount);
}

grpc::Status FundsGrpc::CreateTransfer(grpc::ServerContext* context, const v1::CreateTransferRequest* request, v1::Transfer* response) {
  return Handle(context, *request, response, &Funds::CreateTransfer);
}

grpc::Status FundsGrpc::GetTransfer(grpc::ServerContext* context, const v1::GetTransferRequest* request, v1::Transfer* response) {
  return Handle(context, *request, response, &Funds::GetTransfer);
}

grpc::Status FundsGrpc::PostPendingTransfer(grpc::ServerContext* context, const v1::PostPendingTransferRequest* request, v1::Transfer* response) {
  return Handle(context, *request, response, &Funds::PostPendingTransfer);
}

grpc::Status FundsGrpc::VoidPendingTransfer(grpc::ServerContext* context, const v1::VoidPendingTransferRequest* request, v1::Transfer* response) {
  return Handle(context, *request, response, &Funds::VoidPendingTransfer);
}

grpc::Status FundsGrpc::GetAccount(grpc::ServerContext* context, const v1::GetAccountRequest* request, v1::Account* response) {
  return Handle(context, *request, response, &Funds::GetAccount);
}

grpc::Status FundsGrpc::ListAccounts(grpc::ServerContext* context, const v1::ListAccountsRequest* request, v1::ListAccountsResponse* response) {
  return Handle(context, *request, response, &Funds::ListAccounts);
}

grpc::Status FundsGrpc::GetAllocation(grpc::ServerContext* context, const v1::GetAllocationRequest* request, v1::Allocation* response) {
  return Handle(context, *request, response, &Funds::GetAllocation);
}

grpc::Status FundsGrpc::ListAllocations(grpc::ServerContext* context, const v1::ListAllocationsRequest* request, v1::ListAllocationsResponse* response) {
  return Handle(context, *request, response, &Funds::ListAllocations);
}

grpc::Status FundsGrpc::RecordDisbursement(grpc::ServerContext* context, const v1::RecordDisbursementRequest* request, v1::Disbursement* response) {
  return Handle(context, *request, response, &Funds::RecordDisbursement);
}

grpc::Status FundsGrpc::ReportExpense(grpc::ServerContext* context, const v1::ReportExpenseRequest* request, v1::ExpenseReport* response) {
  return Handle(context, *request, response, &Funds::ReportExpense);
}

grpc::Status FundsGrpc::ApproveReallocation(grpc::ServerContext* context, const v1::ApproveReallocationRequest* request, v1::ReallocationApproval* response) {
  return Handle(context, *request, response, &Funds::ApproveReallocation);
}

grpc::Status FundsGrpc::Reallocate(grpc::ServerContext* context, const v1::ReallocateRequest* request, v1::ReallocateResponse* response) {
  return Handle(context, *request, response, &Funds::Reallocate);
}

grpc::Status FundsGrpc::UseNextYearFunds(grpc::ServerContext* context, const v1::UseNextYearFundsRequest* request, v1::UseNextYearFundsResponse* response) {
  return Handle(context, *request, response, &Funds::UseNextYearFunds);
}

grpc::Status FundsGrpc::CloseFiscalYear(grpc::ServerContext* context, const v1::CloseFiscalYearRequest* request, v1::CloseFiscalYearResponse* response) {
  return Handle(context, *request, response, &Funds::CloseFiscalYear);
}

grpc::Status FundsGrpc::ReportProgramBudget(grpc::ServerContext* context, const v1::ReportProgramBudgetRequest* request, v1::ProgramBudgetReport* response) {
  return Handle(context, *request, response, &Funds::ReportProgramBudget);
}

grpc::Status FundsGrpc::ReportProjects(grpc::ServerContext* context, const v1::ReportProjectsRequest* request, v1::ProjectsReport* response) {
  return Handle(context, *request, response, &Funds::ReportProjects);
}

grpc::Status FundsGrpc::ReportInstitutions(grpc::ServerContext* context, const v1::ReportInstitutionsRequest* request, v1::InstitutionsReport* response) {
  return Handle(context, *request, response, &Funds::ReportInstitutions);
}

grpc::Status FundsGrpc::ExportCsv(grpc::ServerContext* context, const v1::ExportCsvRequest* request, v1::ExportCsvResponse* response) {
  return Handle(context, *request, response, &Funds::ExportCsv);
}

}  // namespace tane::funds
