#include "dispatcher.h"

#include <google/protobuf/descriptor.h>

#include <chrono>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "tane/gateway/errors.h"
#include "tane/gateway/json.h"
#include "tane/gateway/policy.h"
#include "tane/gateway/request_id.h"
#include "tane/gateway/transcoder.h"
#include "tane/international/v1/international.pb.h"
#include "tane/runtime/identity.h"
#include "tane/runtime/status.h"
#include "tane/telemetry/grpc_interceptor.h"
#include "tane/telemetry/log.h"
#include "tane/telemetry/trace.h"

namespace tane::gateway::internal {
namespace {

constexpr char kRequestIdHeader[] = "X-Request-Id";
constexpr char kRequestIdMetadataKey[] = "x-request-id";
constexpr char kForwardedForMetadataKey[] = "x-forwarded-for";
// Who the gateway is when it asks the international service about a
// partner key (AuthenticatePartner's policy: operator).
constexpr char kGatewaySubject[] = "service:gateway";
constexpr char kAuthenticatePartnerMethod[] = "/tane.international.v1.InternationalService/AuthenticatePartner";

std::string_view View(boost::beast::string_view s) { return {s.data(), s.size()}; }

std::string Header(const HttpRequest& request, std::string_view name) {
  return std::string(View(request[boost::beast::string_view(name.data(), name.size())]));
}

bool IsJsonMediaType(std::string_view content_type) {
  std::string type(content_type.substr(0, content_type.find(';')));
  while (!type.empty() && type.back() == ' ') type.pop_back();
  for (char& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return type == "application/json" ||
         (type.rfind("application/", 0) == 0 && type.size() > 5 && type.compare(type.size() - 5, 5, "+json") == 0);
}

// What AuthenticatePartner's answer makes of the key: its partner,
// UNAUTHENTICATED (401) when refused, UNAVAILABLE (503) when the service
// could not say: that is not the key's fault, so never 401 (and the cache
// does not remember it).
absl::StatusOr<auth::Principal> PartnerOf(const grpc::Status& status,
                                          const international::v1::AuthenticatePartnerResponse& response) {
  if (status.ok()) return PartnerKeyPrincipal(response.agency_code(), response.credential_id());
  if (status.error_code() == grpc::StatusCode::UNAUTHENTICATED) {
    return absl::UnauthenticatedError("unknown, revoked or expired partner API key");
  }
  return absl::UnavailableError("cannot verify the partner API key now: the international service answered " +
                                std::string(telemetry::GrpcCodeName(status.error_code())) + ": " +
                                status.error_message());
}

}  // namespace

void InflightCalls::Add(grpc::ClientContext* context) {
  std::lock_guard lock(mu_);
  calls_.insert(context);
  // Before the call starts gRPC remembers the cancellation and applies it then.
  if (cancelled_) context->TryCancel();
}

void InflightCalls::Remove(grpc::ClientContext* context) {
  std::lock_guard lock(mu_);
  calls_.erase(context);
  if (calls_.empty()) cv_.notify_all();
}

bool InflightCalls::WaitUntilEmpty(absl::Duration timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, absl::ToChronoMilliseconds(timeout), [this] { return calls_.empty(); });
}

void InflightCalls::CancelAll() {
  std::lock_guard lock(mu_);
  cancelled_ = true;
  for (grpc::ClientContext* context : calls_) context->TryCancel();
}

// What the access log and metrics need to know about one request.
struct Dispatcher::Exchange {
  absl::Time start = absl::Now();
  std::string request_id;
  std::string method;
  std::string path;
  std::string route = "unmatched";
  std::string rpc;
  std::string grpc_code;
  // How a partner API key was checked (the outcomes of
  // tane_gateway_partner_key_checks_total; "unavailable:<code>" names what
  // international answered); empty for other credentials.
  std::string partner_key_check;
  std::string subject;
  std::string role;
  std::string origin;
  std::string remote;
  unsigned version = 11;
  bool keep_alive = true;
  size_t bytes_in = 0;
  bool invalid_credentials = false;
  Respond respond;
};

Dispatcher::Dispatcher(const GatewayOptions& options, const RouteTable& routes, Authenticator authenticator,
                       Upstreams& upstreams, telemetry::Metrics& metrics, const std::string& openapi_json)
    : options_(options),
      routes_(routes),
      authenticator_(std::move(authenticator)),
      partner_keys_(options.partner_key_ttl),
      upstreams_(upstreams),
      openapi_json_(openapi_json),
      cors_(options.cors),
      rate_limiter_(options.rate_limit),
      partner_key_checks_(PartnerKeyChecks::Of(metrics)),
      requests_(metrics.CounterFamily("http_requests_total", "HTTP requests answered, by route, method and status")),
      durations_(
          metrics.HistogramFamily("http_request_duration_seconds",
                                  "Time from a parsed HTTP request to its response, by route, method and status")) {}

Dispatcher::PartnerKeyChecks Dispatcher::PartnerKeyChecks::Of(telemetry::Metrics& metrics) {
  auto& family = metrics.CounterFamily(
      "tane_gateway_partner_key_checks_total",
      "Partner API keys (tpk_...) checked: answered from the cache, accepted or refused by international, "
      "unavailable (international did not answer: 503), rate_limited (429 before asking)");
  return PartnerKeyChecks{&family.Add({{"outcome", "cached"}}), &family.Add({{"outcome", "accepted"}}),
                          &family.Add({{"outcome", "refused"}}), &family.Add({{"outcome", "unavailable"}}),
                          &family.Add({{"outcome", "rate_limited"}})};
}

void Dispatcher::FinishRateLimited(const std::shared_ptr<Exchange>& exchange, const RateLimiter::Decision& decision,
                                   const std::string& who) {
  const int64_t retry =
      std::max<int64_t>(1, static_cast<int64_t>(std::ceil(absl::ToDoubleSeconds(decision.retry_after))));
  HttpResponse response(http::status::too_many_requests, exchange->version);
  response.set(http::field::retry_after, std::to_string(retry));
  response.set(http::field::content_type, "application/json");
  response.body() = ErrorBody(absl::ResourceExhaustedError(
      "rate limit exceeded for " + who + " (" + absl::StrCat(options_.rate_limit.rate_per_second) +
      " requests/s, burst " + absl::StrCat(options_.rate_limit.burst) + "); retry in " + std::to_string(retry) + " s"));
  Finish(exchange, std::move(response));
}

void Dispatcher::Handle(HttpRequest request, std::string remote_address, Respond respond) {
  auto exchange = std::make_shared<Exchange>();
  exchange->request_id = RequestIdFor(Header(request, kRequestIdHeader), Header(request, "traceparent"));
  exchange->method = std::string(View(request.method_string()));
  const std::string_view target = View(request.target());
  exchange->path = std::string(target.substr(0, target.find('?')));
  exchange->origin = Header(request, "Origin");
  exchange->remote = std::move(remote_address);
  exchange->version = request.version();
  exchange->keep_alive = request.keep_alive();
  exchange->bytes_in = request.body().size();
  exchange->respond = std::move(respond);
  Route(exchange, request);
}

void Dispatcher::Reject(const HttpRequest* partial, unsigned version, unsigned http_status, const absl::Status& status,
                        std::string remote_address, Respond respond) {
  auto exchange = std::make_shared<Exchange>();
  exchange->request_id = partial == nullptr
                             ? telemetry::NewTraceId()
                             : RequestIdFor(Header(*partial, kRequestIdHeader), Header(*partial, "traceparent"));
  if (partial != nullptr) {
    exchange->method = std::string(View(partial->method_string()));
    const std::string_view target = View(partial->target());
    exchange->path = std::string(target.substr(0, target.find('?')));
    exchange->origin = Header(*partial, "Origin");
  }
  exchange->route = "rejected";
  exchange->remote = std::move(remote_address);
  exchange->version = version;
  exchange->keep_alive = false;  // the rest of the request was not read
  exchange->respond = std::move(respond);
  FinishError(exchange, status, http_status);
}

void Dispatcher::Route(const std::shared_ptr<Exchange>& exchange, HttpRequest& request) {
  const std::string& method = exchange->method;
  const std::string& path = exchange->path;

  // CORS preflight.
  if (request.method() == http::verb::options && request.count(http::field::access_control_request_method) > 0) {
    exchange->route = "preflight";
    HeaderList headers =
        cors_.PreflightHeaders(exchange->origin, View(request[http::field::access_control_request_method]));
    if (headers.empty()) {
      FinishError(exchange, absl::PermissionDeniedError("CORS preflight refused: origin \"" + exchange->origin +
                                                        "\" or method is not allowed"));
      return;
    }
    HttpResponse response(http::status::no_content, exchange->version);
    for (auto& [name, value] : headers) response.set(name, value);
    Finish(exchange, std::move(response));
    return;
  }

  // Built-in routes.
  if (path == "/healthz" || path == "/readyz" || path == "/openapi.json") {
    exchange->route = path;
    if (request.method() != http::verb::get) {
      FinishMethodNotAllowed(exchange, "GET");
    } else if (path == "/healthz") {
      FinishJson(exchange, 200, Json::Object().Set("status", "ok").Dump());
    } else if (path == "/openapi.json") {
      FinishJson(exchange, 200, openapi_json_);
    } else {
      const bool ready = upstreams_.AllServing() && !shutting_down_;
      Json body = Json::Object();
      body.Set("status", ready ? "ready" : shutting_down_ ? "shutting down" : "not ready");
      body.Set("upstreams", upstreams_.Describe());
      FinishJson(exchange, ready ? 200 : 503, body.Dump());
    }
    return;
  }

  auto split = SplitRequestPath(path);
  if (!split.ok()) {
    FinishError(exchange, absl::NotFoundError("no route for " + method + " " + path));
    return;
  }
  RouteTable::Match match = routes_.Find(method, *split);
  if (match.kind == RouteTable::Match::Kind::kNotFound) {
    FinishError(exchange, absl::NotFoundError("no route for " + method + " " + path));
    return;
  }
  if (match.kind == RouteTable::Match::Kind::kMethodNotAllowed) {
    std::string allowed;
    for (const std::string& m : match.allowed) allowed += (allowed.empty() ? "" : ", ") + m;
    FinishMethodNotAllowed(exchange, allowed);
    return;
  }
  exchange->route = match.route->name;
  exchange->rpc = match.route->method->full_name();

  auto credentials =
      authenticator_.Authenticate(View(request[http::field::authorization]), Header(request, "X-Api-Key"), absl::Now());
  if (!credentials.ok()) {
    exchange->invalid_credentials = true;
    FinishError(exchange, credentials.status());
    return;
  }
  if (!credentials->partner_key.empty()) {
    VerifyPartnerKey(exchange, std::make_unique<Matched>(Matched{std::move(request), std::move(match)}),
                     std::move(credentials->partner_key));
    return;
  }
  Admit(exchange, request, match, credentials->caller);
}

void Dispatcher::VerifyPartnerKey(const std::shared_ptr<Exchange>& exchange, std::unique_ptr<Matched> matched,
                                  std::string key) {
  if (auto known = partner_keys_.Find(key, absl::Now())) {
    partner_key_checks_.cached->Increment();
    exchange->partner_key_check = "cached";
    AdmitPartner(exchange, *matched, *known);
    return;
  }
  // A key not remembered costs a call to international: the caller's address
  // pays for it from its bucket first, so a flood of made-up keys is refused
  // here rather than passed on. Those that do get through are refused by
  // international, and the cache never drops an accepted key to remember a
  // refusal, so they cannot push real keys out of it.
  if (RateLimiter::Decision decision = rate_limiter_.Acquire("ip:" + exchange->remote, absl::Now());
      !decision.allowed) {
    partner_key_checks_.rate_limited->Increment();
    exchange->partner_key_check = "rate_limited";
    FinishRateLimited(exchange, decision, "this address");
    return;
  }
  Upstreams::Upstream* international = upstreams_.Find(kPartnerKeyUpstream);
  if (international == nullptr) {
    FinishError(exchange, absl::UnavailableError(
                              "partner API keys are verified by the international service, which is not configured "
                              "in this gateway (set TANE_INTERNATIONAL_ADDR)"));
    return;
  }
  struct Verification {
    grpc::ClientContext context;
    international::v1::AuthenticatePartnerRequest request;
    international::v1::AuthenticatePartnerResponse response;
    std::unique_ptr<Matched> matched;
    std::string key;
  };
  auto call = std::make_shared<Verification>();
  call->request.set_api_key(key);
  call->matched = std::move(matched);
  call->key = std::move(key);
  call->context.set_deadline(std::chrono::system_clock::now() +
                             absl::ToChronoMilliseconds(options_.partner_key_timeout));
  runtime::AttachIdentity(call->context, {kGatewaySubject, std::string(auth::kOperator), ""}, options_.internal_token);
  telemetry::SetTraceId(call->context, exchange->request_id);
  call->context.AddMetadata(kRequestIdMetadataKey, exchange->request_id);

  inflight_.Add(&call->context);
  international->stub->UnaryCall(
      &call->context, kAuthenticatePartnerMethod, grpc::StubOptions(), &call->request, &call->response,
      [this, exchange, call](grpc::Status status) {
        const InflightCalls::Leave leave(inflight_, &call->context);
        const absl::StatusOr<auth::Principal> partner = PartnerOf(status, call->response);
        if (partner.ok()) {
          partner_key_checks_.accepted->Increment();
          exchange->partner_key_check = "accepted";
        } else if (partner.status().code() == absl::StatusCode::kUnauthenticated) {
          partner_key_checks_.refused->Increment();
          exchange->partner_key_check = "refused";
        } else {
          partner_key_checks_.unavailable->Increment();
          exchange->partner_key_check = "unavailable:" + std::string(telemetry::GrpcCodeName(status.error_code()));
        }
        partner_keys_.Remember(call->key, partner, absl::Now());
        AdmitPartner(exchange, *call->matched, partner);
      });
}

void Dispatcher::AdmitPartner(const std::shared_ptr<Exchange>& exchange, Matched& matched,
                              const absl::StatusOr<auth::Principal>& partner) {
  if (!partner.ok()) {
    exchange->invalid_credentials = partner.status().code() == absl::StatusCode::kUnauthenticated;
    FinishError(exchange, partner.status());
    return;
  }
  Admit(exchange, matched.request, matched.match, *partner);
}

void Dispatcher::Admit(const std::shared_ptr<Exchange>& exchange, HttpRequest& request, const RouteTable::Match& match,
                       const std::optional<auth::Principal>& caller) {
  const gateway::Route& route = *match.route;
  if (caller.has_value()) {
    exchange->subject = caller->subject;
    exchange->role = caller->role;
  }

  const std::string limiter_key = caller.has_value() ? "sub:" + caller->subject : "ip:" + exchange->remote;
  if (RateLimiter::Decision decision = rate_limiter_.Acquire(limiter_key, absl::Now()); !decision.allowed) {
    FinishRateLimited(exchange, decision, caller.has_value() ? caller->subject : "this address");
    return;
  }

  if (auto status = Authorize(route.policy, caller.has_value() ? &*caller : nullptr, route.method->full_name());
      !status.ok()) {
    FinishError(exchange, status);
    return;
  }

  if (!request.body().empty() && request.count(http::field::content_type) > 0 &&
      !IsJsonMediaType(View(request[http::field::content_type]))) {
    FinishError(exchange,
                absl::InvalidArgumentError("Content-Type must be application/json, not \"" +
                                           std::string(View(request[http::field::content_type])) + "\""),
                415);
    return;
  }

  const std::string_view target = View(request.target());
  const size_t q = target.find('?');
  const std::string_view query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
  std::unique_ptr<google::protobuf::Message> message(
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(route.method->input_type())->New());
  if (auto status = BuildRequest(route, match.raw_values, query, request.body(), message.get()); !status.ok()) {
    FinishError(exchange, status);
    return;
  }
  Forward(exchange, route, std::move(message), caller);
}

void Dispatcher::Forward(const std::shared_ptr<Exchange>& exchange, const gateway::Route& route,
                         std::unique_ptr<google::protobuf::Message> message,
                         const std::optional<auth::Principal>& caller) {
  Upstreams::Upstream* upstream = upstreams_.Find(route.upstream);
  if (upstream == nullptr) {
    std::string env = route.upstream;
    for (char& c : env) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    FinishError(exchange,
                absl::UnavailableError("the " + route.upstream +
                                       " service is not configured in this gateway (set TANE_" + env + "_ADDR)"));
    return;
  }
  struct UpstreamCall {
    grpc::ClientContext context;
    std::unique_ptr<google::protobuf::Message> request;
    std::unique_ptr<google::protobuf::Message> response;
  };
  auto call = std::make_shared<UpstreamCall>();
  call->request = std::move(message);
  call->response.reset(
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(route.method->output_type())->New());
  call->context.set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(options_.upstream_timeout));
  runtime::CallerIdentity identity;
  if (caller.has_value()) {
    identity = {caller->subject, caller->role, caller->agency};
  } else {
    identity = {kAnonymousSubject, kAnonymousRole, ""};
  }
  runtime::AttachIdentity(call->context, identity, options_.internal_token);
  telemetry::SetTraceId(call->context, exchange->request_id);
  call->context.AddMetadata(kRequestIdMetadataKey, exchange->request_id);
  if (!exchange->remote.empty()) call->context.AddMetadata(kForwardedForMetadataKey, exchange->remote);

  inflight_.Add(&call->context);
  const gateway::Route* route_ptr = &route;
  const std::string upstream_name = upstream->name;
  upstream->stub->UnaryCall(
      &call->context, route.grpc_method, grpc::StubOptions(), call->request.get(), call->response.get(),
      [this, exchange, call, route_ptr, upstream_name](grpc::Status status) {
        const InflightCalls::Leave leave(inflight_, &call->context);
        exchange->grpc_code = std::string(telemetry::GrpcCodeName(status.error_code()));
        if (status.ok()) {
          auto json = RenderResponse(*route_ptr, *call->response);
          if (json.ok()) {
            FinishJson(exchange, 200, *std::move(json));
          } else {
            FinishError(exchange, json.status());
          }
          return;
        }
        absl::Status error = runtime::FromGrpcStatus(status);
        if (error.code() == absl::StatusCode::kDeadlineExceeded && status.error_message() == "Deadline Exceeded") {
          error = absl::DeadlineExceededError("no answer from the " + upstream_name + " service within " +
                                              absl::FormatDuration(options_.upstream_timeout));
        } else if (error.code() == absl::StatusCode::kUnavailable) {
          absl::Status prefixed(error.code(),
                                "the " + upstream_name + " service is unavailable: " + std::string(error.message()));
          error.ForEachPayload(
              [&](absl::string_view url, const absl::Cord& value) { prefixed.SetPayload(url, value); });
          error = std::move(prefixed);
        }
        FinishError(exchange, error);
      });
}

void Dispatcher::FinishMethodNotAllowed(const std::shared_ptr<Exchange>& exchange, const std::string& allowed) {
  HttpResponse response(http::status::method_not_allowed, exchange->version);
  response.set(http::field::allow, allowed);
  response.set(http::field::content_type, "application/json");
  response.body() = ErrorBody(
      absl::UnimplementedError(exchange->method + " is not allowed on " + exchange->path + "; allowed: " + allowed));
  Finish(exchange, std::move(response));
}

void Dispatcher::FinishJson(const std::shared_ptr<Exchange>& exchange, unsigned http_status, std::string body) {
  HttpResponse response(static_cast<http::status>(http_status), exchange->version);
  response.set(http::field::content_type, "application/json");
  response.body() = std::move(body);
  Finish(exchange, std::move(response));
}

void Dispatcher::FinishError(const std::shared_ptr<Exchange>& exchange, const absl::Status& status,
                             unsigned http_status) {
  if (http_status == 0) http_status = static_cast<unsigned>(HttpStatusFor(status.code()));
  HttpResponse response(static_cast<http::status>(http_status), exchange->version);
  response.set(http::field::content_type, "application/json");
  if (status.code() == absl::StatusCode::kUnauthenticated) {
    response.set(http::field::www_authenticate, exchange->invalid_credentials
                                                    ? "Bearer realm=\"tane\", error=\"invalid_token\""
                                                    : "Bearer realm=\"tane\"");
  }
  response.body() = ErrorBody(status);
  Finish(exchange, std::move(response));
}

void Dispatcher::Finish(const std::shared_ptr<Exchange>& exchange, HttpResponse response) {
  response.set(http::field::server, "tane-gateway");
  response.set(kRequestIdHeader, exchange->request_id);
  response.set(http::field::cache_control, "no-store");
  for (auto& [name, value] : cors_.ResponseHeaders(exchange->origin)) response.set(name, value);
  response.keep_alive(exchange->keep_alive && !shutting_down_);
  response.prepare_payload();

  const absl::Duration elapsed = absl::Now() - exchange->start;
  const std::string status = std::to_string(response.result_int());
  std::pair<prometheus::Counter*, prometheus::Histogram*> series;
  {
    std::lock_guard lock(series_mu_);
    auto [it, inserted] = series_.try_emplace(exchange->route + '\n' + exchange->method + '\n' + status);
    if (inserted) {
      const prometheus::Labels labels = {{"route", exchange->route}, {"method", exchange->method}, {"status", status}};
      it->second = {&requests_.Add(labels), &durations_.Add(labels, telemetry::Metrics::LatencyBuckets())};
    }
    series = it->second;
  }
  series.first->Increment();
  series.second->Observe(absl::ToDoubleSeconds(elapsed));
  if (options_.access_log) {
    telemetry::LogInfo("http request", {{"trace_id", exchange->request_id},
                                        {"method", exchange->method},
                                        {"path", exchange->path},
                                        {"route", exchange->route},
                                        {"status", response.result_int()},
                                        {"duration_ms", absl::ToDoubleMilliseconds(elapsed)},
                                        {"rpc", exchange->rpc},
                                        {"grpc_code", exchange->grpc_code},
                                        {"partner_key_check", exchange->partner_key_check},
                                        {"subject", exchange->subject},
                                        {"role", exchange->role},
                                        {"remote", exchange->remote},
                                        {"bytes_in", exchange->bytes_in},
                                        {"bytes_out", response.body().size()}});
  }
  Respond respond = std::move(exchange->respond);
  respond(std::move(response));
}

}  // namespace tane::gateway::internal
