#include "tane/reviews/assignment/affinity.h"

#include <set>

#include "absl/strings/ascii.h"

namespace tane::reviews::assignment {
namespace {

std::set<std::string> KeywordSet(const std::vector<std::string>& keywords) {
  std::set<std::string> out;
  for (const auto& k : keywords) {
    std::string n = NormalizeKeyword(k);
    if (!n.empty()) out.insert(std::move(n));
  }
  return out;
}

bool Has(const std::vector<std::string>& list, std::string_view value) {
  return !value.empty() && std::find(list.begin(), list.end(), value) != list.end();
}

}  // namespace

SectionTree::SectionTree(const std::vector<Section>& sections) {
  for (const auto& s : sections) parent_[s.id] = s.parent_id;
}

std::string_view SectionTree::Parent(std::string_view section_id) const {
  auto it = parent_.find(absl::string_view(section_id.data(), section_id.size()));
  return it == parent_.end() ? std::string_view() : std::string_view(it->second);
}

std::string NormalizeKeyword(std::string_view keyword) {
  // Debian's abseil has its own string_view type.
  return absl::AsciiStrToLower(
      absl::StripAsciiWhitespace(absl::string_view(keyword.data(), keyword.size())));
}

namespace {

// Section points; exact and related as documented in the header.
int SectionPoints(const Proposal& p, const Reviewer& r, const SectionTree& tree,
                  const AffinityWeights& w) {
  const std::string& s = p.review_section;
  if (s.empty()) return 0;
  if (Has(r.review_sections, s)) return w.exact_section;
  const std::string_view parent = tree.Parent(s);
  for (const auto& x : r.review_sections) {
    const std::string_view x_parent = tree.Parent(x);
    const bool is_parent = !parent.empty() && x == parent;
    const bool is_sibling = !parent.empty() && x_parent == parent;
    const bool is_child = x_parent == s;
    if (is_parent || is_sibling || is_child) return w.related_section;
  }
  return 0;
}

}  // namespace

AffinityBreakdown ScoreAffinity(const Proposal& proposal, const Reviewer& reviewer,
                                const SectionTree& sections, const AffinityWeights& weights) {
  AffinityBreakdown b;
  b.section_points = SectionPoints(proposal, reviewer, sections, weights);
  const auto kp = KeywordSet(proposal.keywords);
  const auto kr = KeywordSet(reviewer.keywords);
  int common = 0;
  for (const auto& k : kp) common += kr.count(k);
  const int uni = static_cast<int>(kp.size() + kr.size()) - common;
  if (uni > 0) b.keyword_points = weights.keyword * common / uni;
  return b;
}

bool InCandidateScope(const Proposal& proposal, const Reviewer& reviewer,
                      const SectionTree& sections, bool keyword_candidates) {
  if (SectionPoints(proposal, reviewer, sections, AffinityWeights{}) > 0) return true;
  if (!keyword_candidates && !proposal.review_section.empty()) return false;
  const auto kp = KeywordSet(proposal.keywords);
  for (const auto& k : reviewer.keywords) {
    if (kp.count(NormalizeKeyword(k))) return true;
  }
  return false;
}

}  // namespace tane::reviews::assignment
