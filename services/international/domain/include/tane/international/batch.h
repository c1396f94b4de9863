#pragma once
/// Batch exchange with partner agencies: importing files of partner
/// proposals or partner decisions (JSON Lines or CSV, UTF-8) and exporting a
/// joint call's proposals as the partner sees them. The file formats and
/// columns are documented in services/international/README.md.
///
/// An import validates every row, in file order, against the stored state
/// and the rows before it, with the same commands as the exchange API
/// (proposal.h) on channel CHANNEL_BATCH. It reports each bad row with its
/// line and reason. A file with a bad row changes nothing unless
/// apply_good_rows; validate_only never changes anything. Every row is
/// idempotent (same partner proposal content, same decision), so importing
/// a file again changes nothing.
///
/// The whole file is validated before anything is written: the writes are
/// only produced for a report that commits. Each write names the file lines
/// it applies (ProposalWrite::lines); the wiring stores them with the write,
/// and passes the lines of the same file already applied back in, so a
/// retried or repeated import applies each row exactly once even when a file
/// revises one proposal in several rows. Pure and thread-safe.

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "tane/international/context.h"
#include "tane/international/proposal.h"
#include "tane/international/v1/international.pb.h"

namespace tane::international {

/// Largest file accepted (16 MiB) and most rows in one file.
inline constexpr size_t kMaxImportBytes = 16 << 20;
inline constexpr int kMaxImportRows = 100000;

/// The proposals of one joint call, by joint proposal id and by partner
/// reference: what an import reads and updates row by row.
class ProposalBook final {
 public:
  ProposalBook() = default;
  explicit ProposalBook(const std::vector<v1::JointProposal>& proposals);

  /// Null when there is none.
  const v1::JointProposal* Find(std::string_view joint_proposal_id) const;
  /// The joint proposal id holding a partner reference, or empty.
  std::string HolderOf(std::string_view partner_reference_id) const;
  void Put(const v1::JointProposal& proposal);
  /// Ordered by joint proposal id.
  std::vector<v1::JointProposal> All() const;

 private:
  std::map<std::string, v1::JointProposal, std::less<>> by_id_;
  std::map<std::string, std::string, std::less<>> by_reference_;
};

/// One joint proposal to write after an import: its state after all of its
/// rows (version = loaded version + 1: one commit), the version it was loaded
/// at (0: new) and its rows' events in order.
struct ProposalWrite {
  v1::JointProposal proposal;
  int64_t expected_version = 0;
  std::vector<Event> events;
  /// The file lines (RowResult::line) of the rows this write applies, in
  /// file order: to be stored in the same commit as the proposal.
  std::vector<int> lines;
};

struct ImportOutcome {
  v1::ImportReport report;
  /// Empty unless report.committed(); in order of first touch.
  std::vector<ProposalWrite> writes;
};

/// Imports `request.content` into `book` (the joint call's stored proposals).
/// `applied_lines`: the lines of this same file (same content, format and
/// kind) that an earlier run applied (stored from its ProposalWrite::lines);
/// `book` already holds their effect, so they are reported unchanged and not
/// computed again. Errors for the request itself, before any row: NOT_FOUND
/// when the caller is a partner of another agency; INVALID_ARGUMENT for a
/// missing format or kind, another joint call id, or content over
/// kMaxImportBytes. Everything about the content (header, rows) is in the
/// report.
absl::StatusOr<ImportOutcome> ImportPartnerData(const v1::JointCall& call,
                                                const v1::PartnerAgency& agency,
                                                const ProposalBook& book,
                                                const v1::ImportPartnerDataRequest& request,
                                                const Context& ctx,
                                                const std::set<int>& applied_lines = {});

/// Why a row in `applied_lines` is reported unchanged.
inline constexpr char kAppliedEarlier[] = "applied by an earlier import of this file";

/// The columns of each CSV kind, in the order export/import documentation
/// lists them. Import accepts them in any order (names matched after trimming
/// and ASCII lower-casing); the required ones must be present.
struct CsvColumn {
  std::string_view name;
  /// Field path the column fills, relative to the row message
  /// (PartnerProposal, or PartnerDecisionRow).
  std::string_view path;
  bool required;
};
std::vector<CsvColumn> CsvColumns(v1::ImportKind kind);
/// The export's CSV header.
std::vector<std::string> ExportCsvHeader();

/// The joint call's proposals as its partner sees them (PartnerViewOf with
/// EffectiveScopes), ordered by joint proposal id, as JSON Lines (one
/// PartnerJointProposal per line, protobuf JSON mapping) or CSV
/// (ExportCsvHeader, CRLF). NOT_FOUND for a partner of another agency;
/// INVALID_ARGUMENT for a missing format.
absl::StatusOr<v1::ExportJointCallResponse> ExportJointCall(
    const v1::JointCall& call, const v1::PartnerAgency& agency,
    const std::vector<v1::JointProposal>& proposals, const v1::ExportJointCallRequest& request,
    const common::v1::Actor& actor);

}  // namespace tane::international
