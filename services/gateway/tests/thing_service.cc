#include "thing_service.h"

#include <chrono>
#include <map>

#include "tane/core/errors.h"
#include "tane/runtime/identity.h"
#include "tane/runtime/status.h"
#include "tane/telemetry/trace.h"
#include "tane/testing/fixtures.h"

namespace tane::gateway::testing {
namespace {

std::string Metadata(const grpc::ServerContext& context, const std::string& key) {
  auto it = context.client_metadata().find(key);
  return it == context.client_metadata().end() ? "" : std::string(it->second.data(), it->second.size());
}

}  // namespace

grpc::Status ThingServiceImpl::GetThing(grpc::ServerContext*, const gwtest::v1::GetThingRequest* request,
                                        gwtest::v1::Thing* thing) {
  ++calls_;
  if (request->thing_id() == "missing") return grpc::Status(grpc::StatusCode::NOT_FOUND, "no thing \"missing\"");
  thing->set_thing_id(request->thing_id());
  thing->set_name("things/" + request->thing_id());
  thing->set_title("種の研究 " + request->thing_id());
  thing->set_price_yen(9007199254740993);
  thing->set_color(gwtest::v1::COLOR_RED);
  thing->add_tags("seed");
  thing->mutable_create_time()->set_seconds(1496793600);
  return grpc::Status::OK;
}

grpc::Status ThingServiceImpl::ListThings(grpc::ServerContext*, const gwtest::v1::ListThingsRequest* request,
                                          gwtest::v1::ListThingsResponse* response) {
  ++calls_;
  *response->mutable_echo() = *request;
  response->add_things()->set_thing_id("t1");
  response->set_next_page_token("next");
  return grpc::Status::OK;
}

grpc::Status ThingServiceImpl::CountThings(grpc::ServerContext*, const gwtest::v1::ListThingsRequest* request,
                                           gwtest::v1::CountThingsResponse* response) {
  ++calls_;
  response->set_total(request->page_size());
  return grpc::Status::OK;
}

grpc::Status ThingServiceImpl::CreateThing(grpc::ServerContext*, const gwtest::v1::CreateThingRequest* request,
                                           gwtest::v1::Thing* thing) {
  ++calls_;
  *thing = request->thing();
  thing->set_thing_id("t-" + request->shelf_id());
  thing->set_name("shelves/" + request->shelf_id() + "/things/" + thing->thing_id());
  return grpc::Status::OK;
}

grpc::Status ThingServiceImpl::UpdateThing(grpc::ServerContext*, const gwtest::v1::UpdateThingRequest* request,
                                           gwtest::v1::Thing* thing) {
  ++calls_;
  *thing = request->thing();
  return grpc::Status::OK;
}

grpc::Status ThingServiceImpl::SubmitThing(grpc::ServerContext*, const gwtest::v1::SubmitThingRequest* request,
                                           gwtest::v1::Thing* thing) {
  ++calls_;
  thing->set_thing_id(request->thing_id());
  thing->set_title("submitted v" + std::to_string(request->version()) + " key " + request->idempotency_key());
  return grpc::Status::OK;
}

grpc::Status ThingServiceImpl::DeleteThing(grpc::ServerContext*, const gwtest::v1::DeleteThingRequest*,
                                           google::protobuf::Empty*) {
  ++calls_;
  return grpc::Status::OK;
}

grpc::Status ThingServiceImpl::GetFile(grpc::ServerContext*, const gwtest::v1::GetFileRequest* request,
                                       gwtest::v1::File* file) {
  ++calls_;
  file->set_path(request->path());
  return grpc::Status::OK;
}

grpc::Status ThingServiceImpl::SetTags(grpc::ServerContext*, const gwtest::v1::SetTagsRequest* request,
                                       gwtest::v1::SetTagsResponse* response) {
  ++calls_;
  *response->mutable_tags() = request->tags();
  return grpc::Status::OK;
}

grpc::Status ThingServiceImpl::Fail(grpc::ServerContext*, const gwtest::v1::FailRequest* request,
                                    google::protobuf::Empty*) {
  ++calls_;
  const auto code = static_cast<absl::StatusCode>(request->code());
  if (request->violations().empty()) return runtime::ToGrpcStatus(absl::Status(code, request->message()));
  core::Violations violations;
  const std::map<std::string, std::string> sorted(request->violations().begin(), request->violations().end());
  for (const auto& [field, description] : sorted) violations.Add(field, description);
  absl::Status bad = violations.ToStatus(request->message());
  absl::Status status(code, bad.message());
  status.SetPayload(core::kBadRequestTypeUrl, *bad.GetPayload(core::kBadRequestTypeUrl));
  return runtime::ToGrpcStatus(status);
}

grpc::Status ThingServiceImpl::Whoami(grpc::ServerContext* context, const gwtest::v1::WhoamiRequest*,
                                      gwtest::v1::WhoamiResponse* response) {
  ++calls_;
  auto identity = runtime::IdentityFrom(*context, internal_token_);
  if (!identity.ok()) return runtime::ToGrpcStatus(identity.status());
  response->set_subject(identity->subject);
  response->set_role(identity->role);
  response->set_agency(identity->agency);
  response->set_internal_token(Metadata(*context, runtime::kInternalTokenMetadataKey));
  response->set_request_id(Metadata(*context, "x-request-id"));
  response->set_trace_id(telemetry::TraceIdFrom(*context));
  response->set_deadline_seconds(
      std::chrono::duration<double>(context->deadline() - std::chrono::system_clock::now()).count());
  return grpc::Status::OK;
}

grpc::Status ThingServiceImpl::PartnerWhoami(grpc::ServerContext* context, const gwtest::v1::WhoamiRequest* request,
                                             gwtest::v1::WhoamiResponse* response) {
  return Whoami(context, request, response);
}

grpc::Status ThingServiceImpl::Hang(grpc::ServerContext* context, const gwtest::v1::HangRequest*,
                                    google::protobuf::Empty*) {
  ++calls_;
  ++hanging_;
  tane::testing::WaitFor([&] { return context->IsCancelled(); }, absl::Seconds(60));
  --hanging_;
  return grpc::Status(grpc::StatusCode::CANCELLED, "the caller went away");
}

ThingServer::ThingServer(const std::string& internal_token) : service_(internal_token) {
  runtime::ServiceConfig config = runtime::ServiceConfig::Defaults("gwtest", 0, 0);
  config.internal_token = internal_token;
  runtime::ServiceHostOptions options;
  options.handle_signals = false;
  options.readiness_interval = absl::Milliseconds(20);
  options.shutdown_grace = absl::Seconds(1);
  host_ = std::make_unique<runtime::ServiceHost>(config, options);
  host_->AddService(&service_);
}

ThingServer::~ThingServer() { host_->RequestShutdown(); }

absl::StatusOr<std::unique_ptr<ThingServer>> ThingServer::Start(const std::string& internal_token) {
  std::unique_ptr<ThingServer> server(new ThingServer(internal_token));
  if (auto status = server->host_->Start(); !status.ok()) return status;
  if (!server->host_->WaitUntilReady(absl::Seconds(10))) return absl::DeadlineExceededError("the service is not ready");
  return server;
}

}  // namespace tane::gateway::testing
