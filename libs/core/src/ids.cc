#include "tane/core/ids.h"

#include <uuid/uuid.h>

#include <cctype>
#include <string>

namespace tane::core {
namespace {

std::string Unparse(const uuid_t id) {
  char out[37];
  uuid_unparse_lower(id, out);
  return std::string(out, 36);
}

}  // namespace

std::string NewUuid() {
  uuid_t id;
  uuid_generate_random(id);
  return Unparse(id);
}

std::string NameUuid(std::string_view name_space, std::string_view name) {
  // The namespace is itself hashed from a string so callers can use readable
  // namespaces ("tane.calls.application") instead of UUID constants.
  uuid_t root{};  // the nil UUID
  uuid_t ns;
  uuid_generate_sha1(ns, root, name_space.data(), name_space.size());
  uuid_t id;
  uuid_generate_sha1(id, ns, name.data(), name.size());
  return Unparse(id);
}

bool IsUuid(std::string_view text) {
  if (text.size() != 36) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? text[i] != '-' : !std::isxdigit(static_cast<unsigned char>(text[i]))) return false;
  }
  return true;
}

bool IsEradResearcherNumber(std::string_view text) {
  if (text.size() != 8) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

bool IsOrcid(std::string_view text) {
  if (text.size() != 19) return false;
  int total = 0;
  int digits = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (i == 4 || i == 9 || i == 14) {
      if (c != '-') return false;
      continue;
    }
    if (digits == 15) {  // check digit
      const int remainder = total % 11;
      const int expected = (12 - remainder) % 11;
      return expected == 10 ? c == 'X' : c == static_cast<char>('0' + expected);
    }
    if (c < '0' || c > '9') return false;
    total = (total + (c - '0')) * 2;
    ++digits;
  }
  return false;
}

}  // namespace tane::core
