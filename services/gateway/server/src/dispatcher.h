#pragma once
// One HTTP request's way through the gateway, from a parsed request to the
// response handed back to its connection. Shared by every connection;
// thread-safe.

#include <grpcpp/client_context.h>

#include <atomic>
#include <boost/beast/http.hpp>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>

#include "tane/gateway/authenticator.h"
#include "tane/gateway/cors.h"
#include "tane/gateway/gateway.h"
#include "tane/gateway/partner_key_cache.h"
#include "tane/gateway/rate_limiter.h"
#include "tane/gateway/route_table.h"
#include "tane/telemetry/metrics.h"
#include "upstreams.h"

namespace tane::gateway::internal {

namespace http = boost::beast::http;
using HttpRequest = http::request<http::string_body>;
using HttpResponse = http::response<http::string_body>;
/// Called once per request, from any thread.
using Respond = std::function<void(HttpResponse)>;

/// The upstream calls in flight, so shutdown can wait for them and cancel
/// what outlives the grace period. A call counts as in flight from Add()
/// until its completion callback has returned from everything it does with
/// the dispatcher (see Leave), so once WaitUntilEmpty() is true no callback
/// can still touch a dispatcher that shutdown is about to destroy.
class InflightCalls final {
 public:
  /// Removes its call when destroyed. Declared first in a completion
  /// callback, so it is destroyed last: after the response was rendered
  /// and handed to the connection.
  class Leave final {
   public:
    Leave(InflightCalls& calls, grpc::ClientContext* context) : calls_(calls), context_(context) {}
    ~Leave() { calls_.Remove(context_); }
    Leave(const Leave&) = delete;
    Leave& operator=(const Leave&) = delete;

   private:
    InflightCalls& calls_;
    grpc::ClientContext* context_;
  };

  /// After CancelAll() a call added is cancelled at once (a request that
  /// arrived while shutdown was cancelling must not hold it up).
  void Add(grpc::ClientContext* context);
  /// Waits until none is in flight or `timeout` passed; returns whether none is.
  bool WaitUntilEmpty(absl::Duration timeout);
  void CancelAll();

 private:
  void Remove(grpc::ClientContext* context);

  std::mutex mu_;
  std::condition_variable cv_;
  std::set<grpc::ClientContext*> calls_;
  bool cancelled_ = false;
};

class Dispatcher final {
 public:
  Dispatcher(const GatewayOptions& options, const RouteTable& routes, Authenticator authenticator, Upstreams& upstreams,
             telemetry::Metrics& metrics, const std::string& openapi_json);

  /// Answers `request` through `respond`, now or when its upstream call ends.
  void Handle(HttpRequest request, std::string remote_address, Respond respond);

  /// Answers a request the connection could not read in full (a body over
  /// the limit, malformed HTTP): logged and counted like any other, always
  /// with Connection: close. `partial` is what was parsed (may be nullptr).
  void Reject(const HttpRequest* partial, unsigned version, unsigned http_status, const absl::Status& status,
              std::string remote_address, Respond respond);

  /// The upstream that verifies partner keys (AuthenticatePartner).
  static constexpr char kPartnerKeyUpstream[] = "international";

  /// From now on every response says Connection: close.
  void BeginShutdown() { shutting_down_ = true; }
  bool shutting_down() const { return shutting_down_; }
  InflightCalls& inflight() { return inflight_; }

 private:
  struct Exchange;
  /// A matched request, kept while its partner key is being verified.
  struct Matched {
    HttpRequest request;
    RouteTable::Match match;
  };

  /// May move `request` away (to keep it while a partner key is verified).
  void Route(const std::shared_ptr<Exchange>& exchange, HttpRequest& request);
  /// Asks the international service about `key` (unless its answer is
  /// remembered), then Admit()s the request as the partner it names.
  void VerifyPartnerKey(const std::shared_ptr<Exchange>& exchange, std::unique_ptr<Matched> matched, std::string key);
  void AdmitPartner(const std::shared_ptr<Exchange>& exchange, Matched& matched,
                    const absl::StatusOr<auth::Principal>& partner);
  /// An authenticated request (caller nullopt: anonymous): rate limit,
  /// policy, transcoding, then Forward().
  void Admit(const std::shared_ptr<Exchange>& exchange, HttpRequest& request, const RouteTable::Match& match,
             const std::optional<auth::Principal>& caller);
  void Forward(const std::shared_ptr<Exchange>& exchange, const gateway::Route& route,
               std::unique_ptr<google::protobuf::Message> message, const std::optional<auth::Principal>& caller);
  void Finish(const std::shared_ptr<Exchange>& exchange, HttpResponse response);
  void FinishError(const std::shared_ptr<Exchange>& exchange, const absl::Status& status, unsigned http_status = 0);
  void FinishJson(const std::shared_ptr<Exchange>& exchange, unsigned http_status, std::string body);
  void FinishMethodNotAllowed(const std::shared_ptr<Exchange>& exchange, const std::string& allowed);
  /// 429 with Retry-After, naming `who` was limited.
  void FinishRateLimited(const std::shared_ptr<Exchange>& exchange, const RateLimiter::Decision& decision,
                         const std::string& who);

  /// tane_gateway_partner_key_checks_total, one series per outcome.
  struct PartnerKeyChecks {
    prometheus::Counter* cached;
    prometheus::Counter* accepted;
    prometheus::Counter* refused;
    prometheus::Counter* unavailable;
    prometheus::Counter* rate_limited;
    static PartnerKeyChecks Of(telemetry::Metrics& metrics);
  };

  const GatewayOptions& options_;
  const RouteTable& routes_;
  const Authenticator authenticator_;
  PartnerKeyCache partner_keys_;
  Upstreams& upstreams_;
  const std::string& openapi_json_;
  CorsPolicy cors_;
  RateLimiter rate_limiter_;
  InflightCalls inflight_;
  std::atomic<bool> shutting_down_{false};
  const PartnerKeyChecks partner_key_checks_;
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& durations_;
  // route, method, status -> the two series: looked up once per label set.
  std::mutex series_mu_;
  std::unordered_map<std::string, std::pair<prometheus::Counter*, prometheus::Histogram*>> series_;
};

}  // namespace tane::gateway::internal
