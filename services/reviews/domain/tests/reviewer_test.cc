// Reviewer records: validation, updates, standing conflicts, availability,
// languages and the engine's view.

#include <gtest/gtest.h>

#include "test_support.h"

namespace tane::reviews::testing {
namespace {

v1::Reviewer Valid() {
  v1::Reviewer r = Rev("t", "30000001", "ror-02kpeqv85", {"S1"});
  r.set_orcid("0000-0002-1825-0097");
  r.add_keywords("熱輸送");
  r.add_languages("en");
  return r;
}

TEST(ReviewerValidationTest, EachRuleNamesItsField) {
  struct Row {
    const char* name;
    void (*edit)(v1::Reviewer&);
    std::vector<std::string> fields;
  };
  const Row rows[] = {
      {"valid", [](auto&) {}, {}},
      {"no name",
       [](auto& r) {
         r.clear_name_ja();
         r.clear_name_en();
       },
       {"name_ja"}},
      {"bad e-Rad", [](auto& r) { r.set_researcher_id("1234567"); }, {"researcher_id"}},
      {"bad ORCID check digit", [](auto& r) { r.set_orcid("0000-0002-1825-0098"); }, {"orcid"}},
      {"affiliation without institution",
       [](auto& r) { r.mutable_affiliations(0)->clear_institution_id(); },
       {"affiliations[0].institution_id"}},
      {"affiliation ends before it starts",
       [](auto& r) { r.mutable_affiliations(0)->mutable_end_time()->set_seconds(1); },
       {"affiliations[0].end_time"}},
      {"no expertise",
       [](auto& r) {
         r.clear_review_sections();
         r.clear_keywords();
       },
       {"review_sections"}},
      {"duplicate keyword", [](auto& r) { r.add_keywords("熱輸送"); }, {"keywords[1]"}},
      {"empty section", [](auto& r) { r.add_review_sections(""); }, {"review_sections[1]"}},
      {"bad language", [](auto& r) { r.add_languages("日本語"); }, {"languages[2]"}},
      {"load 0", [](auto& r) { r.set_max_load_per_call(0); }, {"max_load_per_call"}},
      {"load too high", [](auto& r) { r.set_max_load_per_call(1001); }, {"max_load_per_call"}},
      {"open unavailable period",
       [](auto& r) { r.add_unavailable()->mutable_start_time()->set_seconds(100); },
       {"unavailable[0].end_time"}},
      {"standing conflict with oneself",
       [](auto& r) {
         auto* c = r.add_standing_conflicts();
         c->set_researcher_id("30000001");
         c->set_kind(v1::RELATION_KIND_COAUTHOR);
       },
       {"standing_conflicts[0].researcher_id"}},
      {"standing conflict without kind",
       [](auto& r) { r.add_standing_conflicts()->set_researcher_id("30000002"); },
       {"standing_conflicts[0].kind"}},
      {"same researcher twice",
       [](auto& r) {
         for (auto kind : {v1::RELATION_KIND_COAUTHOR, v1::RELATION_KIND_RELATIVE}) {
           auto* c = r.add_standing_conflicts();
           c->set_researcher_id("30000002");
           c->set_kind(kind);
         }
       },
       {"standing_conflicts[1].researcher_id"}},
      {"control character in the name", [](auto& r) { r.set_name_ja("審査\n太郎"); }, {"name_ja"}},
      {"several at once",
       [](auto& r) {
         r.set_researcher_id("x");
         r.set_max_load_per_call(-1);
       },
       {"researcher_id", "max_load_per_call"}},
  };
  for (const Row& row : rows) {
    v1::Reviewer r = Valid();
    row.edit(r);
    core::Violations v;
    CollectReviewerViolations(r, v);
    std::vector<std::string> fields;
    for (const auto& item : v.items()) fields.push_back(item.field);
    EXPECT_EQ(fields, row.fields) << row.name;
  }
}

TEST(ReviewerTest, NewReviewerStampsAndKeepsJapaneseText) {
  World w;
  v1::Reviewer r = Valid();
  r.set_name_ja("髙橋 﨑子");  // 異体字 outside JIS X 0208
  auto* c = r.add_standing_conflicts();
  c->set_researcher_id("30000002");
  c->set_kind(v1::RELATION_KIND_SUPERVISOR);
  auto created = NewReviewer(r, "rev-1", w.Ctx(Operator()));
  ASSERT_TRUE(created.ok()) << created.status();
  v1::Reviewer parsed;
  ASSERT_TRUE(parsed.ParseFromString(created->reviewer.SerializeAsString()));
  EXPECT_EQ(parsed.name_ja(), "髙橋 﨑子");
  EXPECT_EQ(parsed.keywords(0), "熱輸送");
  EXPECT_EQ(parsed.reviewer_id(), "rev-1");
  EXPECT_EQ(parsed.version(), 1);
  EXPECT_EQ(FromTimestamp(parsed.create_time()), w.now);
  EXPECT_EQ(parsed.standing_conflicts(0).declared_by().subject(), "op-1");
  v1::Reviewer bad = Valid();
  bad.set_max_load_per_call(0);
  EXPECT_EQ(NewReviewer(bad, "rev-2", w.Ctx(Operator())).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ReviewerTest, UpdateChangesOnlyTheMaskedFields) {
  World w;
  v1::Reviewer current = NewReviewer(Valid(), "rev-1", w.Ctx(Operator()))->reviewer;
  v1::Reviewer patch;
  patch.set_max_load_per_call(7);
  patch.set_name_ja("ignored: not in the mask");
  patch.add_languages("fr");
  google::protobuf::FieldMask mask;
  mask.add_paths("max_load_per_call");
  mask.add_paths("languages");
  auto updated = UpdateReviewer(current, patch, mask, w.PoCtx());
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->reviewer.max_load_per_call(), 7);
  EXPECT_EQ(updated->reviewer.name_ja(), current.name_ja());
  ASSERT_EQ(updated->reviewer.languages_size(), 1);
  EXPECT_EQ(updated->reviewer.languages(0), "fr");
  EXPECT_EQ(updated->reviewer.version(), 2);

  struct Row {
    const char* name;
    std::vector<std::string> paths;
    int64_t version;
    absl::StatusCode code;
  };
  const Row rows[] = {
      {"empty mask", {}, 0, absl::StatusCode::kInvalidArgument},
      {"server-set path", {"version"}, 0, absl::StatusCode::kInvalidArgument},
      {"unknown path", {"salary"}, 0, absl::StatusCode::kInvalidArgument},
      {"stale version", {"name_ja"}, 9, absl::StatusCode::kAborted},
      {"invalid result", {"review_sections", "keywords"}, 0, absl::StatusCode::kInvalidArgument},
  };
  for (const Row& row : rows) {
    google::protobuf::FieldMask m;
    for (const auto& p : row.paths) m.add_paths(p);
    v1::Reviewer p;
    p.set_version(row.version);
    EXPECT_EQ(UpdateReviewer(current, p, m, w.PoCtx()).status().code(), row.code) << row.name;
  }
}

TEST(ReviewerTest, StandingConflictsOnlyGrowExceptByAnOperator) {
  World w;
  v1::Reviewer current = NewReviewer(Valid(), "rev-1", w.Ctx(Operator()))->reviewer;
  v1::AddStandingConflictRequest add;
  add.set_reviewer_id("rev-1");
  add.mutable_conflict()->set_researcher_id("30000002");
  add.mutable_conflict()->set_kind(v1::RELATION_KIND_RELATIVE);
  add.mutable_conflict()->set_note("義兄");
  // The reviewer declares on their own record.
  auto declared = AddStandingConflict(current, add, w.Ctx(Actor("reviewer", "sub-t")));
  ASSERT_TRUE(declared.ok()) << declared.status();
  const v1::Reviewer with = declared->reviewer;
  EXPECT_EQ(with.standing_conflicts(0).declared_by().role(), "reviewer");
  EXPECT_EQ(with.standing_conflicts(0).note(), "義兄");
  EXPECT_EQ(AddStandingConflict(with, add, w.PoCtx()).status().code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(AddStandingConflict(current, add, w.Ctx(Actor("reviewer", "sub-someone-else")))
                .status()
                .code(),
            absl::StatusCode::kNotFound);
  add.mutable_conflict()->set_researcher_id("bad");
  EXPECT_EQ(AddStandingConflict(current, add, w.PoCtx()).status().code(),
            absl::StatusCode::kInvalidArgument);

  google::protobuf::FieldMask mask;
  mask.add_paths("standing_conflicts");
  v1::Reviewer cleared;
  EXPECT_EQ(UpdateReviewer(with, cleared, mask, w.PoCtx()).status().code(),
            absl::StatusCode::kPermissionDenied);
  auto by_operator = UpdateReviewer(with, cleared, mask, w.Ctx(Operator()));
  ASSERT_TRUE(by_operator.ok()) << by_operator.status();
  EXPECT_EQ(by_operator->reviewer.standing_conflicts_size(), 0);
}

TEST(ReviewerTest, Availability) {
  v1::Reviewer r = Valid();
  auto* p = r.add_unavailable();
  *p->mutable_start_time() = ToTimestamp(Jst(2017, 7, 1));
  *p->mutable_end_time() = ToTimestamp(Jst(2017, 8, 1));
  struct Row {
    absl::Time at;
    bool suspended;
    bool available;
  };
  const Row rows[] = {
      {Jst(2017, 6, 30, 23, 59, 59), false, true},
      {Jst(2017, 7, 1), false, false},
      {Jst(2017, 7, 31, 23, 59, 59), false, false},
      {Jst(2017, 8, 1), false, true},  // the end is exclusive
      {Jst(2017, 9, 1), true, false},
  };
  for (const Row& row : rows) {
    r.set_suspended(row.suspended);
    EXPECT_EQ(IsAvailableAt(r, row.at), row.available) << row.at;
  }
}

TEST(ReviewerTest, Languages) {
  struct Tag {
    const char* tag;
    bool valid;
  };
  for (const Tag& t : {Tag{"ja", true}, Tag{"en-GB", true}, Tag{"zh-Hant-TW", true},
                       Tag{"pt-BR", true}, Tag{"fil", true}, Tag{"", false}, Tag{"e", false},
                       Tag{"english", false}, Tag{"en_GB", false}, Tag{"en-", false},
                       Tag{"日本", false}}) {
    EXPECT_EQ(IsLanguageTag(t.tag), t.valid) << t.tag;
  }
  v1::Reviewer r = Valid();  // ja, en
  EXPECT_TRUE(ReviewsInLanguage(r, "EN-us"));
  EXPECT_TRUE(ReviewsInLanguage(r, ""));
  EXPECT_FALSE(ReviewsInLanguage(r, "fr"));
}

TEST(ReviewerTest, EngineViewCarriesPeriodsAndRelations) {
  v1::Reviewer r = Valid();
  AddPastAffiliation(r, "inst-old", Jst(2005, 4, 1), Jst(2010, 3, 31));
  const std::pair<const char*, v1::RelationKind> relations[] = {
      {"30000002", v1::RELATION_KIND_COAUTHOR}, {"30000003", v1::RELATION_KIND_COLLABORATOR},
      {"30000004", v1::RELATION_KIND_RELATIVE}, {"30000005", v1::RELATION_KIND_SUPERVISOR},
      {"30000006", v1::RELATION_KIND_SUPERVISEE}, {"30000007", v1::RELATION_KIND_OTHER}};
  for (const auto& [id, kind] : relations) {
    auto* c = r.add_standing_conflicts();
    c->set_researcher_id(id);
    c->set_kind(kind);
  }
  r.set_suspended(true);
  const assignment::Reviewer e = ToEngineReviewer(r);
  EXPECT_EQ(e.id, "r-t");
  EXPECT_EQ(e.researcher_id, "30000001");
  ASSERT_EQ(e.affiliations.size(), 2u);
  EXPECT_EQ(e.affiliations[0].to, absl::InfiniteFuture());
  EXPECT_EQ(e.affiliations[1].from, Jst(2005, 4, 1));
  EXPECT_EQ(e.affiliations[1].to, Jst(2010, 3, 31));
  EXPECT_EQ(e.coauthor_ids, std::vector<std::string>{"30000002"});
  EXPECT_EQ(e.collaborator_ids, std::vector<std::string>{"30000003"});
  EXPECT_EQ(e.relation_ids, (std::vector<std::string>{"30000004", "30000005", "30000006", "30000007"}));
  EXPECT_EQ(e.review_sections, std::vector<std::string>{"S1"});
  EXPECT_EQ(e.keywords, std::vector<std::string>{"熱輸送"});
  EXPECT_EQ(e.max_load, 10);
  EXPECT_FALSE(e.available);
}

}  // namespace
}  // namespace tane::reviews::testing
