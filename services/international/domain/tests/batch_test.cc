// Batch import (bad rows, all-or-nothing, idempotent re-import) and export.

#include "tane/international/batch.h"

#include <set>

#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tane/core/errors.h"
#include "tane/international/csv.h"
#include "tane/international/views.h"
#include "test_support.h"

namespace tane::international {
namespace {

using ::google::protobuf::util::MessageDifferencer;
using ::testing::HasSubstr;
using namespace tane::international::testing;  // NOLINT

const char kProposalHeader[] =
    "joint_proposal_id,partner_reference_id,title_en,title_local,pi_name,institution_name,"
    "institution_country,requested_currency,requested_amount\r\n";

v1::ImportPartnerDataRequest Import(const std::string& content,
                                    v1::BatchFormat format = v1::BATCH_FORMAT_CSV,
                                    v1::ImportKind kind = v1::IMPORT_KIND_PARTNER_PROPOSALS) {
  v1::ImportPartnerDataRequest r;
  r.set_joint_call_id(ParallelCall().joint_call_id());
  r.set_format(format);
  r.set_kind(kind);
  r.set_content(content);
  return r;
}

absl::StatusOr<ImportOutcome> RunImport(const ProposalBook& book,
                                        const v1::ImportPartnerDataRequest& r,
                                        const common::v1::Actor& actor = Partner(),
                                        const std::set<int>& applied_lines = {}) {
  return ImportPartnerData(ParallelCall(), Anr(), book, r, Ctx(actor, Day(1)), applied_lines);
}

// The book after the wiring committed an import's writes.
ProposalBook Committed(const ProposalBook& book, const ImportOutcome& outcome) {
  ProposalBook after = book;
  for (const auto& w : outcome.writes) after.Put(w.proposal);
  return after;
}

struct Rejection {
  int line;
  std::string field;
  std::string reason;
};

std::vector<Rejection> Rejections(const v1::ImportReport& r) {
  std::vector<Rejection> out;
  for (const auto& row : r.results()) {
    if (row.outcome() == v1::ROW_OUTCOME_REJECTED)
      out.push_back({row.line(), row.field(), row.reason()});
  }
  return out;
}

// A JST application for JP-001 already received.
ProposalBook BookWithJstSide() {
  const auto event = Submitted("JP-001");
  auto t =
      ApplyApplicationSubmitted(nullptr, nullptr, event, JstKeyFor(event, nullptr), Ctx(System()));
  EXPECT_TRUE(t.ok());
  return ProposalBook({t->proposal});
}

TEST(ImportTest, GoodCsvFileIsAppliedWithItsEvents) {
  const std::string file =
      std::string(kProposalHeader) +
      "jp-001,ANR-1,Heat,\"Transport thermique, spectral\",Marie Curie,CNRS,FR,"
      "EUR,250000.50\r\n"
      "JP-002,ANR-2,Quantum sensing,量子センシング,Pierre Curie,ENS,FR,EUR,"
      "100000\r\n";
  const ProposalBook book = BookWithJstSide();
  auto out = RunImport(book, Import(file));
  ASSERT_TRUE(out.ok()) << out.status();
  const v1::ImportReport& r = out->report;
  EXPECT_EQ(r.rows(), 2);
  EXPECT_EQ(r.applied(), 2);
  EXPECT_EQ(r.rejected(), 0);
  EXPECT_TRUE(r.committed());
  EXPECT_EQ(r.file_sha256(), Sha256Hex(file));
  ASSERT_EQ(out->writes.size(), 2u);
  // JP-001 matched the JST application already there.
  EXPECT_EQ(out->writes[0].proposal.joint_proposal_id(), "JP-001");
  EXPECT_EQ(out->writes[0].expected_version, 1);
  EXPECT_EQ(out->writes[0].proposal.version(), 2);
  ASSERT_EQ(out->writes[0].events.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<v1::JointProposalMatched>(out->writes[0].events[0]));
  const v1::PartnerProposal& filed = out->writes[0].proposal.partner().proposal();
  EXPECT_EQ(filed.title_local(), "Transport thermique, spectral");
  EXPECT_EQ(filed.requested_amount().units(), 25000050);
  EXPECT_EQ(filed.channel(), v1::CHANNEL_BATCH);
  // JP-002 is new and carries its Japanese title unchanged.
  EXPECT_EQ(out->writes[1].expected_version, 0);
  EXPECT_EQ(out->writes[1].proposal.version(), 1);
  EXPECT_EQ(out->writes[1].proposal.partner().proposal().title_local(), "量子センシング");
  EXPECT_EQ(out->writes[1].proposal.partner().proposal().requested_amount().units(), 10000000);
}

TEST(ImportTest, BadRowsAreReportedByLineAndNothingIsAppliedUnlessAsked) {
  // Line 3 holds a quoted field over two lines: later line numbers must still be right.
  const std::string file =
      std::string(kProposalHeader) +
      "JP-001,ANR-1,Heat,,Marie Curie,CNRS,FR,EUR,250000\r\n"                        // 2 good
      "JP-002,ANR-2,\"Quantum\r\nsensing\",,Pierre Curie,ENS,FR,EUR,125000.505\r\n"  // 3: amount
      "JP-003,ANR-3,Optics,,,ENS,fr,EUR,200000\r\n"                    // 5: pi, country
      "JP-004,ANR-4,Too short\r\n"                                     // 6: fields
      "JP-005,ANR-5,Mining,,Ana,IPB,FR,EUX,100000\r\n"                 // 7: currency
      "JP-006,ANR-6,\"bad \xC3\x28 utf8\",,Ana,IPB,FR,EUR,100000\r\n"  // 8: UTF-8
      "JP-007,ANR-7,Fine,,Ana,IPB,FR,EUR,100000\r\n"                   // 9 good
      "JP-008,ANR-1,Same ref,,Ana,IPB,FR,EUR,100000\r\n"               // 10: ref reused
      "JP-009,ANR-9,Big,,Ana,IPB,FR,EUR,900000\r\n";                   // 11: range
  const ProposalBook book;
  auto out = RunImport(book, Import(file));
  ASSERT_TRUE(out.ok()) << out.status();
  const v1::ImportReport& r = out->report;
  EXPECT_EQ(r.rows(), 9);
  EXPECT_EQ(r.applied(), 2);
  EXPECT_EQ(r.rejected(), 7);
  EXPECT_FALSE(r.committed());
  EXPECT_TRUE(out->writes.empty());
  const auto bad = Rejections(r);
  std::vector<std::tuple<int, std::string>> where;
  for (const auto& b : bad) where.emplace_back(b.line, b.field);
  EXPECT_THAT(where, ::testing::ElementsAre(
                         std::make_tuple(3, "requested_amount"), std::make_tuple(5, "pi_name"),
                         std::make_tuple(5, "institution_country"), std::make_tuple(6, ""),
                         std::make_tuple(7, "requested_currency"), std::make_tuple(8, "title_en"),
                         std::make_tuple(10, ""), std::make_tuple(11, "requested_amount")));
  EXPECT_THAT(bad[0].reason, HasSubstr("EUR has 2 decimal places"));
  EXPECT_THAT(bad[3].reason, HasSubstr("has 3 fields; the header has 9"));
  EXPECT_THAT(bad[5].reason, HasSubstr("is not valid UTF-8"));
  EXPECT_THAT(bad[6].reason, HasSubstr("already filed under joint proposal JP-001"));
  EXPECT_THAT(bad[7].reason, HasSubstr("above the maximum EUR 500,000.00"));

  // Asked to apply the good rows: exactly those are written.
  v1::ImportPartnerDataRequest good_only = Import(file);
  good_only.set_apply_good_rows(true);
  auto applied = RunImport(book, good_only);
  ASSERT_TRUE(applied.ok());
  EXPECT_TRUE(applied->report.committed());
  std::vector<std::string> written;
  for (const auto& w : applied->writes) written.push_back(w.proposal.joint_proposal_id());
  EXPECT_THAT(written, ::testing::ElementsAre("JP-001", "JP-007"));

  // Validate only: a report, never a write.
  v1::ImportPartnerDataRequest dry = good_only;
  dry.set_validate_only(true);
  auto checked = RunImport(book, dry);
  ASSERT_TRUE(checked.ok());
  EXPECT_FALSE(checked->report.committed());
  EXPECT_TRUE(checked->writes.empty());
}

TEST(ImportTest, ReimportingTheSameFileChangesNothing) {
  const std::string file = std::string(kProposalHeader) +
                           "JP-001,ANR-1,Heat,,Marie Curie,CNRS,FR,EUR,250000\r\n"
                           "JP-002,ANR-2,Light,,Pierre Curie,ENS,FR,EUR,150000\r\n";
  const ProposalBook start = BookWithJstSide();
  auto first = RunImport(start, Import(file));
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->writes.size(), 2u);
  const ProposalBook after = Committed(start, *first);
  auto second = RunImport(after, Import(file));
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->report.unchanged(), 2);
  EXPECT_EQ(second->report.applied(), 0);
  EXPECT_TRUE(second->report.committed());
  EXPECT_TRUE(second->writes.empty());
  EXPECT_EQ(second->report.file_sha256(), first->report.file_sha256());
  // The same rows as JSON Lines are the same content: unchanged too.
  std::string jsonl;
  for (const auto& w : first->writes) {
    v1::PartnerProposal p = w.proposal.partner().proposal();
    std::string line;
    ASSERT_TRUE(google::protobuf::util::MessageToJsonString(p, &line).ok());
    jsonl += line + "\n";
  }
  auto as_json = RunImport(after, Import(jsonl, v1::BATCH_FORMAT_JSON_LINES));
  ASSERT_TRUE(as_json.ok());
  EXPECT_EQ(as_json->report.unchanged(), 2) << as_json->report.DebugString();
}

TEST(ImportTest, SeveralRowsOnOneProposalAreOneWrite) {
  const std::string proposals = std::string(kProposalHeader) +
                                "JP-001,ANR-1,Heat,,Marie Curie,CNRS,FR,EUR,250000\r\n"
                                "JP-001,ANR-1,Heat (revised),,Marie Curie,CNRS,FR,EUR,260000\r\n";
  const ProposalBook book = BookWithJstSide();
  auto out = RunImport(book, Import(proposals));
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->report.applied(), 2);
  ASSERT_EQ(out->writes.size(), 1u);
  EXPECT_EQ(out->writes[0].expected_version, 1);
  EXPECT_EQ(out->writes[0].proposal.version(), 2);
  EXPECT_EQ(out->writes[0].proposal.partner().proposal().title_en(), "Heat (revised)");
  EXPECT_EQ(out->writes[0].events.size(), 1u);  // matched once
}

TEST(ImportTest, RetryOfAnInterruptedImportAppliesEachRowOnce) {
  const std::string file = std::string(kProposalHeader) +
                           "JP-001,ANR-1,Heat,,Marie Curie,CNRS,FR,EUR,250000\r\n"
                           "JP-003,ANR-3,Sound,,Ana,IPB,FR,EUR,150000\r\n"
                           "JP-001,ANR-1,Heat (revised),,Marie Curie,CNRS,FR,EUR,260000\r\n"
                           "JP-004,ANR-4,Optics,,Ana,IPB,FR,EUR,150000\r\n";
  const ProposalBook start = BookWithJstSide();
  auto first = RunImport(start, Import(file));
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->writes.size(), 3u);
  EXPECT_THAT(first->writes[0].lines, ::testing::ElementsAre(2, 4));  // JP-001
  EXPECT_THAT(first->writes[1].lines, ::testing::ElementsAre(3));     // JP-003
  EXPECT_THAT(first->writes[2].lines, ::testing::ElementsAre(5));     // JP-004

  // The run wrote JP-001 and JP-003, then failed before JP-004.
  ProposalBook interrupted = start;
  std::set<int> applied;
  for (const ProposalWrite& w : {first->writes[0], first->writes[1]}) {
    interrupted.Put(w.proposal);
    applied.insert(w.lines.begin(), w.lines.end());
  }
  // Without the applied lines, line 2 would revise JP-001 back to "Heat"
  // and line 4 revise it again: JP-001 written twice, its rows applied twice.
  auto blind = RunImport(interrupted, Import(file));
  ASSERT_TRUE(blind.ok());
  EXPECT_EQ(blind->writes.size(), 2u);

  auto retry = RunImport(interrupted, Import(file), Partner(), applied);
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_TRUE(retry->report.committed());
  ASSERT_EQ(retry->writes.size(), 1u);
  EXPECT_EQ(retry->writes[0].proposal.joint_proposal_id(), "JP-004");
  EXPECT_EQ(retry->report.applied(), 1);
  EXPECT_EQ(retry->report.unchanged(), 3);
  for (const v1::RowResult& r : retry->report.results()) {
    SCOPED_TRACE(r.line());
    const bool earlier = r.line() != 5;
    EXPECT_EQ(r.outcome(), earlier ? v1::ROW_OUTCOME_UNCHANGED : v1::ROW_OUTCOME_APPLIED);
    EXPECT_EQ(r.reason(), earlier ? kAppliedEarlier : "");
  }
  // Every row applied once: the state is the uninterrupted run's.
  const ProposalBook done = Committed(interrupted, *retry);
  for (const ProposalWrite& w : first->writes) {
    const v1::JointProposal* p = done.Find(w.proposal.joint_proposal_id());
    ASSERT_NE(p, nullptr);
    EXPECT_TRUE(MessageDifferencer::Equals(*p, w.proposal)) << p->DebugString();
  }
}

TEST(ImportTest, EveryBadRowIsReportedBeforeAnythingIsWritten) {
  // Bad rows first, last and in between, among good ones: nothing is written
  // and each bad row is reported with its line, field and reason.
  const std::string file = std::string(kProposalHeader) +
                           "JP-001,ANR-1,,,Marie Curie,CNRS,FR,EUR,250000\r\n"       // no title
                           "JP-002,ANR-2,Light,,Pierre Curie,ENS,FR,EUR,150000\r\n"  // good
                           "JP-003,ANR-3,Sound,,Ana,IPB,FRA,EUR,150000\r\n"          // country
                           "JP-004,ANR-4,Optics,,Ana,IPB,FR,EUR,150000\r\n"          // good
                           "JP-005,ANR-2,Waves,,Ana,IPB,FR,EUR,150000\r\n";  // ANR-2 is JP-002's
  auto out = RunImport(BookWithJstSide(), Import(file));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_FALSE(out->report.committed());
  EXPECT_TRUE(out->writes.empty());
  EXPECT_EQ(out->report.rejected(), 3) << out->report.DebugString();
  EXPECT_EQ(out->report.applied(), 2);  // would apply
  const std::vector<Rejection> bad = Rejections(out->report);
  ASSERT_EQ(bad.size(), 3u);
  EXPECT_EQ(bad[0].line, 2);
  EXPECT_EQ(bad[0].field, "title_en");
  EXPECT_EQ(bad[1].line, 4);
  EXPECT_EQ(bad[1].field, "institution_country");
  EXPECT_EQ(bad[2].line, 6);
  EXPECT_THAT(bad[2].reason, HasSubstr("already filed under joint proposal JP-002"));
  for (const Rejection& r : bad) EXPECT_FALSE(r.reason.empty());
}

TEST(ImportTest, HeaderProblemsRejectTheWholeFileAtLineOne) {
  struct Case {
    std::string name;
    std::string file;
    std::vector<std::string> reasons;
  };
  const std::vector<Case> cases = {
      {"empty", "", {"the file is empty"}},
      {"unknown and missing columns",
       "joint_proposal_id,partner_ref,title_en\r\nJP-1,A,B\r\n",
       {"unknown column \"partner_ref\"", "required column \"partner_reference_id\" is missing",
        "required column \"pi_name\" is missing", "required column \"institution_name\" is missing",
        "required column \"institution_country\" is missing",
        "required column \"requested_currency\" is missing",
        "required column \"requested_amount\" is missing"}},
      {"twice", std::string(kProposalHeader).insert(0, "title_en,"), {"appears twice"}},
      {"malformed header", "a\"b,c\r\n", {"the header row is malformed"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto out = RunImport(ProposalBook(), Import(c.file));
    ASSERT_TRUE(out.ok()) << out.status();
    EXPECT_FALSE(out->report.committed());
    EXPECT_EQ(out->report.rows(), 0);
    ASSERT_EQ(out->report.results_size(), static_cast<int>(c.reasons.size()));
    for (size_t i = 0; i < c.reasons.size(); ++i) {
      EXPECT_EQ(out->report.results(i).line(), 1);
      EXPECT_THAT(out->report.results(i).reason(), HasSubstr(c.reasons[i]));
    }
  }
}

TEST(ImportTest, ColumnsInAnyOrderWithByteOrderMark) {
  const std::string file =
      "\xEF\xBB\xBF Requested_Amount ,requested_currency,institution_country,institution_name,"
      "pi_name,title_en,partner_reference_id,joint_proposal_id\n"
      "100000.5,EUR,FR,CNRS,Marie,Heat,ANR-1,JP-001\n";
  auto out = RunImport(ProposalBook(), Import(file));
  ASSERT_TRUE(out.ok());
  ASSERT_TRUE(out->report.committed()) << out->report.DebugString();
  ASSERT_EQ(out->writes.size(), 1u);
  const v1::PartnerProposal& p = out->writes[0].proposal.partner().proposal();
  EXPECT_EQ(p.requested_amount().units(), 10000050);
  EXPECT_EQ(p.partner_reference_id(), "ANR-1");
  EXPECT_EQ(out->report.results(0).line(), 2);
}

TEST(ImportTest, JsonLinesReportsEachBadLine) {
  const std::string jsonl =
      R"({"jointProposalId":"JP-001","partnerReferenceId":"ANR-1","titleEn":"Heat","principalInvestigator":{"name":"Marie"},"institution":{"name":"CNRS","countryCode":"FR"},"requestedAmount":{"currencyCode":"EUR","units":"20000000"}})"
      "\n"
      "\n"  // blank line 2: skipped, still counted
      R"({"jointProposalId":"JP-002", "colour":"blue"})"
      "\r\n"
      "{not json\n"
      "{\"titleEn\":\"\xC3\x28\"}\n"
      R"({"jointProposalId":"JP-006","partnerReferenceId":"ANR-6","titleEn":"X","principalInvestigator":{"name":"A"},"institution":{"name":"B","countryCode":"FR"},"requestedAmount":{"currencyCode":"USD","units":"20000000"}})"
      "\n";
  auto out = RunImport(ProposalBook(), Import(jsonl, v1::BATCH_FORMAT_JSON_LINES));
  ASSERT_TRUE(out.ok());
  const v1::ImportReport& r = out->report;
  EXPECT_EQ(r.rows(), 5);
  EXPECT_EQ(r.applied(), 1);
  EXPECT_EQ(r.rejected(), 4);
  EXPECT_FALSE(r.committed());
  const auto bad = Rejections(r);
  ASSERT_EQ(bad.size(), 4u);
  EXPECT_EQ(bad[0].line, 3);
  EXPECT_THAT(bad[0].reason, HasSubstr("is not a PartnerProposal"));
  EXPECT_EQ(bad[1].line, 4);
  EXPECT_EQ(bad[2].line, 5);
  EXPECT_THAT(bad[2].reason, HasSubstr("not valid UTF-8"));
  EXPECT_EQ(bad[3].line, 6);
  EXPECT_EQ(bad[3].field, "requested_amount.currency_code");
}

TEST(ImportTest, DecisionFilesWithAContradiction) {
  // Two proposals filed; JP-001 already rejected by the partner.
  ProposalBook book;
  for (const std::string id : {"JP-001", "JP-002"}) {
    v1::SubmitPartnerProposalRequest r;
    r.set_joint_call_id(ParallelCall().joint_call_id());
    *r.mutable_partner_proposal() = PartnerProposalFor(id, "ANR-" + id);
    auto t = SubmitPartnerProposal(ParallelCall(), Anr(), nullptr, "", r, Ctx(Partner()));
    ASSERT_TRUE(t.ok());
    book.Put(t->proposal);
  }
  {
    v1::RecordPartnerDecisionRequest r;
    r.set_joint_call_id(ParallelCall().joint_call_id());
    r.set_joint_proposal_id("JP-001");
    *r.mutable_partner_decision() = PartnerDecisionOf(false);
    auto t = RecordPartnerDecision(ParallelCall(), Anr(), book.Find("JP-001"), r, Ctx(Partner()));
    ASSERT_TRUE(t.ok());
    book.Put(t->proposal);
  }
  const std::string file =
      "joint_proposal_id,decision,partner_decision_reference,decided_at,approved_currency,"
      "approved_amount,comment\r\n"
      "JP-001,adopted,D-1,2017-06-01T09:00:00Z,,,\r\n"  // 2 contradiction
      "JP-002,Adopted,D-2,2017-06-01T09:00:00+09:00,EUR,240000.00,\"Très bien\"\r\n"  // 3 good
      "JP-003,adopted,D-3,,,,\r\n"                                                    // 4 unknown
      "JP-002,maybe,D-4,yesterday,,,\r\n";  // 5 two problems
  auto out = RunImport(book, Import(file, v1::BATCH_FORMAT_CSV, v1::IMPORT_KIND_PARTNER_DECISIONS));
  ASSERT_TRUE(out.ok()) << out.status();
  const auto bad = Rejections(out->report);
  ASSERT_EQ(bad.size(), 4u);
  EXPECT_EQ(bad[0].line, 2);
  EXPECT_THAT(bad[0].reason, HasSubstr("already rejected joint proposal JP-001"));
  EXPECT_EQ(bad[1].line, 4);
  EXPECT_THAT(bad[1].reason, HasSubstr("has no joint proposal JP-003"));
  EXPECT_EQ(bad[2].line, 5);
  EXPECT_EQ(bad[2].field, "decision");
  EXPECT_EQ(bad[3].field, "decided_at");
  EXPECT_FALSE(out->report.committed());
  EXPECT_TRUE(out->writes.empty()) << "not even the flag";

  v1::ImportPartnerDataRequest good =
      Import(file, v1::BATCH_FORMAT_CSV, v1::IMPORT_KIND_PARTNER_DECISIONS);
  good.set_apply_good_rows(true);
  auto applied = RunImport(book, good);
  ASSERT_TRUE(applied.ok());
  ASSERT_EQ(applied->writes.size(), 2u);
  // The contradiction's flag is written with the good rows.
  EXPECT_EQ(applied->writes[0].proposal.joint_proposal_id(), "JP-001");
  EXPECT_EQ(applied->writes[0].proposal.conflicts_size(), 1);
  EXPECT_EQ(applied->writes[0].proposal.conflicts(0).channel(), v1::CHANNEL_BATCH);
  EXPECT_TRUE(std::holds_alternative<v1::DecisionConflictFlagged>(applied->writes[0].events[0]));
  const v1::PartnerDecision& d = applied->writes[1].proposal.partner().decision();
  EXPECT_EQ(d.decision(), v1::SIDE_DECISION_ADOPTED);
  EXPECT_EQ(d.approved_amount().units(), 24000000);
  EXPECT_EQ(d.comment(), "Très bien");
  EXPECT_EQ(d.decided_at().seconds(), absl::ToUnixSeconds(Day(-6) + absl::Hours(9)));
}

TEST(ImportTest, RequestItselfIsChecked) {
  v1::ImportPartnerDataRequest none = Import("x");
  none.clear_format();
  none.clear_kind();
  auto bad = RunImport(ProposalBook(), none);
  ASSERT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(core::ViolationsOf(bad.status()).size(), 2u);
  EXPECT_EQ(RunImport(ProposalBook(), Import(kProposalHeader), Partner("NSF")).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(
      RunImport(ProposalBook(), Import(std::string(kMaxImportBytes + 1, 'x'))).status().code(),
      absl::StatusCode::kInvalidArgument);
}

// ---- Export ----------------------------------------------------------------

std::vector<v1::JointProposal> Exportable() {
  Driver d(ParallelCall(), Anr());
  EXPECT_TRUE(d.Submit(Submitted()).ok());
  EXPECT_TRUE(d.PartnerProposal(PartnerProposalFor()).ok());
  EXPECT_TRUE(d.Jst(JstDecision(true)).ok());
  Driver other(ParallelCall(), Anr());
  EXPECT_TRUE(other.PartnerProposal(PartnerProposalFor("JP-000", "ANR-0")).ok());
  return {*d.proposal(), *other.proposal()};
}

v1::ExportJointCallRequest ExportRequest(v1::BatchFormat format) {
  v1::ExportJointCallRequest r;
  r.set_joint_call_id(ParallelCall().joint_call_id());
  r.set_format(format);
  return r;
}

TEST(ExportTest, CsvRoundTripsJapaneseAndSharesOnlyAgreedData) {
  auto out = ExportJointCall(ParallelCall(), Anr(), Exportable(),
                             ExportRequest(v1::BATCH_FORMAT_CSV), Partner());
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->media_type(), "text/csv; charset=utf-8");
  EXPECT_EQ(out->rows(), 2);
  EXPECT_EQ(out->content_sha256(), Sha256Hex(out->content()));
  const CsvContent csv = ParseCsv(out->content());
  ASSERT_TRUE(csv.problems.empty());
  ASSERT_EQ(csv.records.size(), 3u);
  EXPECT_EQ(csv.records[0].fields, ExportCsvHeader());
  const auto column = [&](const std::string& name) {
    const auto& h = csv.records[0].fields;
    return static_cast<size_t>(std::find(h.begin(), h.end(), name) - h.begin());
  };
  const auto& jp000 = csv.records[1].fields;
  const auto& jp001 = csv.records[2].fields;
  EXPECT_EQ(jp000[column("joint_proposal_id")], "JP-000");
  EXPECT_EQ(jp000[column("state")], "awaiting_jst_proposal");
  EXPECT_EQ(jp000[column("jst_total_direct_yen")], "");
  EXPECT_EQ(jp001[column("jst_title_ja")], "熱輸送のスペクトル学的理解と機能的制御");
  EXPECT_EQ(jp001[column("jst_pi_name_ja")], "山田 太郎");
  EXPECT_EQ(jp001[column("jst_pi_institution")], "京都大学");
  EXPECT_EQ(jp001[column("jst_total_direct_yen")], "15000000");
  EXPECT_EQ(jp001[column("jst_decision")], "adopted");
  EXPECT_EQ(jp001[column("requested_currency")], "EUR");
  EXPECT_EQ(jp001[column("requested_amount")], "250000.00");
  EXPECT_EQ(jp001[column("joint_outcome")], "");
  EXPECT_EQ(jp001[column("state")], "awaiting_decisions");

  // NSF-like scopes (titles only) leave the team and budget columns empty.
  v1::PartnerAgency titles_only = Anr();
  titles_only.clear_shared_data();
  titles_only.add_shared_data(v1::DATA_SCOPE_JST_TITLES);
  auto narrow = ExportJointCall(ParallelCall(), titles_only, Exportable(),
                                ExportRequest(v1::BATCH_FORMAT_CSV), Partner());
  ASSERT_TRUE(narrow.ok());
  const auto fields = ParseCsv(narrow->content()).records[2].fields;
  EXPECT_EQ(fields[column("jst_title_ja")], "熱輸送のスペクトル学的理解と機能的制御");
  EXPECT_EQ(fields[column("jst_pi_name_ja")], "");
  EXPECT_EQ(fields[column("jst_total_direct_yen")], "");
  EXPECT_EQ(fields[column("jst_decision")], "");
}

TEST(ExportTest, JsonLinesAreThePartnerViews) {
  const auto proposals = Exportable();
  auto out = ExportJointCall(ParallelCall(), Anr(), proposals,
                             ExportRequest(v1::BATCH_FORMAT_JSON_LINES), Staff());
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->media_type(), "application/x-ndjson");
  std::vector<std::string> lines;
  for (size_t start = 0; start < out->content().size();) {
    const size_t end = out->content().find('\n', start);
    lines.push_back(out->content().substr(start, end - start));
    start = end + 1;
  }
  ASSERT_EQ(lines.size(), 2u);
  v1::PartnerJointProposal parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(lines[1], &parsed).ok());
  EXPECT_TRUE(MessageDifferencer::Equals(
      parsed, PartnerViewOf(proposals[0], EffectiveScopes(Anr(), ParallelCall()))));
  EXPECT_EQ(parsed.jst().title_ja(), "熱輸送のスペクトル学的理解と機能的制御");
  EXPECT_THAT(out->content(), ::testing::Not(HasSubstr("reviewer")));
}

TEST(ExportTest, OnlyTheCallsPartnerMayExport) {
  EXPECT_EQ(ExportJointCall(ParallelCall(), Anr(), {}, ExportRequest(v1::BATCH_FORMAT_CSV),
                            Partner("NSF"))
                .status()
                .code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(ExportJointCall(ParallelCall(), Anr(), {}, ExportRequest(v1::BATCH_FORMAT_UNSPECIFIED),
                            Partner())
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tane::international
