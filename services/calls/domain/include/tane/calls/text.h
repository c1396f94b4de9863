#pragma once
/// Text rules shared by the calls domain: UTF-8 validity, and the
/// normalisation and hashing used to spot the same proposal submitted twice
/// (不合理な重複).

#include <cstdint>
#include <string>
#include <string_view>

namespace tane::calls {

/// True when `text` is well-formed UTF-8: no stray continuation bytes, no
/// overlong forms, no UTF-16 surrogates (U+D800–U+DFFF), nothing above U+10FFFF.
bool IsValidUtf8(std::string_view text);

/// True when `text` contains an ASCII control character (U+0000–U+001F, U+007F)
/// other than those allowed: none for single-line fields; TAB, LF and CR for
/// multi-line ones (abstracts).
bool HasControlCharacters(std::string_view text, bool multiline);

/// Normalises text so that trivially different copies of a title or abstract
/// compare equal. In order:
///  1. Unicode NFKC_Casefold (ICU): compatibility forms fold to their plain
///     form — full-width ASCII "ＡＢＣ１２３" → "abc123", half-width katakana
///     "ﾅﾉ" → "ナノ", ideographic space U+3000 → " ", "①" → "1" — and all
///     letters are case-folded (not only ASCII); default-ignorable code points
///     (zero-width space, soft hyphen, BOM) are removed.
///  2. Every run of Unicode White_Space becomes one ASCII space.
///  3. Leading and trailing spaces are trimmed.
/// Punctuation is kept ("・" and "-" still matter). Invalid UTF-8 sequences
/// become U+FFFD. The result is UTF-8.
std::string NormalizeForMatching(std::string_view text);

/// Lowercase hex SHA-256 of NormalizeForMatching(text); empty when the
/// normalised text is empty (empty fields never match each other).
std::string MatchingHash(std::string_view text);

/// Lowercase hex SHA-256 of the bytes.
std::string Sha256Hex(std::string_view bytes);

/// "¥150,000,000" (negative amounts "-¥5").
std::string FormatYen(int64_t yen);

}  // namespace tane::calls
