#include "tane/bus/envelope.h"

#include "absl/strings/str_cat.h"
#include "tane/core/ids.h"

namespace tane::bus {

std::string EventsTopic(const std::string& service) { return absl::StrCat("tane.", service, ".events"); }
std::string DeadLetterTopic(const std::string& service) { return absl::StrCat("tane.", service, ".dlq"); }

tane::common::v1::EventEnvelope NewEvent(const google::protobuf::Message& payload,
                                         const std::string& aggregate_type,
                                         const std::string& aggregate_id, const std::string& actor,
                                         const std::string& trace_id, absl::Time occurred_at) {
  tane::common::v1::EventEnvelope e;
  e.set_event_id(tane::core::NewUuid());
  e.set_type(payload.GetDescriptor()->full_name());
  e.set_aggregate_type(aggregate_type);
  e.set_aggregate_id(aggregate_id);
  const int64_t nanos = absl::ToUnixNanos(occurred_at);
  e.mutable_occurred_at()->set_seconds(nanos / 1'000'000'000);
  e.mutable_occurred_at()->set_nanos(static_cast<int32_t>(nanos % 1'000'000'000));
  e.set_trace_id(trace_id);
  e.set_actor(actor);
  e.mutable_payload()->PackFrom(payload);
  return e;
}

}  // namespace tane::bus
