#pragma once
/// The OpenAPI 3.0 document of the REST API (GET /openapi.json), generated
/// at start from the same routes the gateway serves: one operation per route
/// whose RPC declares a policy (RPCs without one are denied to everyone, so
/// they are not listed), request and response schemas from the proto
/// messages under their protobuf JSON mapping, the two security schemes
/// (bearer JWT, X-Api-Key) and each operation's roles in "x-tane-roles".

#include <string>

#include "tane/gateway/route_table.h"

namespace tane::gateway {

struct OpenApiInfo {
  std::string title = "Tane API";
  std::string version = "v1";
  std::string description =
      "REST/JSON API of Tane, the research funding platform. Errors, authentication, roles and "
      "rate limits are described in docs/api.md.";
};

std::string BuildOpenApi(const RouteTable& routes, const OpenApiInfo& info = {});

}  // namespace tane::gateway
