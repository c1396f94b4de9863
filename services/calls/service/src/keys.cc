#include "keys.h"

#include "absl/strings/str_cat.h"
#include "tane/calls/application_rules.h"
#include "tane/calls/timestamps.h"

namespace tane::calls::keys {

std::string AreasOfGoalIndex(const std::string& goal_id) { return absl::StrCat("idx:areas:goal:", goal_id); }

std::string CallApplicationsIndex(const std::string& call_id) { return absl::StrCat("idx:call-apps:", call_id); }

std::string CallApplicationsInStateIndex(const std::string& call_id, v1::ApplicationState state) {
  return absl::StrCat("idx:call-apps:", call_id, ":state:", std::string(ApplicationStateName(state)));
}

std::string CallApplicationsOfPiIndex(const std::string& call_id, const std::string& researcher_id) {
  return absl::StrCat("idx:call-apps:", call_id, ":pi:", researcher_id);
}

std::string MyApplicationsIndex(const std::string& subject) { return absl::StrCat("idx:my-apps:", subject); }

std::string CallApplicationCounts(const std::string& call_id) { return absl::StrCat("cnt:call-apps:", call_id); }

std::string Commitments(const std::string& researcher_id) { return absl::StrCat("rm:commitments:", researcher_id); }
std::string PendingField(const std::string& application_id) {
  return absl::StrCat(kPendingFieldPrefix, application_id);
}
std::string ProjectField(const std::string& project_id) { return absl::StrCat(kProjectFieldPrefix, project_id); }
std::string ProjectRecordKey(const std::string& project_id) { return absl::StrCat("rm:project:", project_id); }

std::string CallFence(const std::string& call_id) { return absl::StrCat("fence:call:", call_id); }

std::vector<store::IndexEntry> EntriesOf(const v1::Call& call) {
  const std::string closes = store::SortKeyOfTime(ToTime(call.closes_at()));
  std::vector<store::IndexEntry> entries = {{kCallsIndex, closes, call.call_id()}};
  if (call.state() == v1::CALL_STATE_PUBLISHED) entries.push_back({kPublishedCallsIndex, closes, call.call_id()});
  if (call.state() == v1::CALL_STATE_CLOSING || call.state() == v1::CALL_STATE_CANCELLING) {
    entries.push_back({kStoppingCallsIndex, closes, call.call_id()});
  }
  return entries;
}

std::vector<store::IndexEntry> EntriesOf(const v1::Application& a) {
  const std::string& id = a.application_id();
  const std::string order = store::SortKeyOfTime(ToTime(a.has_submitted_at() ? a.submitted_at() : a.create_time()));
  std::vector<store::IndexEntry> entries = {
      {CallApplicationsIndex(a.call_id()), order, id},
      {CallApplicationsInStateIndex(a.call_id(), a.state()), order, id},
      {MyApplicationsIndex(a.applicant_subject()), store::SortKeyOfTime(ToTime(a.create_time())), id},
  };
  if (const std::string& pi = a.principal_investigator().researcher_id(); !pi.empty()) {
    entries.push_back({CallApplicationsOfPiIndex(a.call_id(), pi), order, id});
  }
  return entries;
}

}  // namespace tane::calls::keys
