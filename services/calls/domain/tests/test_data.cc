#include "test_data.h"

#include <cstdlib>
#include <iostream>

#include "tane/calls/timestamps.h"
#include "tane/core/errors.h"
#include "tane/core/time.h"

namespace tane::calls::testing {

std::string CatalogPath() { return std::string(TANE_CALLS_CATALOG_DIR) + "/programs.yaml"; }
std::string DemoPath() { return std::string(TANE_CALLS_CATALOG_DIR) + "/demo_fy2017.yaml"; }

const Catalog& ShippedCatalog() {
  static const Catalog* catalog = [] {
    auto loaded = Catalog::LoadFromFile(CatalogPath());
    if (!loaded.ok()) {
      std::cerr << "cannot load the shipped catalog: " << loaded.status() << "\n";
      std::abort();
    }
    return new Catalog(std::move(*loaded));
  }();
  return *catalog;
}

const ProgramRule& Program(const std::string& id) {
  const ProgramRule* p = ShippedCatalog().Find(id);
  if (p == nullptr) {
    std::cerr << "no program " << id << " in the shipped catalog\n";
    std::abort();
  }
  return *p;
}

absl::Time Jst(int year, int month, int day, int hour, int minute, int second) {
  return absl::FromCivil(absl::CivilSecond(year, month, day, hour, minute, second),
                         core::TokyoTimeZone());
}

v1::Call CrestCall() {
  v1::Call call;
  call.set_call_id(kCallId);
  call.set_program_id("crest");
  call.set_research_area_id(kAreaId);
  call.set_title_ja(
      "平成29年度 CREST「ナノスケール・サーマルマネージメント基盤技術の創出」研究提案募集");
  call.set_title_en("FY2017 CREST call, Nanoscale thermal management technologies");
  *call.mutable_opens_at() = ToTimestamp(Jst(2017, 4, 12));
  *call.mutable_closes_at() = ToTimestamp(Jst(2017, 6, 7));
  *call.mutable_research_starts_not_before() = ToTimestamp(Jst(2017, 10, 1));
  call.set_state(v1::CALL_STATE_PUBLISHED);
  call.set_fiscal_year(2017);
  call.set_version(3);
  return call;
}

v1::Application CrestApplication() {
  v1::Application a;
  a.set_application_id(kApplicationId);
  a.set_call_id(kCallId);
  a.set_state(v1::APPLICATION_STATE_DRAFT);
  auto* pi = a.mutable_principal_investigator();
  pi->set_researcher_id("12345678");
  pi->set_orcid("0000-0002-1825-0097");
  pi->set_name_ja("種 花子");
  pi->set_name_en("Hanako Tane");
  pi->set_institution_id("https://ror.org/057zh3y96");
  pi->set_institution_name("東京大学");
  pi->set_position("教授");
  pi->set_degree_year(2005);
  a.set_pi_effort_percent(40);
  auto* co = a.add_co_investigators();
  co->mutable_person()->set_researcher_id("87654321");
  co->mutable_person()->set_name_ja("芽 太郎");
  co->set_effort_percent(20);
  co->set_role("主たる共同研究者");
  a.set_title_ja("ナノスケール熱輸送の分光学的制御による次世代熱マネージメント");
  a.set_title_en(
      "Next-generation thermal management by spectral control of nanoscale heat transport");
  a.set_abstract(
      "フォノンの輸送をナノスケールで制御し、デバイスの発熱問題を解決する。\n二段落目。");
  a.add_keywords("フォノン");
  a.add_keywords("熱輸送");
  a.set_research_period_months(66);
  a.set_start_fiscal_year(2017);
  auto add_line = [&a](int fy, v1::BudgetCategory category, int64_t yen) {
    auto* line = a.add_budget_plan();
    line->set_fiscal_year(fy);
    line->set_category(category);
    line->set_amount_yen(yen);
  };
  add_line(2017, v1::BUDGET_CATEGORY_EQUIPMENT, 20'000'000);
  for (int fy = 2018; fy <= 2022; ++fy) {
    add_line(fy, v1::BUDGET_CATEGORY_PERSONNEL, 50'000'000);
    add_line(fy, v1::BUDGET_CATEGORY_TRAVEL, 30'000'000);
  }
  auto* att = a.add_attachments();
  att->set_name("研究提案書.pdf");
  att->set_media_type("application/pdf");
  att->set_size_bytes(1'234'567);
  att->set_content_sha256(std::string(64, 'a'));
  return a;
}

absl::Time DuringCrestWindow() { return Jst(2017, 5, 15, 10); }

std::vector<std::string> FieldsOf(const absl::Status& status) {
  std::vector<std::string> out;
  for (const auto& v : core::ViolationsOf(status)) out.push_back(v.field);
  return out;
}

}  // namespace tane::calls::testing
