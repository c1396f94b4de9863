#pragma once
/// Building and reading event envelopes.

#include <string>

#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "tane/common/v1/envelope.pb.h"

namespace tane::bus {

/// "tane.<service>.events" — one topic per service.
std::string EventsTopic(const std::string& service);
/// "tane.<service>.dlq" — where a consumer parks events it cannot apply.
std::string DeadLetterTopic(const std::string& service);

/// A new envelope with a fresh event id; `type` is the payload's full name.
/// aggregate_version is filled in by the store when the event is committed.
tane::common::v1::EventEnvelope NewEvent(const google::protobuf::Message& payload,
                                         const std::string& aggregate_type,
                                         const std::string& aggregate_id, const std::string& actor,
                                         const std::string& trace_id, absl::Time occurred_at);

/// Unpacks the payload when it is of type T.
template <typename T>
bool UnpackPayload(const tane::common::v1::EventEnvelope& envelope, T* out) {
  return envelope.payload().Is<T>() && envelope.payload().UnpackTo(out);
}

}  // namespace tane::bus
