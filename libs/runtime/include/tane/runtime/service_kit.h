#pragma once
/// The event plumbing every Tane service needs, assembled once.
///
///   int main(int argc, char** argv) {
///     tane::runtime::BlockShutdownSignals();
///     auto config = tane::runtime::ParseConfigOrExit(argc, argv,
///         tane::runtime::ServiceConfig::Defaults("reviews", 7102, 9102));
///     tane::runtime::ServiceHost host(config);
///     tane::runtime::ServiceKitOptions options;        // (a designated initializer that
///     options.consume_topics = {"tane.calls.events"};  //  skips fields trips -Wextra)
///     auto kit = tane::runtime::ServiceKit::Create(host, options);
///     if (!kit.ok()) { ...log...; return 1; }
///     ReviewsService service(**kit, ...);               // the gRPC adapter
///     (*kit)->On<tane::calls::v1::CallClosed>(           // consumed events, by payload type
///         [&](const auto& envelope, const auto& closed) { return service.OnCallClosed(envelope, closed); });
///     host.AddService(&service);
///     if (auto s = (*kit)->Start(); !s.ok()) return 1;  // relay + consumer
///     return host.Run().ok() ? 0 : 1;                    // blocks until SIGTERM/SIGINT
///   }
///
/// What Create() wires, so no service repeats it:
/// - Redis: a pool (config.redis_addr, redis_pool_size), an AggregateStore and
///   a ShardedIndex over Keyspace(service, shards). Readiness check "redis"
///   (PING): the service is NOT_SERVING while Redis is unreachable. Nothing
///   connects eagerly: Redis down at start means not-ready and retrying, not a
///   crash.
/// - Kafka: one idempotent producer (acks=all) shared by the outbox relay and
///   the consumer's dead-letter topic. Dependency check "kafka" (metadata
///   request): logged and exported, but it does not stop serving — writes
///   still commit to Redis and the outbox holds their events until Kafka is back.
/// - The outbox relay for tane.<service>.events.
/// - With consume_topics: one consumer in group "tane-<service>" (manual
///   commit after the handler succeeded; tane.<service>.dlq for poison
///   events). Envelopes are dispatched by type to the handlers given to On();
///   types without a handler are acknowledged and counted as ignored.
/// - Metrics: outbox backlog and oldest age per shard, consumer lag per
///   partition, events published/applied/dead-lettered/ignored.
/// - Shutdown hooks (after the gRPC server drained): stop the consumer, stop
///   the relay, flush the producer.
///
/// Lifetime: the host must have stopped (Run() returned) before the kit is
/// destroyed; ~ServiceKit stops whatever still runs. If the kit goes first
/// (an error path in main), the host's checks and hooks see it gone.
///
/// Thread-safety: after Start(), every accessor is safe from any thread.

#include <grpcpp/server_context.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "tane/bus/consumer.h"
#include "tane/bus/envelope.h"
#include "tane/bus/outbox_relay.h"
#include "tane/bus/producer.h"
#include "tane/common/v1/envelope.pb.h"
#include "tane/core/time.h"
#include "tane/runtime/identity.h"
#include "tane/runtime/service_host.h"
#include "tane/runtime/status.h"
#include "tane/store/aggregate_store.h"
#include "tane/store/redis.h"
#include "tane/store/sharded_index.h"
#include "tane/telemetry/log.h"

namespace tane::runtime {

struct ServiceKitOptions {
  /// Other services' topics to consume, e.g. {"tane.calls.events"}. Empty: no consumer.
  std::vector<std::string> consume_topics;
  /// Consumer group; default "tane-<service>". Replicas share the group.
  std::string consumer_group;
  /// Extra librdkafka settings, applied last (tests shorten the consumer's
  /// session timeout with them).
  std::map<std::string, std::string> producer_kafka_extra;
  std::map<std::string, std::string> consumer_kafka_extra;
  /// The service's clock; nullptr is the system clock. Not owned.
  const core::Clock* clock = nullptr;
  /// Relay tuning; the topic is always tane.<service>.events.
  bus::RelayOptions relay;
  /// How often lag and counters are copied into the metrics.
  absl::Duration metrics_interval = absl::Seconds(1);
};

/// Who is asking and when, for one RPC.
struct RequestContext {
  CallerIdentity caller;
  std::string trace_id;
  absl::Time now;

  /// "role:subject", as event envelopes and history entries record it.
  std::string actor() const;
  /// An envelope for `payload` about aggregate (type, id), stamped with the
  /// actor, the trace id and `now`.
  common::v1::EventEnvelope NewEvent(const google::protobuf::Message& payload, const std::string& aggregate_type,
                                     const std::string& aggregate_id) const;
};

/// The context of a consumed event: its trace id and actor carry on into the
/// events its handler emits (so one trace follows a cycle across services).
RequestContext ContextOfEvent(const common::v1::EventEnvelope& event, absl::Time now, std::string_view service);

class ServiceKit final {
 public:
  using EventHandler = std::function<absl::Status(const common::v1::EventEnvelope&)>;

  /// Builds everything listed above and registers it with `host` (checks,
  /// hooks). INVALID_ARGUMENT for a bad Redis address or Kafka setting.
  static absl::StatusOr<std::unique_ptr<ServiceKit>> Create(ServiceHost& host, ServiceKitOptions options = {});
  ~ServiceKit();
  ServiceKit(const ServiceKit&) = delete;
  ServiceKit& operator=(const ServiceKit&) = delete;

  /// Handles envelopes whose type is `type` (a payload's full name, e.g.
  /// "tane.calls.v1.CallClosed"). The handler must be idempotent (use
  /// bus::ApplyOnce or a versioned commit): delivery is at least once. Return
  /// a retryable status (UNAVAILABLE, ABORTED) to be called again; any other
  /// error goes to the dead-letter topic after a few attempts. Before Start().
  void On(std::string type, EventHandler handler);
  /// The same, with the payload unpacked; a payload that does not unpack is
  /// INVALID_ARGUMENT (dead-lettered).
  template <typename T>
  void On(std::function<absl::Status(const common::v1::EventEnvelope&, const T&)> handler);

  /// Starts the relay, the consumer and the metrics updater. FAILED_PRECONDITION
  /// when called twice; the consumer's creation errors otherwise.
  absl::Status Start();

  /// The caller's identity (identity.h rules, with the configured internal
  /// token), the trace id (the caller's, or a new one) and the clock's now.
  absl::StatusOr<RequestContext> Begin(const grpc::ServerContext& context) const;

  /// The whole of a unary RPC handler: Begin(), the trace id set for this
  /// thread's log lines, then `handle(ctx)`, whose value is copied into
  /// *response and whose error becomes the grpc::Status (status.h):
  ///   grpc::Status GetCall(grpc::ServerContext* context, const v1::GetCallRequest* request,
  ///                        v1::Call* response) override {
  ///     return kit_.Serve(*context, response, [&](const runtime::RequestContext& ctx) {
  ///       return GetCall(ctx, *request);  // absl::StatusOr<v1::Call>
  ///     });
  ///   }
  template <typename Response, typename Handle>
  grpc::Status Serve(const grpc::ServerContext& context, Response* response, Handle&& handle) const {
    auto ctx = Begin(context);
    if (!ctx.ok()) return ToGrpcStatus(ctx.status());
    telemetry::ScopedTraceId trace(ctx->trace_id);
    return Reply<Response>(handle(*ctx), response);
  }

  const std::string& service() const { return service_; }
  store::RedisPool& redis() { return *pool_; }
  store::AggregateStore& store() { return *store_; }
  const store::Keyspace& keyspace() const { return store_->keyspace(); }
  const store::ShardedIndex& index() const { return *index_; }
  bus::Producer& producer() { return *producer_; }
  const core::Clock& clock() const { return *clock_; }
  telemetry::Metrics& metrics() { return host_.metrics(); }
  ServiceHost& host() { return host_; }
  /// The consumer; nullptr without consume_topics or before Start().
  const bus::Consumer* consumer() const { return consumer_.get(); }
  const bus::OutboxRelay& relay() const { return *relay_; }

 private:
  ServiceKit(ServiceHost& host, ServiceKitOptions options);
  absl::Status Dispatch(const common::v1::EventEnvelope& envelope);
  void StopAll();
  void MetricsLoop();

  ServiceHost& host_;
  ServiceKitOptions options_;
  std::string service_;
  const core::Clock* clock_;
  std::unique_ptr<store::RedisPool> pool_;
  std::unique_ptr<store::AggregateStore> store_;
  std::unique_ptr<store::ShardedIndex> index_;
  std::unique_ptr<bus::Producer> producer_;
  std::unique_ptr<bus::OutboxRelay> relay_;
  std::unique_ptr<bus::Consumer> consumer_;
  std::map<std::string, EventHandler> handlers_;
  std::shared_ptr<ServiceKit*> alive_;  // the host's checks and hooks hold it weakly

  std::mutex mu_;
  std::condition_variable wake_;
  bool started_ = false;
  bool stopped_ = false;
  std::thread metrics_thread_;
};

template <typename T>
void ServiceKit::On(std::function<absl::Status(const common::v1::EventEnvelope&, const T&)> handler) {
  On(T::descriptor()->full_name(), [handler = std::move(handler)](const common::v1::EventEnvelope& envelope) {
    T payload;
    if (!bus::UnpackPayload(envelope, &payload)) {
      return absl::InvalidArgumentError("event payload is not a " + T::descriptor()->full_name());
    }
    return handler(envelope, payload);
  });
}

// ---------------------------------------------------------------- aggregates

/// An aggregate stored as a serialized protobuf message.
template <typename T>
struct Loaded {
  T value;
  int64_t version = 0;  // 0: it does not exist
  bool exists() const { return version > 0; }
};

/// Loads and parses aggregate (type, id). A missing aggregate is not an
/// error (version 0); UNAVAILABLE when Redis is down; INTERNAL when the
/// stored bytes do not parse.
template <typename T>
absl::StatusOr<Loaded<T>> LoadAggregate(store::AggregateStore& store, const std::string& type, const std::string& id) {
  auto raw = store.Load(type, id);
  if (!raw.ok()) return raw.status();
  Loaded<T> out;
  out.version = raw->version;
  if (raw->version > 0 && !out.value.ParseFromString(raw->data)) {
    return absl::InternalError("stored " + type + " " + id + " does not parse");
  }
  return out;
}

/// LoadAggregate for many ids in one round trip; results parallel to `ids`.
template <typename T>
absl::StatusOr<std::vector<Loaded<T>>> LoadAggregates(store::AggregateStore& store, const std::string& type,
                                                      const std::vector<std::string>& ids) {
  auto raw = store.LoadMany(type, ids);
  if (!raw.ok()) return raw.status();
  std::vector<Loaded<T>> out(raw->size());
  for (size_t i = 0; i < raw->size(); ++i) {
    out[i].version = (*raw)[i].version;
    if (out[i].version > 0 && !out[i].value.ParseFromString((*raw)[i].data)) {
      return absl::InternalError("stored " + type + " " + ids[i] + " does not parse");
    }
  }
  return out;
}

// ---------------------------------------------------------------- lists

/// The page size of a list request: 0 means the default 50, more than 500 is
/// cut to 500; negative is INVALID_ARGUMENT naming `field`.
absl::StatusOr<int> PageSizeOf(int requested, std::string_view field = "page_size");

/// One page of a list RPC over an ordered index (sharded_index.h).
struct ListRequest {
  /// The index to read, e.g. "idx:call-apps:<call_id>".
  std::string index;
  /// As the client sent them (PageSizeOf and DecodePageToken apply).
  std::string page_token;
  int page_size = 0;
  bool descending = false;
  /// At most this many index entries are read for one page, so a filter that
  /// matches little cannot make one request scan everything: the page then
  /// comes back short (even empty) with a next_page_token.
  int max_scanned = 2000;
};

template <typename T>
struct ListPage {
  std::vector<T> items;
  std::string next_page_token;  // empty: the list ended
};

namespace internal {
/// `accept` parses and keeps (true) or skips (false) one stored aggregate.
using AcceptStored = std::function<absl::StatusOr<bool>(const std::string& id, const store::Versioned& stored)>;
absl::StatusOr<std::string> ListAggregatesRaw(store::AggregateStore& store, const store::ShardedIndex& index,
                                              const std::string& type, const ListRequest& request,
                                              const AcceptStored& accept);
}  // namespace internal

/// The aggregates of `type` named by `request.index`, in index order, from the
/// request's page token, keeping those `keep` accepts (filters the index does
/// not answer, object-level visibility; nullptr keeps all). Index entries
/// whose aggregate is gone are skipped. INVALID_ARGUMENT for a bad page size
/// or token; UNAVAILABLE when Redis is unreachable; INTERNAL when a stored
/// aggregate does not parse.
template <typename T>
absl::StatusOr<ListPage<T>> ListAggregates(store::AggregateStore& store, const store::ShardedIndex& index,
                                           const std::string& type, const ListRequest& request,
                                           const std::function<bool(const T&)>& keep = nullptr) {
  ListPage<T> page;
  auto token = internal::ListAggregatesRaw(
      store, index, type, request, [&](const std::string& id, const store::Versioned& stored) -> absl::StatusOr<bool> {
        T value;
        if (!value.ParseFromString(stored.data)) {
          return absl::InternalError("stored " + type + " " + id + " does not parse");
        }
        if (keep && !keep(value)) return false;
        page.items.push_back(std::move(value));
        return true;
      });
  if (!token.ok()) return token.status();
  page.next_page_token = *std::move(token);
  return page;
}

// ---------------------------------------------------------------- commands

/// Identifies one idempotent command.
struct CommandKey {
  /// The aggregate the command commits to (its shard holds the stored result).
  std::string aggregate_id;
  /// The client's idempotency key; empty: not idempotent (every call acts).
  std::string idempotency_key;
  /// The caller: the same key from two callers is two commands.
  std::string subject;
  /// The request as sent (idempotency key included); a repeated key with a
  /// different request is refused rather than answered with another's result.
  const google::protobuf::Message* request = nullptr;
};

/// What a command decided: the commit and the answer to the caller.
template <typename Response>
struct Mutation {
  store::Commit commit;
  Response response;
};

/// An aggregate id for a create command: derived from (subject, key) when a
/// key is given, so concurrent retries of one create race for the same id and
/// exactly one wins; a fresh UUID otherwise.
std::string IdForCreate(std::string_view name_space, std::string_view subject, std::string_view idempotency_key);

namespace internal {
absl::StatusOr<std::string> RunCommandRaw(
    store::AggregateStore& store, const CommandKey& key,
    const std::function<absl::StatusOr<std::pair<store::Commit, std::string>>()>& decide, int max_attempts);
}  // namespace internal

/// Runs a command against one aggregate, idempotently. Keys are scoped to
/// (caller, aggregate): the stored result lives in the aggregate's shard, so
/// the same key sent by the same caller to two different resources is two
/// commands (the API documents keys as "unique per intended change").
///
/// 1. With an idempotency key, a stored result for (subject, key) is
///    returned unchanged; if it was stored for a different request:
///    INVALID_ARGUMENT (field "idempotency_key").
/// 2. `decide` loads the aggregate and returns the Mutation, or an error that
///    is returned as is (nothing was written) — unless, for an idempotent
///    command, a stored result has appeared meanwhile: a concurrent retry of
///    the same command committed first (so decide found the aggregate already
///    created or moved on), and its result is the answer.
/// 3. The commit stores the response under the key (30 days). When another
///    writer changed the aggregate in between (ABORTED from the store), the
///    whole command runs again from 1, up to `max_attempts` times.
/// The commit must be of key.aggregate_id (INTERNAL otherwise: its shard
/// would not hold the stored result).
template <typename Response>
absl::StatusOr<Response> RunCommand(store::AggregateStore& store, const CommandKey& key,
                                    const std::function<absl::StatusOr<Mutation<Response>>()>& decide,
                                    int max_attempts = 8) {
  auto raw = internal::RunCommandRaw(
      store, key,
      [&]() -> absl::StatusOr<std::pair<store::Commit, std::string>> {
        auto mutation = decide();
        if (!mutation.ok()) return mutation.status();
        std::string serialized;
        if (!mutation->response.SerializeToString(&serialized)) return absl::InternalError("cannot serialize response");
        return std::make_pair(std::move(mutation->commit), std::move(serialized));
      },
      max_attempts);
  if (!raw.ok()) return raw.status();
  Response response;
  if (!response.ParseFromString(*raw)) return absl::InternalError("stored command result does not parse");
  return response;
}

}  // namespace tane::runtime
