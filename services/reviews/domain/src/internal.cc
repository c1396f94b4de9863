#include "internal.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "tane/core/time.h"

namespace tane::reviews {

google::protobuf::Timestamp ToTimestamp(absl::Time t) {
  google::protobuf::Timestamp ts;
  const int64_t s = absl::ToUnixSeconds(t);
  ts.set_seconds(s);
  ts.set_nanos(static_cast<int32_t>(absl::ToInt64Nanoseconds(t - absl::FromUnixSeconds(s))));
  return ts;
}

absl::Time FromTimestamp(const google::protobuf::Timestamp& ts) {
  if (!internal::IsSet(ts)) return absl::InfinitePast();
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

}  // namespace tane::reviews

namespace tane::reviews::internal {

bool IsSet(const google::protobuf::Timestamp& ts) { return ts.seconds() != 0 || ts.nanos() != 0; }

bool IsValidTimestamp(const google::protobuf::Timestamp& ts) {
  // 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59Z, as google.protobuf.Timestamp defines.
  constexpr int64_t kMin = -62135596800;
  constexpr int64_t kMax = 253402300799;
  return IsSet(ts) && ts.seconds() >= kMin && ts.seconds() <= kMax && ts.nanos() >= 0 &&
         ts.nanos() <= 999'999'999;
}

std::string FormatJst(absl::Time t) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%S JST", t, core::TokyoTimeZone());
}

namespace {

// Decodes one code point at text[i]; returns its length or 0 when invalid.
int DecodeOne(absl::string_view text, size_t i, uint32_t& cp) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char c = b(i);
  int len;
  if (c < 0x80) {
    cp = c;
    return 1;
  } else if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
    cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    cp = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + len > text.size()) return 0;
  for (int k = 1; k < len; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b(i + k) & 0x3F);
  }
  // Overlong forms, surrogates and values above U+10FFFF.
  if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
      (cp >= 0xD800 && cp <= 0xDFFF)) {
    return 0;
  }
  return len;
}

}  // namespace

int64_t CodePoints(absl::string_view text) {
  int64_t n = 0;
  for (size_t i = 0; i < text.size();) {
    uint32_t cp;
    const int len = DecodeOne(text, i, cp);
    if (len == 0) return -1;
    i += len;
    ++n;
  }
  return n;
}

bool IsCleanText(absl::string_view text, bool multiline) {
  for (size_t i = 0; i < text.size();) {
    uint32_t cp;
    const int len = DecodeOne(text, i, cp);
    if (len == 0) return false;
    const bool control = cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
    if (control && !(multiline && (cp == '\n' || cp == '\r' || cp == '\t'))) return false;
    i += len;
  }
  return true;
}

void CheckText(absl::string_view text, const std::string& field, bool required, bool multiline,
               int max_chars, core::Violations& v) {
  if (required && absl::StripAsciiWhitespace(text).empty()) {
    v.Add(field, "is required");
    return;
  }
  if (!IsCleanText(text, multiline)) {
    v.Add(field, multiline ? "must be valid UTF-8 without control characters other than "
                             "line breaks and tabs"
                           : "must be valid UTF-8 without control characters");
    return;
  }
  if (CodePoints(text) > max_chars) {
    v.Add(field, absl::StrCat("must be at most ", max_chars, " characters, not ",
                              CodePoints(text)));
  }
}

absl::Status CheckVersion(int64_t expected, int64_t actual, absl::string_view what,
                          absl::string_view id) {
  if (expected < 0) {
    core::Violations v;
    v.Add("version", "must not be negative");
    return v.ToStatus();
  }
  if (expected != 0 && expected != actual) {
    return absl::AbortedError(absl::StrCat(what, " ", id, " is at version ", actual, ", not ",
                                           expected, "; reload and retry"));
  }
  return absl::OkStatus();
}

absl::Status CheckActor(const Context& ctx) {
  if (ctx.actor.subject().empty() || ctx.actor.role().empty()) {
    return absl::InvalidArgumentError("the actor (role and subject) is required for the record");
  }
  return absl::OkStatus();
}

const v1::Reviewer* FindReviewer(std::span<const v1::Reviewer> pool, absl::string_view id) {
  for (const auto& r : pool) {
    if (r.reviewer_id() == id) return &r;
  }
  return nullptr;
}

v1::StageAssignment* MutableStageAssignment(v1::ReviewCase& c, Stage stage) {
  for (auto& a : *c.mutable_assignments()) {
    if (a.stage() == stage) return &a;
  }
  return nullptr;
}

v1::Review* MutableReview(v1::ReviewCase& c, Stage stage, absl::string_view reviewer_id) {
  for (auto& r : *c.mutable_reviews()) {
    if (r.stage() == stage && r.reviewer_id() == reviewer_id) return &r;
  }
  return nullptr;
}

const v1::Review* FindReview(const v1::ReviewCase& c, Stage stage, absl::string_view reviewer_id) {
  for (const auto& r : c.reviews()) {
    if (r.stage() == stage && r.reviewer_id() == reviewer_id) return &r;
  }
  return nullptr;
}

int StageIndex(const v1::CallReview& call_review, Stage stage) {
  const auto& s = call_review.stages();
  const auto it = std::find(s.begin(), s.end(), stage);
  return it == s.end() ? -1 : static_cast<int>(it - s.begin());
}

Stage ResolveStage(const v1::CallReview& call_review, Stage stage) {
  if (stage != calls::v1::REVIEW_STAGE_UNSPECIFIED) return stage;
  return call_review.stages().empty() ? calls::v1::REVIEW_STAGE_DOCUMENT
                                      : static_cast<Stage>(call_review.stages(0));
}

int ReviewersFor(const v1::CallReview& call_review, const ReviewRules& rules) {
  return call_review.reviewers_per_proposal() > 0 ? call_review.reviewers_per_proposal()
                                                  : rules.reviewers_per_proposal;
}

v1::AssignmentChange* AddHistory(v1::ReviewCase& c, Stage stage, v1::AssignmentChangeKind kind,
                                 std::string reason, const Context& ctx) {
  auto* h = c.add_assignment_history();
  h->set_stage(stage);
  h->set_kind(kind);
  h->set_reason(std::move(reason));
  *h->mutable_changed_at() = ToTimestamp(ctx.now);
  *h->mutable_changed_by() = ctx.actor;
  return h;
}

v1::ReviewersAssigned AssignedEvent(const v1::ReviewCase& c, const v1::StageAssignment& sa,
                                    const v1::AssignmentChange& change, const Context& ctx) {
  v1::ReviewersAssigned e;
  e.set_case_id(c.case_id());
  e.set_application_id(c.application_id());
  e.set_call_id(c.call_id());
  e.set_program_id(c.program_id());
  e.set_stage(sa.stage());
  e.set_cause(change.kind());
  *e.mutable_reviewers() = sa.reviewers();
  *e.mutable_added_reviewer_ids() = change.added_reviewer_ids();
  *e.mutable_removed_reviewer_ids() = change.removed_reviewer_ids();
  e.set_required_reviewers(sa.required_reviewers());
  if (sa.has_shortfall()) *e.mutable_shortfall() = sa.shortfall();
  e.set_reason(change.reason());
  e.set_run_id(change.run_id());
  *e.mutable_assigned_at() = ToTimestamp(ctx.now);
  return e;
}

}  // namespace tane::reviews::internal
