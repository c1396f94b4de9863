#pragma once
/// Builds the payloads of the events in tane/calls/v1/events.proto from the
/// domain objects, so every producer fills them the same way. The envelope
/// (event id, aggregate version, trace id, actor) is the caller's.

#include <cstdint>
#include <vector>

#include "absl/time/time.h"
#include "tane/calls/call_rules.h"
#include "tane/calls/v1/calls.pb.h"
#include "tane/calls/v1/events.pb.h"

namespace tane::calls {

v1::CallPublished CallPublishedEvent(const v1::Call& published);
/// `submitted_count`: applications SUBMITTED at closing;
/// `ever_submitted_count`: applications ever SUBMITTED, withdrawn ones included.
v1::CallClosed CallClosedEvent(const ClosedCall& closed, int64_t submitted_count,
                               int64_t ever_submitted_count);
v1::CallCancelled CallCancelledEvent(const v1::Call& cancelled);
/// The full snapshot of a submitted application plus what reviews needs from its call.
v1::ApplicationSubmitted ApplicationSubmittedEvent(const v1::Application& submitted,
                                                   const v1::Call& call);
/// `was_submitted`: the state before withdrawal was SUBMITTED.
v1::ApplicationWithdrawn ApplicationWithdrawnEvent(const v1::Application& withdrawn,
                                                   bool was_submitted, std::string_view reason);
/// One event per (researcher, reason): the application first, then every
/// matching application, with the hash of the text that matched.
std::vector<v1::DuplicateSuspected> DuplicateSuspectedEvents(
    const v1::Application& application, const std::vector<v1::DuplicateFinding>& findings,
    absl::Time detected_at);

}  // namespace tane::calls
