#include "tane/telemetry/trace.h"

#include <cctype>
#include <random>

namespace tane::telemetry {

std::string NewTraceId() {
  thread_local std::mt19937_64 rng([] {
    std::random_device rd;
    std::seed_seq seq{rd(), rd(), rd(), rd(), rd(), rd(), rd(), rd()};
    return std::mt19937_64(seq);
  }());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(32, '0');
  uint64_t hi = 0;
  uint64_t lo = 0;
  while (hi == 0 && lo == 0) {
    hi = rng();
    lo = rng();
  }
  for (int i = 0; i < 16; ++i) {
    id[i] = kHex[(hi >> (60 - 4 * i)) & 0xF];
    id[16 + i] = kHex[(lo >> (60 - 4 * i)) & 0xF];
  }
  return id;
}

bool IsValidTraceId(std::string_view id) {
  if (id.size() != 32) return false;
  bool nonzero = false;
  for (char c : id) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
    if (c != '0') nonzero = true;
  }
  return nonzero;
}

std::string TraceIdFromMetadata(const Metadata& metadata) {
  auto it = metadata.find(kTraceIdMetadataKey);
  if (it == metadata.end()) return "";
  std::string_view value(it->second.data(), it->second.size());
  if (!IsValidTraceId(value)) return "";
  std::string id(value);
  for (char& c : id) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return id;
}

std::string TraceIdFrom(const grpc::ServerContext& context) { return TraceIdFromMetadata(context.client_metadata()); }

std::string TraceIdOrNew(const grpc::ServerContext& context) {
  std::string id = TraceIdFrom(context);
  return id.empty() ? NewTraceId() : id;
}

void SetTraceId(grpc::ClientContext& context, std::string_view trace_id) {
  context.AddMetadata(kTraceIdMetadataKey, std::string(trace_id));
}

}  // namespace tane::telemetry
