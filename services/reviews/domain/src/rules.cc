#include "tane/reviews/rules.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "tane/core/errors.h"

namespace tane::reviews {

namespace {

constexpr int kDefaultMaxCommentChars = 4000;

void AddCriterion(v1::ReviewForm& form, const char* id, const char* ja, const char* en,
                  const char* description) {
  auto* c = form.add_criteria();
  c->set_criterion_id(id);
  c->set_name_ja(ja);
  c->set_name_en(en);
  c->set_description(description);
  c->set_min_score(1);
  c->set_max_score(5);
}

}  // namespace

v1::ReviewForm DefaultReviewForm(std::string_view program_id, Stage stage) {
  v1::ReviewForm form;
  form.set_program_id(std::string(program_id));
  form.set_stage(stage == calls::v1::REVIEW_STAGE_UNSPECIFIED ? calls::v1::REVIEW_STAGE_DOCUMENT
                                                              : stage);
  AddCriterion(form, "originality", "独創性・新規性", "Originality and novelty",
               "How new the idea is and what it adds beyond the state of the art.");
  AddCriterion(form, "feasibility", "研究計画の妥当性・実現可能性", "Plan and feasibility",
               "Whether the plan, methods, period and budget can reach the aims.");
  AddCriterion(form, "capability", "研究者の能力・実施体制", "Investigators and organisation",
               "Track record of the team and how the work is organised.");
  AddCriterion(form, "impact", "期待される成果・波及効果", "Expected results and impact",
               "Scientific, technological and societal effect of success.");
  form.set_overall_min(1);
  form.set_overall_max(5);
  form.set_comment_to_applicant_required(true);
  form.set_max_comment_chars(kDefaultMaxCommentChars);
  return form;
}

std::vector<Stage> DistinctStages(const std::vector<Stage>& stages) {
  std::vector<Stage> out;
  for (Stage s : stages) {
    if (s != calls::v1::REVIEW_STAGE_UNSPECIFIED &&
        std::find(out.begin(), out.end(), s) == out.end()) {
      out.push_back(s);
    }
  }
  return out;
}

ReviewRules ReviewRules::FromProgram(const calls::ProgramRule* program) {
  ReviewRules rules;
  if (program == nullptr) return rules;
  rules.program_id = program->id;
  if (auto stages = DistinctStages(program->review.stages); !stages.empty()) {
    rules.stages = std::move(stages);
  }
  if (program->review.reviewers_per_proposal) {
    rules.reviewers_per_proposal = *program->review.reviewers_per_proposal;
  }
  return rules;
}

absl::Status ReviewRules::Validate() const {
  core::Violations v;
  if (stages.empty()) v.Add("stages", "at least one review stage is required");
  std::set<int> seen;
  for (size_t i = 0; i < stages.size(); ++i) {
    if (stages[i] == calls::v1::REVIEW_STAGE_UNSPECIFIED || !calls::v1::ReviewStage_IsValid(stages[i])) {
      v.Add(absl::StrCat("stages[", i, "]"), "must be a review stage");
    } else if (!seen.insert(stages[i]).second) {
      v.Add(absl::StrCat("stages[", i, "]"), "appears twice");
    }
  }
  if (reviewers_per_proposal < 1 || reviewers_per_proposal > 50) {
    v.Add("reviewers_per_proposal", "must be 1–50");
  }
  if (rank_bands.empty() || rank_bands.back() != 100) {
    v.Add("rank_bands", "must end at 100");
  }
  for (size_t i = 0; i < rank_bands.size(); ++i) {
    if (rank_bands[i] < 1 || rank_bands[i] > 100 || (i > 0 && rank_bands[i] <= rank_bands[i - 1])) {
      v.Add(absl::StrCat("rank_bands[", i, "]"), "bands must rise strictly within 1–100");
    }
  }
  if (default_review_days < 1) v.Add("default_review_days", "must be at least 1");
  if (institution_window_years < 0) v.Add("institution_window_years", "must not be negative");
  for (size_t i = 0; i < forms.size(); ++i) {
    const auto& f = forms[i];
    const std::string field = absl::StrCat("forms[", i, "]");
    if (f.overall_min() >= f.overall_max()) v.Add(field + ".overall_max", "must exceed overall_min");
    if (f.max_comment_chars() < 1) v.Add(field + ".max_comment_chars", "must be positive");
    std::set<std::string> ids;
    for (int k = 0; k < f.criteria_size(); ++k) {
      const auto& c = f.criteria(k);
      const std::string cf = absl::StrCat(field, ".criteria[", k, "]");
      if (c.criterion_id().empty() || !ids.insert(c.criterion_id()).second) {
        v.Add(cf + ".criterion_id", "must be non-empty and unique");
      }
      if (c.min_score() >= c.max_score()) v.Add(cf + ".max_score", "must exceed min_score");
    }
  }
  return v.ToStatus("invalid review rules");
}

v1::ReviewForm ReviewRules::FormFor(Stage stage) const {
  if (stage == calls::v1::REVIEW_STAGE_UNSPECIFIED) stage = stages.front();
  for (const auto& f : forms) {
    if (f.stage() == stage) return f;
  }
  return DefaultReviewForm(program_id, stage);
}

const google::protobuf::Message& EventPayload(const Event& event) {
  return std::visit([](const auto& e) -> const google::protobuf::Message& { return e; }, event);
}

const std::string& EventCaseId(const Event& event) {
  return std::visit([](const auto& e) -> const std::string& { return e.case_id(); }, event);
}

const char* StageName(Stage stage) {
  switch (stage) {
    case calls::v1::REVIEW_STAGE_DOCUMENT:
      return "document";
    case calls::v1::REVIEW_STAGE_INTERVIEW:
      return "interview";
    case calls::v1::REVIEW_STAGE_PANEL:
      return "panel";
    default:
      return "unspecified";
  }
}

const char* CaseStateName(v1::CaseState state) {
  switch (state) {
    case v1::CASE_STATE_IN_REVIEW:
      return "in review";
    case v1::CASE_STATE_AWAITING_DECISION:
      return "awaiting decision";
    case v1::CASE_STATE_DECIDED:
      return "decided";
    case v1::CASE_STATE_WITHDRAWN:
      return "withdrawn";
    default:
      return "in an unknown state";
  }
}

}  // namespace tane::reviews
