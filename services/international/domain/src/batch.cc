#include "tane/international/batch.h"

#include <algorithm>
#include <limits>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/util/json_util.h"
#include "internal.h"
#include "tane/core/errors.h"
#include "tane/core/time.h"
#include "tane/international/credentials.h"
#include "tane/international/csv.h"
#include "tane/international/joint_call.h"
#include "tane/international/money.h"

namespace tane::international {

using namespace internal;  // NOLINT

ProposalBook::ProposalBook(const std::vector<v1::JointProposal>& proposals) {
  for (const auto& p : proposals) Put(p);
}

const v1::JointProposal* ProposalBook::Find(std::string_view joint_proposal_id) const {
  auto it = by_id_.find(joint_proposal_id);
  return it == by_id_.end() ? nullptr : &it->second;
}

std::string ProposalBook::HolderOf(std::string_view partner_reference_id) const {
  auto it = by_reference_.find(partner_reference_id);
  return it == by_reference_.end() ? "" : it->second;
}

void ProposalBook::Put(const v1::JointProposal& proposal) {
  if (proposal.has_partner()) {
    by_reference_[proposal.partner().proposal().partner_reference_id()] =
        proposal.joint_proposal_id();
  }
  by_id_[proposal.joint_proposal_id()] = proposal;
}

std::vector<v1::JointProposal> ProposalBook::All() const {
  std::vector<v1::JointProposal> out;
  for (const auto& [id, p] : by_id_) out.push_back(p);
  return out;
}

std::vector<CsvColumn> CsvColumns(v1::ImportKind kind) {
  if (kind == v1::IMPORT_KIND_PARTNER_DECISIONS) {
    return {
        {"joint_proposal_id", "joint_proposal_id", true},
        {"decision", "partner_decision.decision", true},
        {"partner_decision_reference", "partner_decision.partner_decision_reference", false},
        {"decided_at", "partner_decision.decided_at", false},
        {"approved_currency", "partner_decision.approved_amount.currency_code", false},
        {"approved_amount", "partner_decision.approved_amount", false},
        {"comment", "partner_decision.comment", false},
    };
  }
  return {
      {"joint_proposal_id", "joint_proposal_id", true},
      {"partner_reference_id", "partner_reference_id", true},
      {"title_en", "title_en", true},
      {"title_local", "title_local", false},
      {"pi_name", "principal_investigator.name", true},
      {"pi_email", "principal_investigator.email", false},
      {"pi_orcid", "principal_investigator.orcid", false},
      {"institution_name", "institution.name", true},
      {"institution_country", "institution.country_code", true},
      {"requested_currency", "requested_amount.currency_code", true},
      {"requested_amount", "requested_amount", true},
      {"satreps_requesting_country", "satreps.requesting_country_code", false},
      {"satreps_requesting_ministry", "satreps.requesting_ministry", false},
      {"satreps_oda_request_reference", "satreps.oda_request_reference", false},
      {"satreps_jica_project_reference", "satreps.jica_project_reference", false},
  };
}

namespace {

constexpr std::string_view kProposalPrefix = "partner_proposal.";

// One data row of the file, parsed into the message of its kind.
struct Row {
  int line = 0;
  v1::PartnerProposal proposal;
  v1::PartnerDecisionRow decision;
  // Problems found while reading the row; the row is rejected with them.
  std::vector<core::FieldViolation> problems;
};

// Values of one CSV record by column name (only the file's columns).
class CsvValues {
 public:
  CsvValues(const std::vector<std::string>& names, const std::vector<std::string>& fields) {
    for (size_t i = 0; i < names.size(); ++i) values_[names[i]] = fields[i];
  }
  /// The value with outer ASCII blanks trimmed; empty for a column the file lacks.
  std::string Get(std::string_view column) const {
    auto it = values_.find(column);
    return it == values_.end() ? "" : std::string(absl::StripAsciiWhitespace(it->second));
  }

 private:
  std::map<std::string, std::string, std::less<>> values_;
};

void ReadAmount(const CsvValues& csv, std::string_view currency_column,
                std::string_view amount_column, common::v1::Money* target, bool& set,
                std::vector<core::FieldViolation>& problems) {
  const std::string currency = csv.Get(currency_column);
  const std::string amount = csv.Get(amount_column);
  set = false;
  if (currency.empty() && amount.empty()) return;
  if (currency.empty()) {
    problems.push_back({std::string(currency_column), "is required with an amount"});
    return;
  }
  if (amount.empty()) {
    problems.push_back({std::string(amount_column), "is required with a currency"});
    return;
  }
  auto money = ParseDecimalAmount(currency, amount);
  if (!money.ok()) {
    const bool currency_problem = FindCurrency(currency) == nullptr;
    problems.push_back({std::string(currency_problem ? currency_column : amount_column),
                        std::string(money.status().message())});
    return;
  }
  *target = *money;
  set = true;
}

void ProposalFromCsv(const CsvValues& csv, Row& row) {
  v1::PartnerProposal& p = row.proposal;
  p.set_joint_proposal_id(csv.Get("joint_proposal_id"));
  p.set_partner_reference_id(csv.Get("partner_reference_id"));
  p.set_title_en(csv.Get("title_en"));
  p.set_title_local(csv.Get("title_local"));
  p.mutable_principal_investigator()->set_name(csv.Get("pi_name"));
  p.mutable_principal_investigator()->set_email(csv.Get("pi_email"));
  p.mutable_principal_investigator()->set_orcid(csv.Get("pi_orcid"));
  p.mutable_institution()->set_name(csv.Get("institution_name"));
  p.mutable_institution()->set_country_code(csv.Get("institution_country"));
  common::v1::Money amount;
  bool has_amount = false;
  ReadAmount(csv, "requested_currency", "requested_amount", &amount, has_amount, row.problems);
  if (has_amount) *p.mutable_requested_amount() = amount;
  const std::string country = csv.Get("satreps_requesting_country");
  const std::string ministry = csv.Get("satreps_requesting_ministry");
  const std::string oda = csv.Get("satreps_oda_request_reference");
  const std::string jica = csv.Get("satreps_jica_project_reference");
  if (!country.empty() || !ministry.empty() || !oda.empty() || !jica.empty()) {
    v1::SatrepsRequest& s = *p.mutable_satreps();
    s.set_requesting_country_code(country);
    s.set_requesting_ministry(ministry);
    s.set_oda_request_reference(oda);
    s.set_jica_project_reference(jica);
  }
}

void DecisionFromCsv(const CsvValues& csv, Row& row) {
  row.decision.set_joint_proposal_id(csv.Get("joint_proposal_id"));
  v1::PartnerDecision& d = *row.decision.mutable_partner_decision();
  const std::string word = absl::AsciiStrToLower(csv.Get("decision"));
  if (word == "adopted") {
    d.set_decision(v1::SIDE_DECISION_ADOPTED);
  } else if (word == "rejected") {
    d.set_decision(v1::SIDE_DECISION_REJECTED);
  } else {
    row.problems.push_back({"decision", absl::StrCat("must be \"adopted\" or \"rejected\", not \"",
                                                     csv.Get("decision"), "\"")});
  }
  d.set_partner_decision_reference(csv.Get("partner_decision_reference"));
  if (const std::string at = csv.Get("decided_at"); !at.empty()) {
    auto t = core::ParseRfc3339(at);
    if (t.ok()) {
      *d.mutable_decided_at() = ToProto(*t);
    } else {
      row.problems.push_back({"decided_at", absl::StrCat("\"", at,
                                                         "\" is not an RFC 3339 time such as "
                                                         "2017-11-30T09:00:00Z")});
    }
  }
  common::v1::Money amount;
  bool has_amount = false;
  ReadAmount(csv, "approved_currency", "approved_amount", &amount, has_amount, row.problems);
  if (has_amount) *d.mutable_approved_amount() = amount;
  d.set_comment(csv.Get("comment"));
}

// The report entries of a rejected row.
void Reject(v1::ImportReport& report, int line, std::string_view joint_proposal_id,
            const std::vector<core::FieldViolation>& problems) {
  for (const auto& p : problems) {
    v1::RowResult& r = *report.add_results();
    r.set_line(line);
    r.set_outcome(v1::ROW_OUTCOME_REJECTED);
    r.set_joint_proposal_id(std::string(joint_proposal_id));
    r.set_field(p.field);
    r.set_reason(p.description);
  }
  report.set_rejected(report.rejected() + 1);
}

std::vector<core::FieldViolation> ProblemsOf(const absl::Status& status) {
  std::vector<core::FieldViolation> out = core::ViolationsOf(status);
  if (out.empty()) out.push_back({"", std::string(status.message())});
  return out;
}

// The field name a report gives a violation path: the CSV column, or the
// path relative to the JSON row.
std::string FieldName(v1::BatchFormat format, const std::vector<CsvColumn>& columns,
                      std::string_view path) {
  if (path.starts_with(kProposalPrefix)) path.remove_prefix(kProposalPrefix.size());
  if (format != v1::BATCH_FORMAT_CSV) return std::string(path);
  const CsvColumn* prefix_match = nullptr;
  for (const auto& c : columns) {
    if (c.path == path) return std::string(c.name);
    if (path.starts_with(c.path) && path.size() > c.path.size() && path[c.path.size()] == '.' &&
        (prefix_match == nullptr || c.path.size() > prefix_match->path.size())) {
      prefix_match = &c;
    }
  }
  if (prefix_match != nullptr) return std::string(prefix_match->name);
  for (const auto& c : columns) {
    if (c.path.starts_with(path) && c.path.size() > path.size() && c.path[path.size()] == '.') {
      return std::string(c.name);
    }
  }
  return std::string(path);
}

std::string Utf8Problem(std::string_view value) {
  const size_t bad = FirstInvalidUtf8(value);
  return bad == std::string_view::npos ? ""
                                       : absl::StrCat("is not valid UTF-8 (byte ", bad + 1, ")");
}

// Reads a CSV file into rows; header problems go to `file_problems`.
std::vector<Row> ReadCsv(std::string_view content, v1::ImportKind kind,
                         std::vector<core::FieldViolation>& file_problems, int& header_line) {
  std::vector<Row> rows;
  const std::vector<CsvColumn> columns = CsvColumns(kind);
  CsvContent csv = ParseCsv(content);
  header_line = 1;
  if (csv.records.empty() ||
      (!csv.problems.empty() && csv.problems.front().line <= csv.records.front().line)) {
    file_problems.push_back(
        {"", csv.records.empty() && csv.problems.empty()
                 ? "the file is empty: a header row naming the columns is required"
                 : absl::StrCat("the header row is malformed: ",
                                csv.problems.empty() ? "" : csv.problems.front().reason)});
    return rows;
  }
  const CsvRecord& header = csv.records.front();
  header_line = header.line;
  std::vector<std::string> names;
  std::set<std::string> seen;
  for (const std::string& raw : header.fields) {
    std::string name = absl::AsciiStrToLower(absl::StripAsciiWhitespace(raw));
    if (!Utf8Problem(name).empty()) {
      file_problems.push_back({"", "the header row is not valid UTF-8"});
      return rows;
    }
    const bool known = std::any_of(columns.begin(), columns.end(),
                                   [&](const CsvColumn& c) { return c.name == name; });
    if (!known) {
      std::vector<std::string> all;
      for (const auto& c : columns) all.emplace_back(c.name);
      file_problems.push_back({name, absl::StrCat("unknown column \"", name, "\"; the columns are ",
                                                  absl::StrJoin(all, ", "))});
    } else if (!seen.insert(name).second) {
      file_problems.push_back({name, absl::StrCat("column \"", name, "\" appears twice")});
    }
    names.push_back(std::move(name));
  }
  for (const auto& c : columns) {
    if (c.required && !seen.contains(std::string(c.name))) {
      file_problems.push_back(
          {std::string(c.name), absl::StrCat("required column \"", Sv(c.name), "\" is missing")});
    }
  }
  if (!file_problems.empty()) return rows;

  // Records and malformed records, in line order.
  size_t next_problem = 0;
  auto flush_problems_before = [&](int line) {
    while (next_problem < csv.problems.size() && csv.problems[next_problem].line < line) {
      Row bad;
      bad.line = csv.problems[next_problem].line;
      bad.problems.push_back({"", csv.problems[next_problem].reason});
      rows.push_back(std::move(bad));
      ++next_problem;
    }
  };
  for (size_t r = 1; r < csv.records.size(); ++r) {
    const CsvRecord& record = csv.records[r];
    flush_problems_before(record.line);
    Row row;
    row.line = record.line;
    if (record.fields.size() != names.size()) {
      row.problems.push_back({"", absl::StrCat("has ", record.fields.size(),
                                               " fields; the header has ", names.size())});
      rows.push_back(std::move(row));
      continue;
    }
    for (size_t i = 0; i < names.size(); ++i) {
      if (std::string p = Utf8Problem(record.fields[i]); !p.empty()) {
        row.problems.push_back({names[i], p});
      }
    }
    if (row.problems.empty()) {
      const CsvValues values(names, record.fields);
      if (kind == v1::IMPORT_KIND_PARTNER_DECISIONS) {
        DecisionFromCsv(values, row);
      } else {
        ProposalFromCsv(values, row);
      }
    }
    rows.push_back(std::move(row));
  }
  flush_problems_before(std::numeric_limits<int>::max());
  return rows;
}

std::vector<Row> ReadJsonLines(std::string_view content, v1::ImportKind kind) {
  std::vector<Row> rows;
  int line = 0;
  for (size_t start = 0; start < content.size();) {
    size_t end = content.find('\n', start);
    if (end == std::string_view::npos) end = content.size();
    std::string_view text = content.substr(start, end - start);
    start = end + 1;
    ++line;
    if (text.ends_with('\r')) text.remove_suffix(1);
    if (absl::StripAsciiWhitespace(Sv(text)).empty()) continue;
    Row row;
    row.line = line;
    if (std::string p = Utf8Problem(text); !p.empty()) {
      row.problems.push_back({"", absl::StrCat("the line ", p)});
      rows.push_back(std::move(row));
      continue;
    }
    google::protobuf::Message* target =
        kind == v1::IMPORT_KIND_PARTNER_DECISIONS
            ? static_cast<google::protobuf::Message*>(&row.decision)
            : static_cast<google::protobuf::Message*>(&row.proposal);
    const auto parsed = google::protobuf::util::JsonStringToMessage(text, target);
    if (!parsed.ok()) {
      row.problems.push_back(
          {"", absl::StrCat("is not a ", target->GetDescriptor()->name(),
                            " in the protobuf JSON mapping: ", std::string(parsed.message()))});
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace

absl::StatusOr<ImportOutcome> ImportPartnerData(const v1::JointCall& call,
                                                const v1::PartnerAgency& agency,
                                                const ProposalBook& book,
                                                const v1::ImportPartnerDataRequest& request,
                                                const Context& ctx,
                                                const std::set<int>& applied_lines) {
  if (auto s = AuthorizeJointCall(ctx.actor, call); !s.ok()) return s;
  core::Violations v;
  if (request.joint_call_id() != call.joint_call_id()) {
    v.Add("joint_call_id", absl::StrCat("is not joint call ", call.joint_call_id()));
  }
  if (request.format() != v1::BATCH_FORMAT_JSON_LINES && request.format() != v1::BATCH_FORMAT_CSV) {
    v.Add("format", "must be BATCH_FORMAT_JSON_LINES or BATCH_FORMAT_CSV");
  }
  if (request.kind() != v1::IMPORT_KIND_PARTNER_PROPOSALS &&
      request.kind() != v1::IMPORT_KIND_PARTNER_DECISIONS) {
    v.Add("kind", "must be IMPORT_KIND_PARTNER_PROPOSALS or IMPORT_KIND_PARTNER_DECISIONS");
  }
  if (request.content().size() > kMaxImportBytes) {
    v.Add("content", absl::StrCat("is larger than ", kMaxImportBytes >> 20, " MiB"));
  }
  if (!v.empty()) return v.ToStatus("invalid import request");

  ImportOutcome out;
  v1::ImportReport& report = out.report;
  report.set_joint_call_id(call.joint_call_id());
  report.set_file_sha256(Sha256Hex(request.content()));
  const std::vector<CsvColumn> columns = CsvColumns(request.kind());

  std::vector<core::FieldViolation> file_problems;
  int header_line = 1;
  std::vector<Row> rows =
      request.format() == v1::BATCH_FORMAT_CSV
          ? ReadCsv(request.content(), request.kind(), file_problems, header_line)
          : ReadJsonLines(request.content(), request.kind());
  if (rows.size() > static_cast<size_t>(kMaxImportRows)) {
    file_problems.push_back(
        {"", absl::StrCat("the file has ", rows.size(), " rows; at most ", kMaxImportRows)});
  }
  if (!file_problems.empty()) {
    for (const auto& p : file_problems) {
      v1::RowResult& r = *report.add_results();
      r.set_line(header_line);
      r.set_outcome(v1::ROW_OUTCOME_REJECTED);
      r.set_field(p.field);
      r.set_reason(p.description);
    }
    return out;
  }

  Context batch = ctx;
  batch.channel = v1::CHANNEL_BATCH;
  ProposalBook work = book;
  struct Touched {
    int64_t loaded_version = 0;
    std::vector<Event> events;
    std::vector<int> lines;
  };
  std::vector<std::string> touch_order;
  std::map<std::string, Touched> touched;

  for (Row& row : rows) {
    report.set_rows(report.rows() + 1);
    const bool decisions = request.kind() == v1::IMPORT_KIND_PARTNER_DECISIONS;
    const std::string id = NormalizeJointProposalId(decisions ? row.decision.joint_proposal_id()
                                                              : row.proposal.joint_proposal_id());
    if (!row.problems.empty()) {
      Reject(report, row.line, id, row.problems);
      continue;
    }
    if (applied_lines.contains(row.line)) {
      v1::RowResult& r = *report.add_results();
      r.set_line(row.line);
      r.set_joint_proposal_id(id);
      r.set_outcome(v1::ROW_OUTCOME_UNCHANGED);
      r.set_reason(kAppliedEarlier);
      report.set_unchanged(report.unchanged() + 1);
      continue;
    }
    absl::StatusOr<Transition> t;
    if (decisions) {
      v1::RecordPartnerDecisionRequest r;
      r.set_joint_call_id(call.joint_call_id());
      r.set_joint_proposal_id(row.decision.joint_proposal_id());
      *r.mutable_partner_decision() = row.decision.partner_decision();
      t = RecordPartnerDecision(call, agency, work.Find(id), r, batch);
    } else {
      v1::SubmitPartnerProposalRequest r;
      r.set_joint_call_id(call.joint_call_id());
      *r.mutable_partner_proposal() = row.proposal;
      t = SubmitPartnerProposal(call, agency, work.Find(id),
                                work.HolderOf(row.proposal.partner_reference_id()), r, batch);
    }
    if (!t.ok()) {
      std::vector<core::FieldViolation> problems = ProblemsOf(t.status());
      for (auto& p : problems) p.field = FieldName(request.format(), columns, p.field);
      Reject(report, row.line, id, problems);
      continue;
    }
    if (t->changed) {
      auto [it, first] = touched.try_emplace(id);
      if (first) {
        touch_order.push_back(id);
        const v1::JointProposal* loaded = book.Find(id);
        it->second.loaded_version = loaded == nullptr ? 0 : loaded->version();
      }
      for (auto& e : t->events) it->second.events.push_back(std::move(e));
      work.Put(t->proposal);
    }
    if (!t->refusal.ok()) {
      // Its flag is idempotent by itself: the row is not marked applied.
      Reject(report, row.line, id, ProblemsOf(t->refusal));
      continue;
    }
    if (t->changed) touched[id].lines.push_back(row.line);
    v1::RowResult& r = *report.add_results();
    r.set_line(row.line);
    r.set_joint_proposal_id(id);
    r.set_outcome(t->changed ? v1::ROW_OUTCOME_APPLIED : v1::ROW_OUTCOME_UNCHANGED);
    if (t->changed) {
      report.set_applied(report.applied() + 1);
    } else {
      report.set_unchanged(report.unchanged() + 1);
    }
  }

  report.set_committed(!request.validate_only() &&
                       (report.rejected() == 0 || request.apply_good_rows()));
  if (!report.committed()) return out;
  for (const std::string& id : touch_order) {
    Touched& t = touched[id];
    ProposalWrite w;
    w.proposal = *work.Find(id);
    w.proposal.set_version(t.loaded_version + 1);
    w.expected_version = t.loaded_version;
    w.events = std::move(t.events);
    w.lines = std::move(t.lines);
    out.writes.push_back(std::move(w));
  }
  return out;
}

}  // namespace tane::international
