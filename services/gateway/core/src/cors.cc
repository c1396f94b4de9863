#include "tane/gateway/cors.h"

#include <algorithm>

namespace tane::gateway {

CorsPolicy::CorsPolicy(CorsOptions options) : options_(std::move(options)) {
  any_origin_ = std::find(options_.allowed_origins.begin(), options_.allowed_origins.end(), "*") !=
                options_.allowed_origins.end();
}

bool CorsPolicy::OriginAllowed(std::string_view origin) const {
  if (origin.empty() || !enabled()) return false;
  return any_origin_ || std::find(options_.allowed_origins.begin(), options_.allowed_origins.end(), origin) !=
                            options_.allowed_origins.end();
}

HeaderList CorsPolicy::ResponseHeaders(std::string_view origin) const {
  if (!OriginAllowed(origin)) return {};
  return {{"Access-Control-Allow-Origin", std::string(origin)},
          {"Access-Control-Expose-Headers", std::string(kExposedHeaders)},
          {"Vary", "Origin"}};
}

HeaderList CorsPolicy::PreflightHeaders(std::string_view origin, std::string_view requested_method) const {
  if (!OriginAllowed(origin)) return {};
  const std::string_view methods = kAllowedMethods;
  // The methods list is comma-separated; match a whole entry.
  bool method_ok = false;
  for (size_t start = 0; start < methods.size();) {
    size_t end = methods.find(',', start);
    if (end == std::string_view::npos) end = methods.size();
    method_ok = method_ok || methods.substr(start, end - start) == requested_method;
    start = end + 2;
  }
  if (!method_ok) return {};
  return {{"Access-Control-Allow-Origin", std::string(origin)},
          {"Access-Control-Allow-Methods", std::string(kAllowedMethods)},
          {"Access-Control-Allow-Headers", std::string(kAllowedHeaders)},
          {"Access-Control-Max-Age", std::to_string(absl::ToInt64Seconds(options_.max_age))},
          {"Vary", "Origin"}};
}

}  // namespace tane::gateway
