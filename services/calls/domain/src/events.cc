#include "tane/calls/events.h"

#include <map>
#include <string>
#include <utility>

#include "tane/calls/text.h"
#include "tane/calls/timestamps.h"

namespace tane::calls {

v1::CallPublished CallPublishedEvent(const v1::Call& published) {
  v1::CallPublished event;
  *event.mutable_call() = published;
  *event.mutable_published_at() = published.published_at();
  return event;
}

v1::CallClosed CallClosedEvent(const ClosedCall& closed, int64_t submitted_count,
                               int64_t ever_submitted_count) {
  v1::CallClosed event;
  event.set_call_id(closed.call.call_id());
  event.set_program_id(closed.call.program_id());
  *event.mutable_closed_at() = closed.call.closed_at();
  event.set_by_deadline(closed.by_deadline);
  event.set_application_count(submitted_count);
  event.set_applications_ever_submitted(ever_submitted_count);
  return event;
}

v1::CallCancelled CallCancelledEvent(const v1::Call& cancelled) {
  v1::CallCancelled event;
  event.set_call_id(cancelled.call_id());
  *event.mutable_cancelled_at() = cancelled.cancelled_at();
  event.set_reason(cancelled.cancel_reason());
  return event;
}

v1::ApplicationSubmitted ApplicationSubmittedEvent(const v1::Application& submitted,
                                                   const v1::Call& call) {
  v1::ApplicationSubmitted event;
  *event.mutable_application() = submitted;
  event.set_program_id(call.program_id());
  event.set_research_area_id(call.research_area_id());
  event.set_call_fiscal_year(call.fiscal_year() != 0 ? call.fiscal_year() : CallFiscalYear(call));
  *event.mutable_review_model() = call.review_model();
  event.set_partner_agency(call.partner_agency());
  event.set_title_ja_hash(MatchingHash(submitted.title_ja()));
  event.set_title_en_hash(MatchingHash(submitted.title_en()));
  event.set_abstract_hash(MatchingHash(submitted.abstract()));
  return event;
}

v1::ApplicationWithdrawn ApplicationWithdrawnEvent(const v1::Application& withdrawn,
                                                   bool was_submitted, std::string_view reason) {
  v1::ApplicationWithdrawn event;
  event.set_application_id(withdrawn.application_id());
  event.set_call_id(withdrawn.call_id());
  *event.mutable_withdrawn_at() = withdrawn.withdrawn_at();
  event.set_was_submitted(was_submitted);
  event.set_reason(std::string(reason));
  event.set_researcher_id(withdrawn.principal_investigator().researcher_id());
  return event;
}

std::vector<v1::DuplicateSuspected> DuplicateSuspectedEvents(
    const v1::Application& application, const std::vector<v1::DuplicateFinding>& findings,
    absl::Time detected_at) {
  std::map<std::pair<std::string, int>, v1::DuplicateSuspected> grouped;
  for (const auto& f : findings) {
    auto [it, inserted] = grouped.try_emplace({f.researcher_id(), f.reason()});
    v1::DuplicateSuspected& event = it->second;
    if (inserted) {
      event.add_application_ids(application.application_id());
      event.add_call_ids(application.call_id());
      event.set_researcher_id(f.researcher_id());
      event.set_reason(f.reason());
      // The matching text: for titles, whichever of ja/en this application has.
      std::string hash = f.reason() == v1::DUPLICATE_REASON_SAME_ABSTRACT
                             ? MatchingHash(application.abstract())
                             : MatchingHash(application.title_ja());
      if (hash.empty()) hash = MatchingHash(application.title_en());
      event.set_text_hash(std::move(hash));
      *event.mutable_detected_at() = ToTimestamp(detected_at);
    }
    event.add_application_ids(f.other_application_id());
    event.add_call_ids(f.other_call_id());
  }
  std::vector<v1::DuplicateSuspected> out;
  for (auto& [key, event] : grouped) out.push_back(std::move(event));
  return out;
}

}  // namespace tane::calls
