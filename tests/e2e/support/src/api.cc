#include "tane/e2e/api.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/util/json_util.h"
#include "tane/gateway/http_client.h"

namespace tane::e2e {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

constexpr size_t kMaxBodyInMessages = 2000;

std::string Shorten(const std::string& body) {
  if (body.size() <= kMaxBodyInMessages) return body;
  return absl::StrCat(body.substr(0, kMaxBodyInMessages), "… (", body.size(), " bytes)");
}

std::string PathOf(const std::string& target) { return target.substr(0, target.find('?')); }

std::string StringField(const Struct& s, const std::string& key) {
  auto it = s.fields().find(key);
  return it == s.fields().end() ? "" : it->second.string_value();
}

// Splits "/v1/calls/x:publish" into segments and the custom method ("publish").
std::pair<std::vector<std::string>, std::string> Segments(const std::string& path, bool is_template) {
  std::vector<std::string> segments = absl::StrSplit(path.substr(1), '/');
  std::string verb;
  std::string& last = segments.back();
  // In a template the verb follows the last '}' (or is in a literal segment).
  const size_t from = is_template && last.rfind('}') != std::string::npos ? last.rfind('}') : 0;
  const size_t colon = last.find(':', from);
  if (colon != std::string::npos) {
    verb = last.substr(colon + 1);
    last = last.substr(0, colon);
  }
  return {std::move(segments), std::move(verb)};
}

bool Matches(const std::string& path_template, const std::string& path) {
  auto [want, want_verb] = Segments(path_template, true);
  auto [got, got_verb] = Segments(path, false);
  if (want.size() != got.size() || want_verb != got_verb) return false;
  for (size_t i = 0; i < want.size(); ++i) {
    const bool variable = absl::StartsWith(want[i], "{") && absl::EndsWith(want[i], "}");
    if (variable ? got[i].empty() : want[i] != got[i]) return false;
  }
  return true;
}

}  // namespace

Body::Body(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = false;
  (void)google::protobuf::util::MessageToJsonString(message, &json_, options);
}

std::vector<std::string> ApiError::fields() const {
  std::vector<std::string> out;
  for (const auto& [field, description] : violations) out.push_back(field);
  return out;
}

Api::Api(int gateway_port) : port_(gateway_port) {}
Api::~Api() = default;

absl::StatusOr<Reply> Api::Send(const Caller& who, const std::string& method, const std::string& target,
                                const Body& body) {
  if (client_ == nullptr) {
    auto client = gateway::HttpClient::Connect("127.0.0.1", port_);
    if (!client.ok()) return client.status();
    client_ = *std::move(client);
  }
  gateway::HttpClient::Headers headers;
  if (!who.api_key.empty()) {
    headers.emplace_back("X-Api-Key", who.api_key);
  } else if (!who.token.empty()) {
    headers.emplace_back("Authorization", "Bearer " + who.token);
  }
  sent_.emplace_back(method, PathOf(target));
  auto result = client_->Send(method, target, body.json(), headers);
  if (!result.ok()) {
    return absl::UnavailableError(
        absl::StrCat(method, " ", target, " as ", who.Describe(), ": ", result.status().message()));
  }
  return Reply{result->status, std::move(result->body), std::move(result->headers)};
}

absl::StatusOr<Reply> Api::Expect(int status, const Caller& who, const std::string& method, const std::string& target,
                                  const Body& body) {
  auto reply = Send(who, method, target, body);
  if (!reply.ok()) return reply.status();
  if (reply->status != status) {
    return absl::FailedPreconditionError(
        absl::StrCat(method, " ", target, " as ", who.Describe(), " answered ", reply->status, " (expected ", status,
                     ")\n  request: ", Shorten(body.json()), "\n  response: ", Shorten(reply->body)));
  }
  return reply;
}

absl::Status Api::CallInto(const Caller& who, const std::string& method, const std::string& target, const Body& body,
                           google::protobuf::Message* out) {
  auto reply = Expect(200, who, method, target, body);
  if (!reply.ok()) return reply.status();
  if (auto s = ParseJson(reply->body, out); !s.ok()) {
    return absl::Status(s.code(), absl::StrCat(method, " ", target, " as ", who.Describe(), ": ", s.message()));
  }
  return absl::OkStatus();
}

absl::StatusOr<ApiError> Api::Error(int status, const Caller& who, const std::string& method, const std::string& target,
                                    const Body& body) {
  auto reply = Expect(status, who, method, target, body);
  if (!reply.ok()) return reply.status();
  Struct parsed;
  if (auto s = ParseJson(reply->body, &parsed); !s.ok()) {
    return absl::Status(s.code(), absl::StrCat(method, " ", target, ": error body: ", s.message()));
  }
  ApiError error;
  error.code = StringField(parsed, "code");
  error.message = StringField(parsed, "message");
  if (error.code.empty() || error.message.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat(method, " ", target, ": error body without code or message: ", reply->body));
  }
  auto details = parsed.fields().find("details");
  if (details != parsed.fields().end()) {
    for (const Value& detail : details->second.list_value().values()) {
      const Struct& d = detail.struct_value();
      if (StringField(d, "@type") != "type.googleapis.com/google.rpc.BadRequest") continue;
      auto violations = d.fields().find("fieldViolations");
      if (violations == d.fields().end()) continue;
      for (const Value& v : violations->second.list_value().values()) {
        error.violations.emplace_back(StringField(v.struct_value(), "field"),
                                      StringField(v.struct_value(), "description"));
      }
    }
  }
  return error;
}

absl::Status ParseJson(const std::string& json, google::protobuf::Message* out) {
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  if (auto s = google::protobuf::util::JsonStringToMessage(json, out, options); !s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("not a ", out->GetTypeName(), ": ", s.ToString(), "\n  body: ", Shorten(json)));
  }
  return absl::OkStatus();
}

std::vector<std::string> Undocumented(const Struct& openapi,
                                      const std::vector<std::pair<std::string, std::string>>& sent) {
  std::vector<std::string> out;
  const auto listed = openapi.fields().find("paths");
  if (listed == openapi.fields().end()) {
    for (const auto& [method, path] : sent) out.push_back(absl::StrCat(method, " ", path));
    return out;
  }
  const auto& paths = listed->second.struct_value().fields();
  for (const auto& [method, path] : sent) {
    const std::string operation = absl::AsciiStrToLower(method);
    bool documented = false;
    for (const auto& [path_template, item] : paths) {
      if (item.struct_value().fields().contains(operation) && Matches(path_template, path)) {
        documented = true;
        break;
      }
    }
    const std::string what = absl::StrCat(method, " ", path);
    if (!documented && std::find(out.begin(), out.end(), what) == out.end()) out.push_back(what);
  }
  return out;
}

std::string QueryEscape(const std::string& value) {
  std::string out;
  for (unsigned char c : value) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      absl::StrAppend(&out, "%", absl::StrFormat("%02X", c));
    }
  }
  return out;
}

}  // namespace tane::e2e
