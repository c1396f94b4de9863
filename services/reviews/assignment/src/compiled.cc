#include "compiled.h"

#include <algorithm>

#include "tane/reviews/assignment/affinity.h"

namespace tane::reviews::assignment::impl {
namespace {

class Interner {
 public:
  int Intern(const std::string& s) {
    auto [it, inserted] = ids_.try_emplace(s, static_cast<int>(ids_.size()));
    return it->second;
  }
  int Find(const std::string& s) const {
    auto it = ids_.find(s);
    return it == ids_.end() ? -1 : it->second;
  }
  int size() const { return static_cast<int>(ids_.size()); }

 private:
  absl::flat_hash_map<std::string, int> ids_;
};

void SortUnique(std::vector<int>& v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

bool SortedHas(const std::vector<int>& v, int x) {
  return x >= 0 && std::binary_search(v.begin(), v.end(), x);
}

bool Intersects(const std::vector<int>& a, const std::vector<int>& b) {
  auto i = a.begin();
  auto j = b.begin();
  while (i != a.end() && j != b.end()) {
    if (*i < *j) {
      ++i;
    } else if (*j < *i) {
      ++j;
    } else {
      return true;
    }
  }
  return false;
}

int CountCommon(const std::vector<int>& a, const std::vector<int>& b) {
  int n = 0;
  auto i = a.begin();
  auto j = b.begin();
  while (i != a.end() && j != b.end()) {
    if (*i < *j) {
      ++i;
    } else if (*j < *i) {
      ++j;
    } else {
      ++n;
      ++i;
      ++j;
    }
  }
  return n;
}

}  // namespace

bool Compiled::SectionRelated(int p, int r) const {
  const CProposal& cp = proposals[p];
  if (cp.section < 0) return false;
  const CReviewer& cr = reviewers[r];
  return SortedHas(cr.family, cp.section) || SortedHas(cr.family, cp.parent);
}

int Compiled::Affinity(int p, int r) const {
  const CProposal& cp = proposals[p];
  const CReviewer& cr = reviewers[r];
  int points = 0;
  if (cp.section >= 0) {
    if (SortedHas(cr.sections, cp.section)) {
      points = weights.exact_section;
    } else if (SortedHas(cr.family, cp.section) || SortedHas(cr.family, cp.parent)) {
      points = weights.related_section;
    }
  }
  const int common = CountCommon(cp.keywords, cr.keywords);
  const int uni = static_cast<int>(cp.keywords.size() + cr.keywords.size()) - common;
  if (uni > 0) points += weights.keyword * common / uni;
  return points;
}

int Compiled::ConflictReasonIndex(int p, int r) const {
  const CProposal& cp = proposals[p];
  const CReviewer& cr = reviewers[r];
  if (SortedHas(cp.researchers, cr.researcher))
    return static_cast<int>(ConflictReason::kInvestigator);
  if (Intersects(cp.institutions, cr.window_institutions)) {
    return static_cast<int>(ConflictReason::kSameInstitution);
  }
  if (Intersects(cp.researchers, cr.coauthors)) return static_cast<int>(ConflictReason::kCoauthor);
  if (Intersects(cp.researchers, cr.relations)) {
    return static_cast<int>(ConflictReason::kRelativeOrSupervisor);
  }
  if (declared.contains(PairKey(p, r))) return static_cast<int>(ConflictReason::kDeclared);
  return -1;
}

Compiled Compile(const Instance& instance, const Options& options) {
  Compiled c;
  c.weights = options.affinity;
  c.max_affinity = options.affinity.max();
  Interner sections, keywords, researchers, institutions;

  // Section tree first so parents are known for every section.
  std::vector<int> parent;
  auto section_id = [&](const std::string& s) {
    if (s.empty()) return -1;
    int id = sections.Intern(s);
    if (id >= static_cast<int>(parent.size())) parent.resize(id + 1, -1);
    return id;
  };
  for (const auto& s : instance.sections) {
    int id = section_id(s.id);
    int pid = section_id(s.parent_id);
    parent[id] = pid;
  }

  // Only researchers/institutions that appear on proposals can ever match,
  // so reviewer-side lists keep only those (Find, not Intern).
  c.proposals.resize(instance.proposals.size());
  for (size_t i = 0; i < instance.proposals.size(); ++i) {
    const Proposal& p = instance.proposals[i];
    CProposal& cp = c.proposals[i];
    c.proposal_index.emplace(p.id, static_cast<int>(i));
    cp.section = section_id(p.review_section);
    cp.parent = cp.section >= 0 ? parent[cp.section] : -1;
    for (const auto& k : p.keywords) {
      std::string n = NormalizeKeyword(k);
      if (!n.empty()) cp.keywords.push_back(keywords.Intern(n));
    }
    SortUnique(cp.keywords);
    auto add_inv = [&](const Investigator& inv) {
      if (!inv.researcher_id.empty())
        cp.researchers.push_back(researchers.Intern(inv.researcher_id));
      for (const auto& inst : inv.institution_ids) {
        if (!inst.empty()) cp.institutions.push_back(institutions.Intern(inst));
      }
    };
    add_inv(p.pi);
    for (const auto& ci : p.co_investigators) add_inv(ci);
    SortUnique(cp.researchers);
    SortUnique(cp.institutions);
  }

  const absl::Time window_start = InstitutionWindowStart(options.conflicts);
  c.reviewers.resize(instance.reviewers.size());
  for (size_t j = 0; j < instance.reviewers.size(); ++j) {
    const Reviewer& r = instance.reviewers[j];
    CReviewer& cr = c.reviewers[j];
    c.reviewer_index.emplace(r.id, static_cast<int>(j));
    cr.researcher = r.researcher_id.empty() ? -1 : researchers.Find(r.researcher_id);
    for (const auto& s : r.review_sections) {
      int id = section_id(s);
      if (id < 0) continue;
      cr.sections.push_back(id);
      cr.family.push_back(id);
      if (parent[id] >= 0) cr.family.push_back(parent[id]);
    }
    SortUnique(cr.sections);
    SortUnique(cr.family);
    for (const auto& k : r.keywords) {
      std::string n = NormalizeKeyword(k);
      if (!n.empty()) cr.keywords.push_back(keywords.Intern(n));
    }
    SortUnique(cr.keywords);
    for (const auto& a : r.affiliations) {
      if (a.to < window_start) continue;
      int id = institutions.Find(a.institution_id);
      if (id >= 0) cr.window_institutions.push_back(id);
    }
    SortUnique(cr.window_institutions);
    auto add_people = [&](const std::vector<std::string>& ids, std::vector<int>& out) {
      for (const auto& s : ids) {
        int id = researchers.Find(s);
        if (id >= 0) out.push_back(id);
      }
      SortUnique(out);
    };
    add_people(r.coauthor_ids, cr.coauthors);
    add_people(r.collaborator_ids, cr.coauthors);
    add_people(r.relation_ids, cr.relations);
    cr.max_load = r.max_load;
    cr.available = r.available;
  }

  c.num_sections = sections.size();
  c.num_keywords = keywords.size();
  c.family_index.resize(c.num_sections);
  c.keyword_index.resize(c.num_keywords);
  for (size_t j = 0; j < c.reviewers.size(); ++j) {
    for (int s : c.reviewers[j].family) c.family_index[s].push_back(static_cast<int>(j));
    for (int k : c.reviewers[j].keywords) c.keyword_index[k].push_back(static_cast<int>(j));
  }

  for (const auto& d : instance.declared_conflicts) {
    auto p = c.proposal_index.find(d.proposal_id);
    auto r = c.reviewer_index.find(d.reviewer_id);
    if (p != c.proposal_index.end() && r != c.reviewer_index.end()) {
      c.declared.insert(PairKey(p->second, r->second));
    }
  }
  for (const auto& f : instance.forbids) {
    auto p = c.proposal_index.find(f.proposal_id);
    auto r = c.reviewer_index.find(f.reviewer_id);
    if (p != c.proposal_index.end() && r != c.reviewer_index.end()) {
      c.forbidden.insert(PairKey(p->second, r->second));
    }
  }
  c.pins.resize(c.proposals.size());
  c.pins_per_reviewer.assign(c.reviewers.size(), 0);
  absl::flat_hash_set<uint64_t> seen_pins;
  for (const auto& pin : instance.pins) {
    int p = c.proposal_index.at(pin.proposal_id);
    int r = c.reviewer_index.at(pin.reviewer_id);
    if (!seen_pins.insert(PairKey(p, r)).second) continue;
    c.pins[p].push_back({r, c.Affinity(p, r)});
    ++c.pins_per_reviewer[r];
  }
  return c;
}

}  // namespace tane::reviews::assignment::impl
