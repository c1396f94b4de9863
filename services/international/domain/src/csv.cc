#include "tane/international/csv.h"

#include "absl/strings/str_cat.h"

namespace tane::international {

CsvContent ParseCsv(std::string_view text) {
  constexpr std::string_view kBom = "\xEF\xBB\xBF";
  if (text.starts_with(kBom)) text.remove_prefix(kBom.size());
  CsvContent out;
  size_t i = 0;
  int line = 1;
  const size_t n = text.size();

  // Skips to just after the next line end (for recovery after an error).
  auto skip_line = [&] {
    while (i < n && text[i] != '\n') ++i;
    if (i < n) {
      ++i;
      ++line;
    }
  };

  while (i < n) {
    CsvRecord record;
    record.line = line;
    std::string field;
    bool ok = true;
    bool record_done = false;
    while (!record_done) {
      field.clear();
      if (i < n && text[i] == '"') {
        const int opened_at = line;
        ++i;
        bool closed = false;
        while (i < n) {
          const char c = text[i];
          if (c == '"') {
            if (i + 1 < n && text[i + 1] == '"') {
              field.push_back('"');
              i += 2;
              continue;
            }
            ++i;
            closed = true;
            break;
          }
          if (c == '\n') ++line;
          field.push_back(c);
          ++i;
        }
        if (!closed) {
          out.problems.push_back({opened_at, absl::StrCat("a quoted field opened on line ",
                                                          opened_at, " is never closed")});
          return out;
        }
        // After a closing quote: a separator, a line end or the end of the file.
        if (i < n && text[i] != ',' && text[i] != '\n' && text[i] != '\r') {
          out.problems.push_back(
              {record.line,
               absl::StrCat("text after the closing quote of field ", record.fields.size() + 1)});
          ok = false;
        }
      } else {
        while (i < n && text[i] != ',' && text[i] != '\n' && text[i] != '\r') {
          if (text[i] == '"') {
            out.problems.push_back(
                {record.line,
                 absl::StrCat("a '\"' inside the unquoted field ", record.fields.size() + 1,
                              " (quote the field and double the quote)")});
            ok = false;
            break;
          }
          field.push_back(text[i]);
          ++i;
        }
      }
      if (!ok) {
        skip_line();
        break;
      }
      record.fields.push_back(field);
      if (i >= n) {
        record_done = true;
      } else if (text[i] == ',') {
        ++i;
      } else if (text[i] == '\n') {
        ++i;
        ++line;
        record_done = true;
      } else if (i + 1 < n && text[i + 1] == '\n') {  // CRLF
        i += 2;
        ++line;
        record_done = true;
      } else {  // a CR not followed by LF
        out.problems.push_back(
            {record.line, "a carriage return without a line feed (line ends must be CRLF or LF)"});
        ok = false;
        skip_line();
        record_done = true;
      }
    }
    if (!ok) continue;
    const bool blank = record.fields.size() == 1 && record.fields[0].empty();
    if (!blank) out.records.push_back(std::move(record));
  }
  return out;
}

std::string CsvField(std::string_view value) {
  const bool quote = value.find_first_of(",\"\r\n") != std::string_view::npos ||
                     (!value.empty() && (value.front() == ' ' || value.back() == ' '));
  if (!quote) return std::string(value);
  std::string out = "\"";
  for (char c : value) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string CsvLine(const std::vector<std::string>& fields) {
  std::string out;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out.push_back(',');
    out += CsvField(fields[i]);
  }
  out += "\r\n";
  return out;
}

}  // namespace tane::international
