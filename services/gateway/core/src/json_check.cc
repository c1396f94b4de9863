#include "tane/gateway/json_check.h"

#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "tane/gateway/text.h"

namespace tane::gateway {
namespace {

class Checker {
 public:
  explicit Checker(std::string_view text) : s_(text) {}

  absl::Status Run() {
    size_t bad = 0;
    if (!IsValidUtf8(s_, &bad)) {
      pos_ = bad;
      return Fail("not valid UTF-8");
    }
    SkipSpace();
    if (AtEnd()) return Fail("expected a JSON value, found nothing");
    if (auto status = Value(1); !status.ok()) return status;
    SkipSpace();
    if (!AtEnd()) return Fail("unexpected text after the JSON value");
    return absl::OkStatus();
  }

 private:
  bool AtEnd() const { return pos_ >= s_.size(); }
  char Peek() const { return AtEnd() ? '\0' : s_[pos_]; }

  absl::Status Fail(std::string_view what) const {
    int line = 1, column = 1;
    for (size_t i = 0; i < pos_ && i < s_.size(); ++i) {
      if (s_[i] == '\n') {
        ++line;
        column = 1;
      } else if ((static_cast<unsigned char>(s_[i]) & 0xC0) != 0x80) {  // count characters, not bytes
        ++column;
      }
    }
    return absl::InvalidArgumentError("line " + std::to_string(line) + ", column " + std::to_string(column) + ": " +
                                      std::string(what));
  }

  void SkipSpace() {
    while (!AtEnd() && (Peek() == ' ' || Peek() == '\t' || Peek() == '\n' || Peek() == '\r')) ++pos_;
  }

  absl::Status Value(int depth) {
    if (depth > kMaxJsonDepth) return Fail("nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
    switch (Peek()) {
      case '{':
        return Object(depth);
      case '[':
        return Array(depth);
      case '"':
        return String(nullptr);
      case 't':
        return Word("true");
      case 'f':
        return Word("false");
      case 'n':
        return Word("null");
      default:
        if (Peek() == '-' || (Peek() >= '0' && Peek() <= '9')) return Number();
        if (Peek() > 0x20 && Peek() < 0x7F) {
          return Fail(std::string("unexpected character '") + Peek() + "', expected a JSON value");
        }
        return Fail("unexpected character, expected a JSON value");
    }
  }

  absl::Status Word(std::string_view word) {
    if (s_.substr(pos_, word.size()) != word) return Fail("invalid literal, expected " + std::string(word));
    pos_ += word.size();
    return absl::OkStatus();
  }

  absl::Status Object(int depth) {
    ++pos_;  // '{'
    std::set<std::string> keys;
    SkipSpace();
    if (Peek() == '}') {
      ++pos_;
      return absl::OkStatus();
    }
    for (;;) {
      SkipSpace();
      if (Peek() != '"') return Fail("expected a string object key");
      const size_t key_pos = pos_;
      std::string key;
      if (auto status = String(&key); !status.ok()) return status;
      if (!keys.insert(key).second) {
        pos_ = key_pos;
        return Fail("duplicate key \"" + key + "\"");
      }
      SkipSpace();
      if (Peek() != ':') return Fail("expected ':' after an object key");
      ++pos_;
      SkipSpace();
      if (auto status = Value(depth + 1); !status.ok()) return status;
      auto more = Continues('}', "an object");
      if (!more.ok()) return more.status();
      if (!*more) return absl::OkStatus();
    }
  }

  // After a member or element: consumes ',' (true: another follows) or the
  // closing `close` (false: the container ended).
  absl::StatusOr<bool> Continues(char close, const char* container) {
    SkipSpace();
    if (Peek() == ',' || Peek() == close) return s_[pos_++] == ',';
    const std::string expected = std::string("',' or '") + close + "'";
    return Fail(AtEnd() ? "unexpected end of input, expected " + expected
                        : "expected " + expected + " in " + container);
  }

  absl::Status Array(int depth) {
    ++pos_;  // '['
    SkipSpace();
    if (Peek() == ']') {
      ++pos_;
      return absl::OkStatus();
    }
    for (;;) {
      SkipSpace();
      if (auto status = Value(depth + 1); !status.ok()) return status;
      auto more = Continues(']', "an array");
      if (!more.ok()) return more.status();
      if (!*more) return absl::OkStatus();
    }
  }

  absl::Status Hex4(unsigned* out) {
    unsigned v = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = Peek();
      int d = (c >= '0' && c <= '9')   ? c - '0'
              : (c >= 'a' && c <= 'f') ? c - 'a' + 10
              : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                       : -1;
      if (d < 0) return Fail("\\u must be followed by four hex digits");
      v = v * 16 + static_cast<unsigned>(d);
      ++pos_;
    }
    *out = v;
    return absl::OkStatus();
  }

  // A string; its decoded text goes to `out` when given (object keys).
  absl::Status String(std::string* out) {
    ++pos_;  // '"'
    for (;;) {
      if (AtEnd()) return Fail("unexpected end of input inside a string");
      const char c = s_[pos_];
      if (c == '"') {
        ++pos_;
        return absl::OkStatus();
      }
      if (static_cast<unsigned char>(c) < 0x20) return Fail("control character inside a string (escape it)");
      if (c != '\\') {
        if (out != nullptr) out->push_back(c);
        ++pos_;
        continue;
      }
      ++pos_;
      const char e = Peek();
      static constexpr std::string_view kSimple = "\"\\/bfnrt";
      static constexpr std::string_view kDecoded = "\"\\/\b\f\n\r\t";
      if (const size_t k = kSimple.find(e); e != '\0' && k != std::string_view::npos) {
        if (out != nullptr) out->push_back(kDecoded[k]);
        ++pos_;
        continue;
      }
      if (e != 'u') return Fail("invalid escape sequence in a string");
      ++pos_;
      unsigned cp = 0;
      if (auto status = Hex4(&cp); !status.ok()) return status;
      if (cp >= 0xDC00 && cp <= 0xDFFF) return Fail("lone low surrogate \\u escape in a string");
      if (cp >= 0xD800 && cp <= 0xDBFF) {
        if (s_.substr(pos_, 2) != "\\u") return Fail("high surrogate \\u escape without its low surrogate");
        pos_ += 2;
        unsigned low = 0;
        if (auto status = Hex4(&low); !status.ok()) return status;
        if (low < 0xDC00 || low > 0xDFFF) return Fail("high surrogate \\u escape without its low surrogate");
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
      }
      if (out != nullptr) AppendUtf8(cp, out);
    }
  }

  static void AppendUtf8(unsigned cp, std::string* out) {
    if (cp < 0x80) {
      out->push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  absl::Status Number() {
    auto digits = [&] {
      const size_t start = pos_;
      while (Peek() >= '0' && Peek() <= '9') ++pos_;
      return pos_ - start;
    };
    if (Peek() == '-') ++pos_;
    if (Peek() == '0') {
      ++pos_;
      if (Peek() >= '0' && Peek() <= '9') return Fail("numbers cannot have leading zeros");
    } else if (digits() == 0) {
      return Fail("invalid number");
    }
    if (Peek() == '.') {
      ++pos_;
      if (digits() == 0) return Fail("invalid number: digits must follow '.'");
    }
    if (Peek() == 'e' || Peek() == 'E') {
      ++pos_;
      if (Peek() == '+' || Peek() == '-') ++pos_;
      if (digits() == 0) return Fail("invalid number: digits must follow the exponent");
    }
    return absl::OkStatus();
  }

  std::string_view s_;
  size_t pos_ = 0;
};

}  // namespace

absl::Status CheckJson(std::string_view text) { return Checker(text).Run(); }

}  // namespace tane::gateway
