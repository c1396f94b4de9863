#pragma once
/// RFC 4180 CSV: records separated by CRLF (LF alone is accepted too),
/// fields by ','; a field in double quotes may contain ',', CR, LF and '"'
/// written as "". Bytes are passed through: UTF-8 validation is the
/// caller's, per field, so it can name the column.

#include <string>
#include <string_view>
#include <vector>

namespace tane::international {

struct CsvRecord {
  /// 1-based physical line the record starts on (a quoted field may span lines).
  int line = 0;
  std::vector<std::string> fields;
};

struct CsvProblem {
  int line = 0;
  std::string reason;
};

struct CsvContent {
  /// Well-formed records in file order; blank lines are skipped.
  std::vector<CsvRecord> records;
  /// Malformed records, each skipped up to the end of its line: a '"' inside
  /// an unquoted field, text after a closing quote, a bare CR; a quoted field
  /// left open at the end of the file ends the parse.
  std::vector<CsvProblem> problems;
};

/// Parses the whole text; a leading UTF-8 byte order mark is skipped.
CsvContent ParseCsv(std::string_view text);

/// The field as written in a record: quoted when it contains ',', '"', CR or
/// LF or starts or ends with a space; otherwise unchanged.
std::string CsvField(std::string_view value);

/// One record: the fields joined by ',', terminated by CRLF.
std::string CsvLine(const std::vector<std::string>& fields);

}  // namespace tane::international
