#pragma once
/// Conversions between google.protobuf.Timestamp and absl::Time.

#include <string>

#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"

namespace tane::calls {

/// True when set and within the range the Timestamp type allows
/// (0001-01-01 to 9999-12-31, nanos in [0, 999999999]).
bool IsValidTimestamp(const google::protobuf::Timestamp& ts);
/// The instant; a default (unset) Timestamp is the Unix epoch.
absl::Time ToTime(const google::protobuf::Timestamp& ts);
google::protobuf::Timestamp ToTimestamp(absl::Time t);
/// "2017-06-07 00:00:00 JST" for messages.
std::string FormatJst(absl::Time t);

}  // namespace tane::calls
