#include "tane/reviews/reviewer.h"

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "internal.h"
#include "tane/core/ids.h"

namespace tane::reviews {

using core::Violations;
using internal::CheckText;
using internal::IsSet;
using internal::IsValidTimestamp;
using internal::kMaxNameChars;
using internal::kMaxReasonChars;

namespace {

void CheckTime(const google::protobuf::Timestamp& ts, const std::string& field, Violations& v) {
  if (IsSet(ts) && !IsValidTimestamp(ts)) v.Add(field, "is not a valid timestamp");
}

void CheckList(const google::protobuf::RepeatedPtrField<std::string>& items,
               const std::string& field, Violations& v) {
  std::set<std::string> seen;
  for (int i = 0; i < items.size(); ++i) {
    const std::string f = absl::StrCat(field, "[", i, "]");
    CheckText(items[i], f, /*required=*/true, /*multiline=*/false, kMaxNameChars, v);
    if (!seen.insert(items[i]).second) v.Add(f, absl::StrCat("\"", items[i], "\" appears twice"));
  }
}

void CheckStandingConflict(const v1::StandingConflict& c, const std::string& field,
                           const std::string& own_researcher_id, Violations& v) {
  if (!core::IsEradResearcherNumber(c.researcher_id())) {
    v.Add(field + ".researcher_id", "must be an e-Rad researcher number (8 digits)");
  } else if (c.researcher_id() == own_researcher_id) {
    v.Add(field + ".researcher_id", "is the reviewer's own researcher number");
  }
  if (c.kind() == v1::RELATION_KIND_UNSPECIFIED || !v1::RelationKind_IsValid(c.kind())) {
    v.Add(field + ".kind", "must be relative, supervisor, supervisee, coauthor, collaborator or other");
  }
  CheckText(c.note(), field + ".note", false, true, kMaxReasonChars, v);
}

void StampConflicts(v1::Reviewer& r, const Context& ctx) {
  for (auto& c : *r.mutable_standing_conflicts()) {
    if (!IsSet(c.declared_at())) *c.mutable_declared_at() = ToTimestamp(ctx.now);
    if (!c.has_declared_by()) *c.mutable_declared_by() = ctx.actor;
  }
}

const std::set<std::string>& UpdatablePaths() {
  static const auto* paths = new std::set<std::string>{
      "subject",   "researcher_id",     "orcid",     "name_ja",     "name_en",
      "affiliations", "review_sections", "keywords", "languages",   "max_load_per_call",
      "suspended", "unavailable",       "standing_conflicts"};
  return *paths;
}

}  // namespace

bool IsLanguageTag(std::string_view tag) {
  if (tag.empty()) return false;
  const std::vector<absl::string_view> parts =
      absl::StrSplit(absl::string_view(tag.data(), tag.size()), '-');
  for (size_t i = 0; i < parts.size(); ++i) {
    const auto p = parts[i];
    if (i == 0 ? (p.size() < 2 || p.size() > 3) : (p.size() < 2 || p.size() > 8)) return false;
    for (char c : p) {
      if (i == 0 ? !absl::ascii_isalpha(c) : !absl::ascii_isalnum(c)) return false;
    }
  }
  return true;
}

void CollectReviewerViolations(const v1::Reviewer& r, Violations& v) {
  CheckText(r.subject(), "subject", false, false, kMaxNameChars, v);
  if (!r.researcher_id().empty() && !core::IsEradResearcherNumber(r.researcher_id())) {
    v.Add("researcher_id", "must be an e-Rad researcher number (8 digits)");
  }
  if (!r.orcid().empty() && !core::IsOrcid(r.orcid())) {
    v.Add("orcid", "must be an ORCID iD like 0000-0002-1825-0097 with a valid check digit");
  }
  if (absl::StripAsciiWhitespace(r.name_ja()).empty() &&
      absl::StripAsciiWhitespace(r.name_en()).empty()) {
    v.Add("name_ja", "a name (name_ja or name_en) is required");
  }
  CheckText(r.name_ja(), "name_ja", false, false, kMaxNameChars, v);
  CheckText(r.name_en(), "name_en", false, false, kMaxNameChars, v);
  for (int i = 0; i < r.affiliations_size(); ++i) {
    const auto& a = r.affiliations(i);
    const std::string f = absl::StrCat("affiliations[", i, "]");
    CheckText(a.institution_id(), f + ".institution_id", true, false, kMaxNameChars, v);
    CheckText(a.institution_name(), f + ".institution_name", false, false, kMaxNameChars, v);
    CheckText(a.position(), f + ".position", false, false, kMaxNameChars, v);
    CheckTime(a.start_time(), f + ".start_time", v);
    CheckTime(a.end_time(), f + ".end_time", v);
    if (IsSet(a.start_time()) && IsSet(a.end_time()) &&
        FromTimestamp(a.end_time()) <= FromTimestamp(a.start_time())) {
      v.Add(f + ".end_time", "must be after start_time");
    }
  }
  if (r.review_sections().empty() && r.keywords().empty()) {
    v.Add("review_sections", "expertise is required: at least one review section or keyword");
  }
  CheckList(r.review_sections(), "review_sections", v);
  CheckList(r.keywords(), "keywords", v);
  for (int i = 0; i < r.languages_size(); ++i) {
    if (!IsLanguageTag(r.languages(i))) {
      v.Add(absl::StrCat("languages[", i, "]"), "must be a BCP 47 language tag such as ja or en");
    }
  }
  if (r.max_load_per_call() < 1 || r.max_load_per_call() > kMaxLoadPerCall) {
    v.Add("max_load_per_call", absl::StrCat("must be 1–", kMaxLoadPerCall, ", not ",
                                            r.max_load_per_call()));
  }
  for (int i = 0; i < r.unavailable_size(); ++i) {
    const auto& p = r.unavailable(i);
    const std::string f = absl::StrCat("unavailable[", i, "]");
    if (!IsValidTimestamp(p.start_time())) v.Add(f + ".start_time", "is required");
    if (!IsValidTimestamp(p.end_time())) {
      v.Add(f + ".end_time", "is required");
    } else if (IsValidTimestamp(p.start_time()) &&
               FromTimestamp(p.end_time()) <= FromTimestamp(p.start_time())) {
      v.Add(f + ".end_time", "must be after start_time");
    }
    CheckText(p.note(), f + ".note", false, true, kMaxReasonChars, v);
  }
  std::set<std::string> related;
  for (int i = 0; i < r.standing_conflicts_size(); ++i) {
    const auto& c = r.standing_conflicts(i);
    const std::string f = absl::StrCat("standing_conflicts[", i, "]");
    CheckStandingConflict(c, f, r.researcher_id(), v);
    if (!related.insert(c.researcher_id()).second) {
      v.Add(f + ".researcher_id", "is declared twice");
    }
  }
}

absl::StatusOr<ReviewerTransition> NewReviewer(v1::Reviewer reviewer, std::string reviewer_id,
                                               const Context& ctx) {
  if (auto s = internal::CheckActor(ctx); !s.ok()) return s;
  Violations v;
  CollectReviewerViolations(reviewer, v);
  if (!v.empty()) return v.ToStatus("invalid reviewer");
  reviewer.set_reviewer_id(std::move(reviewer_id));
  reviewer.set_version(0);
  reviewer.clear_create_time();
  StampConflicts(reviewer, ctx);
  internal::Bump(reviewer, ctx.now);
  return ReviewerTransition{std::move(reviewer)};
}

absl::StatusOr<ReviewerTransition> UpdateReviewer(const v1::Reviewer& current,
                                                  const v1::Reviewer& patch,
                                                  const google::protobuf::FieldMask& mask,
                                                  const Context& ctx) {
  if (auto s = internal::CheckActor(ctx); !s.ok()) return s;
  if (!patch.reviewer_id().empty() && patch.reviewer_id() != current.reviewer_id()) {
    Violations v;
    v.Add("reviewer.reviewer_id", absl::StrCat("does not name reviewer ", current.reviewer_id()));
    return v.ToStatus();
  }
  if (auto s = internal::CheckVersion(patch.version(), current.version(), "reviewer",
                                      current.reviewer_id());
      !s.ok()) {
    return s;
  }
  Violations v;
  if (mask.paths().empty()) v.Add("update_mask", "names no field to change");
  for (int i = 0; i < mask.paths_size(); ++i) {
    if (!UpdatablePaths().contains(mask.paths(i))) {
      v.Add(absl::StrCat("update_mask.paths[", i, "]"),
            absl::StrCat("\"", mask.paths(i), "\" cannot be changed"));
    }
  }
  if (!v.empty()) return v.ToStatus();

  v1::Reviewer next = current;
  const auto* descriptor = v1::Reviewer::descriptor();
  const auto* reflection = v1::Reviewer::GetReflection();
  for (const auto& path : mask.paths()) {
    const auto* field = descriptor->FindFieldByName(path);
    reflection->ClearField(&next, field);
    if (field->is_repeated()) {
      for (int i = 0; i < reflection->FieldSize(patch, field); ++i) {
        if (field->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_STRING) {
          reflection->AddString(&next, field, reflection->GetRepeatedString(patch, field, i));
        } else {
          reflection->AddMessage(&next, field)->CopyFrom(
              reflection->GetRepeatedMessage(patch, field, i));
        }
      }
    } else if (field->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_STRING) {
      reflection->SetString(&next, field, reflection->GetString(patch, field));
    } else if (field->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_INT32) {
      reflection->SetInt32(&next, field, reflection->GetInt32(patch, field));
    } else if (field->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_BOOL) {
      reflection->SetBool(&next, field, reflection->GetBool(patch, field));
    }
  }
  // A reviewer's standing conflicts only grow, except by an operator.
  std::set<std::pair<std::string, int>> after;
  for (const auto& c : next.standing_conflicts()) after.insert({c.researcher_id(), c.kind()});
  for (const auto& c : current.standing_conflicts()) {
    if (!after.contains({c.researcher_id(), c.kind()}) && ctx.actor.role() != "operator") {
      return absl::PermissionDeniedError(
          absl::StrCat("only an operator may remove the standing conflict with ",
                       c.researcher_id()));
    }
  }
  CollectReviewerViolations(next, v);
  if (!v.empty()) return v.ToStatus("invalid reviewer");
  StampConflicts(next, ctx);
  internal::Bump(next, ctx.now);
  return ReviewerTransition{std::move(next)};
}

absl::StatusOr<ReviewerTransition> AddStandingConflict(
    const v1::Reviewer& current, const v1::AddStandingConflictRequest& request,
    const Context& ctx) {
  if (auto s = internal::CheckActor(ctx); !s.ok()) return s;
  if (ctx.actor.role() == "reviewer" && ctx.actor.subject() != current.subject()) {
    return absl::NotFoundError(absl::StrCat("no reviewer ", request.reviewer_id()));
  }
  if (request.reviewer_id() != current.reviewer_id()) {
    Violations v;
    v.Add("reviewer_id", absl::StrCat("does not name reviewer ", current.reviewer_id()));
    return v.ToStatus();
  }
  if (auto s = internal::CheckVersion(request.version(), current.version(), "reviewer",
                                      current.reviewer_id());
      !s.ok()) {
    return s;
  }
  Violations v;
  CheckStandingConflict(request.conflict(), "conflict", current.researcher_id(), v);
  if (!v.empty()) return v.ToStatus("invalid conflict");
  for (const auto& c : current.standing_conflicts()) {
    if (c.researcher_id() == request.conflict().researcher_id()) {
      return absl::AlreadyExistsError(absl::StrCat(
          "a standing conflict with ", c.researcher_id(), " is already declared"));
    }
  }
  v1::Reviewer next = current;
  auto* added = next.add_standing_conflicts();
  *added = request.conflict();
  *added->mutable_declared_at() = ToTimestamp(ctx.now);
  *added->mutable_declared_by() = ctx.actor;
  internal::Bump(next, ctx.now);
  return ReviewerTransition{std::move(next)};
}

bool IsAvailableAt(const v1::Reviewer& reviewer, absl::Time t) {
  if (reviewer.suspended()) return false;
  for (const auto& p : reviewer.unavailable()) {
    if (t >= FromTimestamp(p.start_time()) && t < FromTimestamp(p.end_time())) return false;
  }
  return true;
}

bool ReviewsInLanguage(const v1::Reviewer& reviewer, std::string_view language) {
  if (language.empty()) return true;
  const auto primary = [](std::string_view tag) {
    const std::string_view head = tag.substr(0, tag.find('-'));
    return absl::AsciiStrToLower(absl::string_view(head.data(), head.size()));
  };
  const std::string wanted = primary(language);
  for (const auto& l : reviewer.languages()) {
    if (primary(l) == wanted) return true;
  }
  return false;
}

assignment::Reviewer ToEngineReviewer(const v1::Reviewer& reviewer) {
  assignment::Reviewer r;
  r.id = reviewer.reviewer_id();
  r.researcher_id = reviewer.researcher_id();
  for (const auto& a : reviewer.affiliations()) {
    assignment::Affiliation aff;
    aff.institution_id = a.institution_id();
    if (IsSet(a.start_time())) aff.from = FromTimestamp(a.start_time());
    if (IsSet(a.end_time())) aff.to = FromTimestamp(a.end_time());
    r.affiliations.push_back(std::move(aff));
  }
  r.review_sections.assign(reviewer.review_sections().begin(), reviewer.review_sections().end());
  r.keywords.assign(reviewer.keywords().begin(), reviewer.keywords().end());
  for (const auto& c : reviewer.standing_conflicts()) {
    switch (c.kind()) {
      case v1::RELATION_KIND_COAUTHOR:
        r.coauthor_ids.push_back(c.researcher_id());
        break;
      case v1::RELATION_KIND_COLLABORATOR:
        r.collaborator_ids.push_back(c.researcher_id());
        break;
      default:
        r.relation_ids.push_back(c.researcher_id());
        break;
    }
  }
  r.max_load = reviewer.max_load_per_call();
  r.available = !reviewer.suspended();
  return r;
}

}  // namespace tane::reviews
