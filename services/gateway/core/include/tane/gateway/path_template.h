#pragma once
/// google.api.http path templates (google/api/http.proto):
///
///   Template = "/" Segments [ Verb ] ;
///   Segments = Segment { "/" Segment } ;
///   Segment  = LITERAL | Variable ;
///   Variable = "{" FieldPath [ "=" Pattern ] "}" ;
///   Pattern  = ( LITERAL | "*" | "**" ) { "/" ( LITERAL | "*" | "**" ) } ;
///   FieldPath = IDENT { "." IDENT } ;
///   Verb     = ":" LITERAL ;
///
/// "*" matches one segment, "**" zero or more and only as the last segment.
/// `{call_id}` is `{call_id=*}`. Wildcards outside a variable are refused:
/// they would match text no field receives.
///
/// Request paths are matched still percent-encoded, split on '/'. The verb is
/// what follows the last ':' of the last segment, so a ':' inside a value's
/// last segment must be sent as %3A.

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace tane::gateway {

struct TemplateSegment {
  enum class Kind { kLiteral, kWildcard, kMultiWildcard };
  Kind kind = Kind::kLiteral;
  std::string literal;
};

/// A variable covering the template segments [begin, end).
struct TemplateVariable {
  std::string field_path;  // dotted proto field names, e.g. "call.call_id"
  size_t begin = 0;
  size_t end = 0;
  /// Covers more than one segment or a "**": its value may contain '/'.
  bool multi_segment = false;
};

/// A request path split for matching: segments still percent-encoded.
struct RequestPath {
  std::vector<std::string_view> segments;
  std::string_view verb;
};

/// Splits a request path ("/v1/calls/abc:publish"). INVALID_ARGUMENT when it
/// does not start with '/' or has an empty segment ("//", trailing '/').
absl::StatusOr<RequestPath> SplitRequestPath(std::string_view path);

class PathTemplate final {
 public:
  /// INVALID_ARGUMENT with the position and the rule broken.
  static absl::StatusOr<PathTemplate> Parse(std::string_view text);

  const std::string& text() const { return text_; }
  const std::vector<TemplateSegment>& segments() const { return segments_; }
  const std::vector<TemplateVariable>& variables() const { return variables_; }
  const std::string& verb() const { return verb_; }

  /// Whether `path` matches. On a match `raw_values` (when given) receives
  /// each variable's text, in variables() order, still percent-encoded; a
  /// multi-segment value is its segments joined with '/'.
  bool Match(const RequestPath& path, std::vector<std::string>* raw_values) const;

  /// Two templates with the same key match exactly the same paths.
  std::string ShapeKey() const;

  /// Orders templates so that, of two that match one path, the more specific
  /// comes first: segment by segment, a literal before "*" before "**".
  static bool MoreSpecific(const PathTemplate& a, const PathTemplate& b);

  /// The template as an OpenAPI path: "/v1/calls/{call_id}:publish",
  /// "/v1/{name}" for {name=shelves/*}.
  std::string OpenApiPath() const;

 private:
  std::string text_;
  std::vector<TemplateSegment> segments_;
  std::vector<TemplateVariable> variables_;
  std::string verb_;
};

}  // namespace tane::gateway
