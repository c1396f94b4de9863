#include "tane/gateway/transcoder.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "tane/core/errors.h"
#include "tane/gateway/json_check.h"
#include "tane/gateway/text.h"
#include "tane/telemetry/log.h"

namespace tane::gateway {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::EnumDescriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

std::string Quote(std::string_view s) { return telemetry::JsonQuote(s); }


std::string EnumChoices(const EnumDescriptor& type) {
  std::vector<std::string> names;
  for (int i = 0; i < type.value_count(); ++i) names.push_back(type.value(i)->name());
  return "one of " + absl::StrJoin(names, ", ");
}

// What a valid value of one element of `field` looks like, for messages.
std::string Expected(const FieldDescriptor& field) {
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      return "an integer from -2147483648 to 2147483647";
    case FieldDescriptor::CPPTYPE_UINT32:
      return "an integer from 0 to 4294967295";
    case FieldDescriptor::CPPTYPE_INT64:
      return "a 64-bit integer (a string of digits, or a number)";
    case FieldDescriptor::CPPTYPE_UINT64:
      return "an unsigned 64-bit integer (a string of digits, or a number)";
    case FieldDescriptor::CPPTYPE_DOUBLE:
    case FieldDescriptor::CPPTYPE_FLOAT:
      return "a number";
    case FieldDescriptor::CPPTYPE_BOOL:
      return "true or false";
    case FieldDescriptor::CPPTYPE_ENUM:
      return EnumChoices(*field.enum_type());
    case FieldDescriptor::CPPTYPE_STRING:
      return field.type() == FieldDescriptor::TYPE_BYTES ? "a base64 string" : "a string";
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      const std::string& name = field.message_type()->full_name();
      if (name == "google.protobuf.Timestamp") return "an RFC 3339 timestamp such as \"2017-06-07T00:00:00+09:00\"";
      if (name == "google.protobuf.Duration") return "a duration in seconds such as \"1.5s\"";
      if (name == "google.protobuf.FieldMask") return "comma-separated field names such as \"titleJa,closesAt\"";
      return "a JSON object (" + name + ")";
    }
  }
  return "a valid value";
}

template <typename T>
bool ParseInteger(std::string_view text, T* out) {
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size();
}

bool ParseFloating(std::string_view text, double* out) {
  if (text == "NaN")
    *out = std::numeric_limits<double>::quiet_NaN();
  else if (text == "Infinity")
    *out = std::numeric_limits<double>::infinity();
  else if (text == "-Infinity")
    *out = -std::numeric_limits<double>::infinity();
  else if (text.empty())
    return false;
  else {
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
    return ec == std::errc() && end == text.data() + text.size() && std::isfinite(*out);
  }
  return true;
}

absl::Status Invalid(std::string_view text, const FieldDescriptor& field) {
  return absl::InvalidArgumentError(Quote(text) + " is not " + Expected(field));
}

// The leaf's current value as text, for comparing a path value with what the
// body said. Empty for a default (unset) value.
std::string LeafText(const Message& message, const FieldDescriptor& field) {
  const Reflection& r = *message.GetReflection();
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      return r.GetInt32(message, &field) == 0 ? "" : std::to_string(r.GetInt32(message, &field));
    case FieldDescriptor::CPPTYPE_UINT32:
      return r.GetUInt32(message, &field) == 0 ? "" : std::to_string(r.GetUInt32(message, &field));
    case FieldDescriptor::CPPTYPE_INT64:
      return r.GetInt64(message, &field) == 0 ? "" : std::to_string(r.GetInt64(message, &field));
    case FieldDescriptor::CPPTYPE_UINT64:
      return r.GetUInt64(message, &field) == 0 ? "" : std::to_string(r.GetUInt64(message, &field));
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return r.GetDouble(message, &field) == 0 ? "" : std::to_string(r.GetDouble(message, &field));
    case FieldDescriptor::CPPTYPE_FLOAT:
      return r.GetFloat(message, &field) == 0 ? "" : std::to_string(r.GetFloat(message, &field));
    case FieldDescriptor::CPPTYPE_BOOL:
      return r.GetBool(message, &field) ? "true" : "";
    case FieldDescriptor::CPPTYPE_ENUM:
      return r.GetEnumValue(message, &field) == 0 ? "" : r.GetEnum(message, &field)->name();
    case FieldDescriptor::CPPTYPE_STRING:
      return r.GetString(message, &field);
    case FieldDescriptor::CPPTYPE_MESSAGE:
      break;
  }
  return "";
}

absl::Status SetScalar(Message* message, const FieldDescriptor& field, std::string_view text) {
  const Reflection& r = *message->GetReflection();
  const bool repeated = field.is_repeated();
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32: {
      int32_t v;
      if (!ParseInteger(text, &v)) return Invalid(text, field);
      repeated ? r.AddInt32(message, &field, v) : r.SetInt32(message, &field, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_UINT32: {
      uint32_t v;
      if (!ParseInteger(text, &v)) return Invalid(text, field);
      repeated ? r.AddUInt32(message, &field, v) : r.SetUInt32(message, &field, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_INT64: {
      int64_t v;
      if (!ParseInteger(text, &v)) return Invalid(text, field);
      repeated ? r.AddInt64(message, &field, v) : r.SetInt64(message, &field, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_UINT64: {
      uint64_t v;
      if (!ParseInteger(text, &v)) return Invalid(text, field);
      repeated ? r.AddUInt64(message, &field, v) : r.SetUInt64(message, &field, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_DOUBLE:
    case FieldDescriptor::CPPTYPE_FLOAT: {
      double v;
      if (!ParseFloating(text, &v)) return Invalid(text, field);
      if (field.cpp_type() == FieldDescriptor::CPPTYPE_DOUBLE) {
        repeated ? r.AddDouble(message, &field, v) : r.SetDouble(message, &field, v);
      } else {
        if (std::isfinite(v) && std::abs(v) > std::numeric_limits<float>::max()) return Invalid(text, field);
        const float f = static_cast<float>(v);
        repeated ? r.AddFloat(message, &field, f) : r.SetFloat(message, &field, f);
      }
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_BOOL: {
      if (text != "true" && text != "false") return Invalid(text, field);
      repeated ? r.AddBool(message, &field, text == "true") : r.SetBool(message, &field, text == "true");
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_ENUM: {
      const EnumDescriptor& type = *field.enum_type();
      const google::protobuf::EnumValueDescriptor* value = type.FindValueByName(std::string(text));
      int number;
      if (value == nullptr && ParseInteger(text, &number)) value = type.FindValueByNumber(number);
      if (value == nullptr) return Invalid(text, field);
      repeated ? r.AddEnum(message, &field, value) : r.SetEnum(message, &field, value);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string value(text);
      if (field.type() == FieldDescriptor::TYPE_BYTES) {
        const absl::string_view encoded(text.data(), text.size());
        if (!absl::Base64Unescape(encoded, &value) && !absl::WebSafeBase64Unescape(encoded, &value)) {
          return Invalid(text, field);
        }
      }
      repeated ? r.AddString(message, &field, std::move(value)) : r.SetString(message, &field, std::move(value));
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      break;
  }
  return absl::InvalidArgumentError("cannot be set from text");
}

absl::Status SetWellKnown(Message* message, const FieldDescriptor& field, std::string_view text) {
  const Reflection& r = *message->GetReflection();
  Message* target = field.is_repeated() ? r.AddMessage(message, &field) : r.MutableMessage(message, &field);
  // A BoolValue's JSON form is the bare literal; every other type here
  // accepts a JSON string.
  const bool bare =
      field.message_type()->full_name() == "google.protobuf.BoolValue" && (text == "true" || text == "false");
  const std::string json = bare ? std::string(text) : Quote(text);
  if (!google::protobuf::util::JsonStringToMessage(json, target).ok()) {
    if (field.is_repeated()) r.RemoveLast(message, &field);
    return Invalid(text, field);
  }
  return absl::OkStatus();
}

// By proto name ("page_size") or JSON name ("pageSize").
const FieldDescriptor* FindField(const Descriptor& message, const std::string& name) {
  if (const FieldDescriptor* field = message.FindFieldByName(name)) return field;
  for (int i = 0; i < message.field_count(); ++i) {
    if (message.field(i)->json_name() == name) return message.field(i);
  }
  return nullptr;
}

// A query parameter name ("page_size", "pageSize", "filter.state") to its
// field chain: proto or JSON names, through singular messages only.
absl::StatusOr<FieldChain> ResolveQueryName(const Descriptor& message, std::string_view name) {
  FieldChain chain;
  const Descriptor* current = &message;
  for (absl::string_view part : absl::StrSplit(absl::string_view(name.data(), name.size()), '.')) {
    if (current == nullptr || (!chain.empty() && (chain.back()->is_repeated() || IsScalarWellKnown(*current)))) {
      return absl::InvalidArgumentError("unknown query parameter");
    }
    const std::string text(part);
    const FieldDescriptor* field = FindField(*current, text);
    if (field == nullptr) return absl::InvalidArgumentError("unknown query parameter");
    chain.push_back(field);
    current = field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE ? field->message_type() : nullptr;
  }
  const FieldDescriptor& leaf = *chain.back();
  if (leaf.is_map()) return absl::InvalidArgumentError("map fields cannot be set from the query string");
  if (leaf.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && !IsScalarWellKnown(*leaf.message_type())) {
    return absl::InvalidArgumentError("is a message; set its fields instead (" + std::string(name) + ".<field>)");
  }
  return chain;
}

std::string ProtoPath(const FieldChain& chain) {
  std::vector<std::string> names;
  for (const FieldDescriptor* f : chain) names.push_back(f->name());
  return absl::StrJoin(names, ".");
}

// --- the body -------------------------------------------------------------

// Resolves a protobuf JSON error path ("budget_plan[2].amount_yen", proto or
// JSON names) to its field, rewriting it with JSON names ("budgetPlan[2].amountYen")
// so every reported path reads like the body the client sent. `element` says
// whether the last component was indexed.
const FieldDescriptor* FieldAtJsonPath(const Descriptor& root, std::string_view path, std::string* json_path,
                                       bool* element) {
  const Descriptor* current = &root;
  const FieldDescriptor* field = nullptr;
  json_path->clear();
  for (absl::string_view part : absl::StrSplit(absl::string_view(path.data(), path.size()), '.')) {
    if (current == nullptr) return nullptr;
    absl::string_view index;
    if (const size_t bracket = part.find('['); bracket != absl::string_view::npos) {
      index = part.substr(bracket);
      part = part.substr(0, bracket);
    }
    *element = !index.empty();
    field = FindField(*current, std::string(part));
    if (field == nullptr) return nullptr;
    if (!json_path->empty()) json_path->push_back('.');
    json_path->append(field->json_name()).append(index.data(), index.size());
    current = field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE ? field->message_type() : nullptr;
  }
  return field;
}

// protobuf's JSON parser reports "(path): invalid value X for type T" and
// "(path) name: Cannot find field."; this turns those into a field
// violation that says what was expected.
core::FieldViolation DescribeJsonError(const Descriptor& root, std::string message) {
  if (const size_t nl = message.find('\n'); nl != std::string::npos) message.resize(nl);
  constexpr std::string_view kNotFound = ": Cannot find field.";
  if (message.size() > kNotFound.size() &&
      message.compare(message.size() - kNotFound.size(), kNotFound.size(), kNotFound) == 0) {
    std::string field = message.substr(0, message.size() - kNotFound.size());
    if (field.size() > 1 && field.front() == '(') {
      const size_t close = field.find(") ");
      if (close != std::string::npos) {
        std::string parent = field.substr(1, close - 1), json_parent;
        bool element = false;
        if (FieldAtJsonPath(root, parent, &json_parent, &element) != nullptr) parent = json_parent;
        field = parent + "." + field.substr(close + 2);
      }
    }
    return {field, "unknown field"};
  }
  if (message.rfind("(", 0) == 0) {
    const size_t close = message.find("): ");
    if (close != std::string::npos) {
      std::string path = message.substr(1, close - 1), json_path;
      std::string what = message.substr(close + 3);
      bool element = false;
      if (const FieldDescriptor* field = FieldAtJsonPath(root, path, &json_path, &element)) {
        path = json_path;
        // "invalid value 3 for type TYPE_STRING" -> "invalid value 3, expected a string"
        if (const size_t for_type = what.rfind(" for type "); for_type != std::string::npos) what.resize(for_type);
        // Well-known types: "invalid value Field 'createTime', Invalid time format: x"
        if (what.rfind("invalid value Field '", 0) == 0) {
          if (const size_t comma = what.find("', "); comma != std::string::npos) what = what.substr(comma + 3);
          if (!what.empty()) what[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(what[0])));
        }
        std::string expected = Expected(*field);
        if (field->is_repeated() && !element) expected = "an array of " + expected + " values";
        return {path, what + ", expected " + expected};
      }
      return {path, what};
    }
  }
  if (message.rfind(": ", 0) == 0) message = message.substr(2);
  if (message == "Root element must be a message.") return {"", "the body must be a JSON object"};
  if (message.rfind("invalid value ", 0) == 0) message = message.substr(14);
  return {"", message};
}

absl::Status ParseJsonBody(std::string_view body, Message* target) {
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  auto status = google::protobuf::util::JsonStringToMessage(std::string(body), target, options);
  if (status.ok()) return absl::OkStatus();
  core::FieldViolation violation = DescribeJsonError(*target->GetDescriptor(), std::string(status.message()));
  if (violation.field.empty()) return absl::InvalidArgumentError("invalid request body: " + violation.description);
  core::Violations violations;
  violations.Add(std::move(violation.field), std::move(violation.description));
  return violations.ToStatus("invalid request body");
}

absl::Status ApplyBody(const Route& route, std::string_view body, Message* request) {
  if (route.body == Route::Body::kNone) {
    if (!body.empty()) {
      return absl::InvalidArgumentError(route.http_method + " " + route.path.text() +
                                        " takes no request body; send its fields in the query string");
    }
    return absl::OkStatus();
  }
  const bool whitespace_only = body.find_first_not_of(" \t\r\n") == std::string_view::npos;
  if (whitespace_only) return absl::OkStatus();  // an empty body is an empty message
  if (auto status = CheckJson(body); !status.ok()) {
    return absl::InvalidArgumentError("request body is not valid JSON: " + std::string(status.message()));
  }
  if (route.body == Route::Body::kWhole) return ParseJsonBody(body, request);
  const FieldDescriptor& field = *route.body_field;
  if (field.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && !field.is_repeated()) {
    return ParseJsonBody(body, request->GetReflection()->MutableMessage(request, &field));
  }
  // A scalar or repeated body field: its JSON value, inside the request.
  return ParseJsonBody("{" + Quote(field.json_name()) + ":" + std::string(body) + "}", request);
}

}  // namespace

bool IsScalarWellKnown(const Descriptor& type) {
  static const std::set<std::string, std::less<>> kTypes = {
      "google.protobuf.Timestamp",   "google.protobuf.Duration",    "google.protobuf.FieldMask",
      "google.protobuf.DoubleValue", "google.protobuf.FloatValue",  "google.protobuf.Int64Value",
      "google.protobuf.UInt64Value", "google.protobuf.Int32Value",  "google.protobuf.UInt32Value",
      "google.protobuf.BoolValue",   "google.protobuf.StringValue", "google.protobuf.BytesValue"};
  return kTypes.count(type.full_name()) > 0;
}

absl::Status SetFieldFromText(Message* root, const FieldChain& chain, std::string_view text) {
  Message* message = root;
  for (size_t i = 0; i + 1 < chain.size(); ++i) {
    message = message->GetReflection()->MutableMessage(message, chain[i]);
  }
  const FieldDescriptor& leaf = *chain.back();
  if (leaf.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
    if (!IsScalarWellKnown(*leaf.message_type())) return absl::InvalidArgumentError("cannot be set from text");
    return SetWellKnown(message, leaf, text);
  }
  return SetScalar(message, leaf, text);
}

absl::Status BuildRequest(const Route& route, const std::vector<std::string>& raw_path_values, std::string_view query,
                          std::string_view body, Message* request) {
  request->Clear();
  if (auto status = ApplyBody(route, body, request); !status.ok()) return status;

  core::Violations violations;
  std::set<std::string> bound;  // proto paths set by the path
  const auto& variables = route.path.variables();
  for (size_t i = 0; i < variables.size() && i < raw_path_values.size(); ++i) {
    const FieldChain& chain = route.path_fields[i];
    const std::string& name = variables[i].field_path;
    bound.insert(name);
    auto value = PercentDecode(raw_path_values[i],
                               variables[i].multi_segment ? PercentDecoding::kMultiSegment : PercentDecoding::kSegment);
    if (!value.ok()) {
      violations.Add(name, std::string(value.status().message()));
      continue;
    }
    Message* parent = request;
    for (size_t k = 0; k + 1 < chain.size(); ++k) parent = parent->GetReflection()->MutableMessage(parent, chain[k]);
    const std::string from_body = LeafText(*parent, *chain.back());
    if (auto status = SetFieldFromText(request, chain, *value); !status.ok()) {
      violations.Add(name, std::string(status.message()));
      continue;
    }
    const std::string from_path = LeafText(*parent, *chain.back());
    if (!from_body.empty() && from_body != from_path) {
      violations.Add(name, "is " + Quote(from_path) + " in the path but " + Quote(from_body) + " in the body");
    }
  }
  if (!violations.empty()) return violations.ToStatus("invalid path parameter");

  if (query.empty()) return absl::OkStatus();
  std::set<std::string> seen;
  for (absl::string_view pair : absl::StrSplit(absl::string_view(query.data(), query.size()), '&', absl::SkipEmpty())) {
    const size_t eq = pair.find('=');
    const std::string_view raw_name(pair.data(), eq == absl::string_view::npos ? pair.size() : eq);
    const std::string_view raw_value = eq == absl::string_view::npos
                                           ? std::string_view()
                                           : std::string_view(pair.data() + eq + 1, pair.size() - eq - 1);
    auto name = PercentDecode(raw_name, PercentDecoding::kQuery);
    if (!name.ok()) {
      violations.Add(std::string(raw_name), "parameter name: " + std::string(name.status().message()));
      continue;
    }
    if (route.body == Route::Body::kWhole) {
      violations.Add(*name, "unknown query parameter: this method takes all its fields from the request body");
      continue;
    }
    auto chain = ResolveQueryName(*request->GetDescriptor(), *name);
    if (!chain.ok()) {
      violations.Add(*name, std::string(chain.status().message()));
      continue;
    }
    const std::string path = ProtoPath(*chain);
    if (route.body == Route::Body::kField && chain->front() == route.body_field) {
      violations.Add(*name, "is part of the request body, not the query string");
      continue;
    }
    bool set_by_path = false;
    for (const std::string& b : bound) {
      set_by_path = set_by_path || path == b || path.rfind(b + ".", 0) == 0 || b.rfind(path + ".", 0) == 0;
    }
    if (set_by_path) {
      violations.Add(*name, "is set by the path");
      continue;
    }
    if (!chain->back()->is_repeated() && !seen.insert(path).second) {
      violations.Add(*name, "given more than once, but it is not a repeated field");
      continue;
    }
    auto value = PercentDecode(raw_value, PercentDecoding::kQuery);
    if (!value.ok()) {
      violations.Add(*name, std::string(value.status().message()));
      continue;
    }
    if (auto status = SetFieldFromText(request, *chain, *value); !status.ok()) {
      violations.Add(*name, std::string(status.message()));
    }
  }
  return violations.ToStatus("invalid query parameter");
}

absl::StatusOr<std::string> RenderResponse(const Route& route, const Message& response) {
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  std::string json;
  auto fail = [](const auto& status) {
    return absl::InternalError("cannot render the response as JSON: " + std::string(status.message()));
  };
  const FieldDescriptor* field = route.response_field;
  if (field != nullptr && field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && !field->is_repeated()) {
    auto status = google::protobuf::util::MessageToJsonString(response.GetReflection()->GetMessage(response, field),
                                                              &json, options);
    if (!status.ok()) return fail(status);
    return json;
  }
  auto status = google::protobuf::util::MessageToJsonString(response, &json, options);
  if (!status.ok()) return fail(status);
  if (field == nullptr) return json;
  // A scalar or repeated response_body: its value within the whole JSON.
  google::protobuf::Struct whole;
  status = google::protobuf::util::JsonStringToMessage(json, &whole);
  if (!status.ok()) return fail(status);
  auto it = whole.fields().find(field->json_name());
  if (it == whole.fields().end()) return std::string("null");
  json.clear();
  status = google::protobuf::util::MessageToJsonString(it->second, &json, options);
  if (!status.ok()) return fail(status);
  return json;
}

}  // namespace tane::gateway
