#include "tane/gateway/path_template.h"

#include <algorithm>
#include <set>

namespace tane::gateway {
namespace {

// Characters a literal may hold: RFC 3986 pchar without ':' (the verb
// separator) and without the template's own syntax.
bool IsLiteralChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("-._~!$&'()+,;=@%").find(c) != std::string_view::npos;
}

bool IsIdentStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsIdentChar(char c) { return IsIdentStart(c) || (c >= '0' && c <= '9'); }

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  absl::Status Error(std::string_view what) const {
    return absl::InvalidArgumentError("path template \"" + std::string(text_) + "\" at " + std::to_string(pos_) + ": " +
                                      std::string(what));
  }

  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek() const { return AtEnd() ? '\0' : text_[pos_]; }
  bool Consume(char c) {
    if (Peek() != c) return false;
    ++pos_;
    return true;
  }

  absl::StatusOr<std::string> Literal() {
    const size_t start = pos_;
    while (!AtEnd() && IsLiteralChar(Peek())) ++pos_;
    if (pos_ == start) return Error("expected a literal segment");
    return std::string(text_.substr(start, pos_ - start));
  }

  // One segment of a variable's pattern or of the path.
  absl::StatusOr<TemplateSegment> PatternSegment() {
    TemplateSegment segment;
    if (Consume('*')) {
      segment.kind = Consume('*') ? TemplateSegment::Kind::kMultiWildcard : TemplateSegment::Kind::kWildcard;
      return segment;
    }
    auto literal = Literal();
    if (!literal.ok()) return literal.status();
    segment.literal = *std::move(literal);
    return segment;
  }

  absl::StatusOr<std::string> FieldPath() {
    const size_t start = pos_;
    for (;;) {
      if (!IsIdentStart(Peek())) return Error("expected a field name");
      while (IsIdentChar(Peek())) ++pos_;
      if (!Consume('.')) break;
    }
    return std::string(text_.substr(start, pos_ - start));
  }

  size_t pos() const { return pos_; }

 private:
  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

absl::StatusOr<RequestPath> SplitRequestPath(std::string_view path) {
  if (path.empty() || path.front() != '/') return absl::InvalidArgumentError("the path must start with '/'");
  RequestPath out;
  size_t start = 1;
  for (;;) {
    const size_t slash = path.find('/', start);
    const std::string_view segment = path.substr(start, slash == std::string_view::npos ? slash : slash - start);
    out.segments.push_back(segment);
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  std::string_view& last = out.segments.back();
  const size_t colon = last.rfind(':');
  if (colon != std::string_view::npos) {
    out.verb = last.substr(colon + 1);
    last = last.substr(0, colon);
  }
  for (std::string_view segment : out.segments) {
    if (segment.empty()) return absl::InvalidArgumentError("the path has an empty segment");
  }
  return out;
}

absl::StatusOr<PathTemplate> PathTemplate::Parse(std::string_view text) {
  PathTemplate t;
  t.text_ = std::string(text);
  Parser p(text);
  if (!p.Consume('/')) return p.Error("a template starts with '/'");
  std::set<std::string> bound;
  for (;;) {
    if (p.Consume('{')) {
      auto field = p.FieldPath();
      if (!field.ok()) return field.status();
      if (!bound.insert(*field).second) return p.Error("field \"" + *field + "\" is bound twice");
      TemplateVariable variable;
      variable.field_path = *std::move(field);
      variable.begin = t.segments_.size();
      if (p.Consume('=')) {
        for (;;) {
          if (p.Peek() == '{') return p.Error("variables cannot nest");
          auto segment = p.PatternSegment();
          if (!segment.ok()) return segment.status();
          t.segments_.push_back(*std::move(segment));
          if (!p.Consume('/')) break;
        }
      } else {
        t.segments_.push_back({TemplateSegment::Kind::kWildcard, ""});
      }
      if (!p.Consume('}')) return p.Error("expected '}' to close the variable");
      variable.end = t.segments_.size();
      variable.multi_segment =
          variable.end - variable.begin > 1 || t.segments_.back().kind == TemplateSegment::Kind::kMultiWildcard;
      t.variables_.push_back(std::move(variable));
    } else {
      if (p.Peek() == '*') return p.Error("a wildcard must be inside a variable, e.g. {name=*}");
      auto literal = p.Literal();
      if (!literal.ok()) return literal.status();
      t.segments_.push_back({TemplateSegment::Kind::kLiteral, *std::move(literal)});
    }
    if (p.Consume('/')) continue;
    if (p.Consume(':')) {
      auto verb = p.Literal();
      if (!verb.ok()) return verb.status();
      t.verb_ = *std::move(verb);
    }
    if (!p.AtEnd()) return p.Error("unexpected character");
    break;
  }
  for (size_t i = 0; i + 1 < t.segments_.size(); ++i) {
    if (t.segments_[i].kind == TemplateSegment::Kind::kMultiWildcard) {
      return absl::InvalidArgumentError("path template \"" + t.text_ + "\": \"**\" must be the last segment");
    }
  }
  return t;
}

bool PathTemplate::Match(const RequestPath& path, std::vector<std::string>* raw_values) const {
  if (path.verb != verb_) return false;
  const bool multi = !segments_.empty() && segments_.back().kind == TemplateSegment::Kind::kMultiWildcard;
  const size_t fixed = multi ? segments_.size() - 1 : segments_.size();
  if (multi ? path.segments.size() < fixed : path.segments.size() != fixed) return false;
  for (size_t i = 0; i < fixed; ++i) {
    const TemplateSegment& s = segments_[i];
    if (s.kind == TemplateSegment::Kind::kLiteral && path.segments[i] != s.literal) return false;
  }
  if (raw_values == nullptr) return true;
  raw_values->clear();
  for (const TemplateVariable& v : variables_) {
    const size_t end = v.end == segments_.size() && multi ? path.segments.size() : v.end;
    std::string value;
    for (size_t i = v.begin; i < end; ++i) {
      if (i > v.begin) value.push_back('/');
      value.append(path.segments[i]);
    }
    raw_values->push_back(std::move(value));
  }
  return true;
}

std::string PathTemplate::ShapeKey() const {
  std::string key;
  for (const TemplateSegment& s : segments_) {
    key.push_back('/');
    switch (s.kind) {
      case TemplateSegment::Kind::kLiteral:
        key += s.literal;
        break;
      case TemplateSegment::Kind::kWildcard:
        key += "*";
        break;
      case TemplateSegment::Kind::kMultiWildcard:
        key += "**";
        break;
    }
  }
  if (!verb_.empty()) key += ":" + verb_;
  return key;
}

bool PathTemplate::MoreSpecific(const PathTemplate& a, const PathTemplate& b) {
  // The end of a template ranks before anything: "/v1/a" before "/v1/a/**".
  auto rank = [](const PathTemplate& t, size_t i) {
    return i < t.segments_.size() ? static_cast<int>(t.segments_[i].kind) : -1;
  };
  const size_t n = std::max(a.segments_.size(), b.segments_.size());
  for (size_t i = 0; i < n; ++i) {
    const int ra = rank(a, i), rb = rank(b, i);
    if (ra != rb) return ra < rb;
  }
  return a.text_ < b.text_;
}

std::string PathTemplate::OpenApiPath() const {
  std::string out;
  size_t var = 0;
  for (size_t i = 0; i < segments_.size();) {
    out.push_back('/');
    if (var < variables_.size() && variables_[var].begin == i) {
      out += "{" + variables_[var].field_path + "}";
      i = variables_[var].end;
      ++var;
    } else {
      out += segments_[i].literal;
      ++i;
    }
  }
  if (!verb_.empty()) out += ":" + verb_;
  return out;
}

}  // namespace tane::gateway
