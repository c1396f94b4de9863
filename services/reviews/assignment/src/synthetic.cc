#include "tane/reviews/assignment/synthetic.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "tane/core/time.h"

namespace tane::reviews::assignment {
namespace {

// SplitMix64: tiny, and the same sequence on every platform (the standard
// distributions are not specified bit-for-bit).
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n).
  int Below(int n) { return static_cast<int>(Next() % static_cast<uint64_t>(n)); }
  double Unit() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  bool Chance(double p) { return Unit() < p; }
  // Skewed towards 0: the square of a uniform.
  int Skewed(int n) {
    const double u = Unit();
    return std::min(n - 1, static_cast<int>(u * u * n));
  }

 private:
  uint64_t state_;
};

// Sampling from fixed weights by binary search on the prefix sums.
class Weighted {
 public:
  explicit Weighted(const std::vector<double>& w) : prefix_(w.size()) {
    double sum = 0;
    for (size_t i = 0; i < w.size(); ++i) prefix_[i] = sum += w[i];
  }
  int Sample(Rng& rng) const {
    const double x = rng.Unit() * prefix_.back();
    return static_cast<int>(std::upper_bound(prefix_.begin(), prefix_.end(), x) - prefix_.begin());
  }

 private:
  std::vector<double> prefix_;
};

std::string SmallId(int s) { return absl::StrCat("S", s); }
std::string Keyword(int s, int k) { return absl::StrCat("kw", s, "_", k); }

}  // namespace

SyntheticSpec KakenhiSpec(uint64_t seed) {
  SyntheticSpec spec;
  spec.seed = seed;
  spec.proposals = 90'000;
  spec.reviewers = 8'000;
  spec.large_sections = 11;
  spec.medium_sections = 65;
  spec.small_sections = 300;
  spec.institutions = 1'500;
  return spec;
}

Instance GenerateSynthetic(const SyntheticSpec& spec) {
  Rng rng(spec.seed * 0x2545f4914f6cdd1dULL + 17);
  Instance in;
  const int nl = std::max(1, spec.large_sections);
  const int nm = std::max(1, spec.medium_sections);
  const int ns = std::max(1, spec.small_sections);

  // Section tree; small section s sits under medium s % nm, medium m under
  // large m % nl.
  for (int l = 0; l < nl; ++l) in.sections.push_back({absl::StrCat("L", l), ""});
  for (int m = 0; m < nm; ++m)
    in.sections.push_back({absl::StrCat("M", m), absl::StrCat("L", m % nl)});
  for (int s = 0; s < ns; ++s) in.sections.push_back({SmallId(s), absl::StrCat("M", s % nm)});
  std::vector<std::vector<int>> smalls_of_medium(nm);
  for (int s = 0; s < ns; ++s) smalls_of_medium[s % nm].push_back(s);
  std::vector<std::vector<int>> mediums_of_large(nl);
  for (int m = 0; m < nm; ++m) mediums_of_large[m % nl].push_back(m);

  // Uneven demand: section weights between 1 and 4.
  std::vector<double> weight(ns);
  for (int s = 0; s < ns; ++s) weight[s] = 1.0 + 3.0 * rng.Unit();
  const Weighted section_sampler(weight);

  // Institutions: a tenth of people at 20 large universities, the rest spread.
  const int ni = std::max(21, spec.institutions);
  auto institution = [&] {
    const int i = rng.Chance(0.1) ? rng.Below(20) : 20 + rng.Below(ni - 20);
    return absl::StrCat("I", i);
  };
  const int researcher_pool = std::max(1, spec.proposals * 3 / 2);
  auto section_keywords = [&](int s, int count, std::vector<std::string>& out) {
    for (int k = 0; k < count; ++k)
      out.push_back(Keyword(s, rng.Skewed(spec.keywords_per_section)));
  };
  auto global_keyword = [&] {
    return absl::StrCat("g", rng.Skewed(std::max(1, spec.global_keywords)));
  };

  std::vector<std::vector<std::string>> investigators_of_section(ns);
  in.proposals.resize(spec.proposals);
  for (int i = 0; i < spec.proposals; ++i) {
    Proposal& p = in.proposals[i];
    const int s = section_sampler.Sample(rng);
    p.id = absl::StrCat("P", i);
    p.review_section = SmallId(s);
    section_keywords(s, 4, p.keywords);
    p.keywords.push_back(global_keyword());
    p.pi.researcher_id = absl::StrCat("R", spec.proposals * 2 + i);  // PIs are unique
    p.pi.institution_ids = {institution()};
    const int co = rng.Below(4);
    for (int k = 0; k < co; ++k) {
      Investigator ci;
      ci.researcher_id = absl::StrCat("R", rng.Below(researcher_pool));
      ci.institution_ids = {rng.Chance(0.5) ? p.pi.institution_ids[0] : institution()};
      p.co_investigators.push_back(std::move(ci));
    }
    investigators_of_section[s].push_back(p.pi.researcher_id);
    for (const auto& ci : p.co_investigators)
      investigators_of_section[s].push_back(ci.researcher_id);
  }

  const absl::TimeZone jst = core::TokyoTimeZone();
  const int as_of_year = static_cast<int>(absl::ToCivilYear(spec.as_of, jst).year());
  const double demand = static_cast<double>(spec.proposals) * spec.reviewers_per_proposal;
  const double mean_load = spec.load_slack * demand / std::max(1, spec.reviewers);
  in.reviewers.resize(spec.reviewers);
  std::vector<int> primary_medium(spec.reviewers, 0);
  for (int j = 0; j < spec.reviewers; ++j) {
    Reviewer& r = in.reviewers[j];
    r.id = absl::StrCat("V", j);
    // Reviewer supply follows demand: the primary section is drawn like a
    // proposal's; extra sections are siblings.
    const int s = section_sampler.Sample(rng);
    std::vector<int> mine = {s};
    const double u = rng.Unit();
    const int extra = u < 0.4 ? 0 : (u < 0.8 ? 1 : 2);
    const auto& siblings = smalls_of_medium[s % nm];
    for (int k = 0; k < extra && siblings.size() > 1; ++k) {
      mine.push_back(siblings[rng.Below(static_cast<int>(siblings.size()))]);
    }
    if (rng.Chance(spec.cross_medium_fraction)) {
      const auto& cousins = mediums_of_large[(s % nm) % nl];
      const int m = cousins[rng.Below(static_cast<int>(cousins.size()))];
      const auto& far = smalls_of_medium[m];
      mine.push_back(far[rng.Below(static_cast<int>(far.size()))]);
    }
    std::sort(mine.begin(), mine.end());
    mine.erase(std::unique(mine.begin(), mine.end()), mine.end());
    for (int x : mine) {
      r.review_sections.push_back(SmallId(x));
      section_keywords(x, 8 / static_cast<int>(mine.size()) + 1, r.keywords);
    }
    r.keywords.push_back(global_keyword());

    // A few reviewers are themselves investigators in their field.
    const auto& field = investigators_of_section[s];
    if (rng.Chance(0.2) && !field.empty()) {
      r.researcher_id = field[rng.Below(static_cast<int>(field.size()))];
    } else {
      r.researcher_id = absl::StrCat("R", spec.proposals * 4 + j);
    }
    r.affiliations.push_back(Affiliation::ForYears(institution(), as_of_year - 2 - rng.Below(10)));
    if (rng.Chance(0.4)) {  // a previous post that ended 1–6 years ago
      const int ended = as_of_year - 1 - rng.Below(6);
      r.affiliations.push_back(Affiliation::ForYears(institution(), ended - 5, ended - 1));
    }
    if (!field.empty()) {
      for (int k = 0; k < spec.coauthors_per_reviewer; ++k) {
        r.coauthor_ids.push_back(field[rng.Below(static_cast<int>(field.size()))]);
      }
      for (int k = 0; k < spec.collaborators_per_reviewer; ++k) {
        r.collaborator_ids.push_back(field[rng.Below(static_cast<int>(field.size()))]);
      }
      if (rng.Chance(0.05))
        r.relation_ids.push_back(field[rng.Below(static_cast<int>(field.size()))]);
    }
    r.max_load = std::max(1, static_cast<int>(std::lround(mean_load * (0.7 + 0.6 * rng.Unit()))));
    r.available = !rng.Chance(spec.unavailable_fraction);
    primary_medium[j] = s % nm;
  }
  // Sampling noise leaves some medium sections short of reviewers; scale the
  // loads there so available capacity is load_slack × demand in every one.
  std::vector<double> demand_of(nm, 0), capacity_of(nm, 0);
  for (const auto& p : in.proposals) {
    demand_of[std::stoi(p.review_section.substr(1)) % nm] += spec.reviewers_per_proposal;
  }
  for (int j = 0; j < spec.reviewers; ++j) {
    if (in.reviewers[j].available) capacity_of[primary_medium[j]] += in.reviewers[j].max_load;
  }
  for (int j = 0; j < spec.reviewers; ++j) {
    const int m = primary_medium[j];
    if (capacity_of[m] <= 0) continue;
    const double scale = spec.load_slack * demand_of[m] / capacity_of[m];
    in.reviewers[j].max_load =
        std::max(1, static_cast<int>(std::ceil(in.reviewers[j].max_load * scale)));
  }
  return in;
}

}  // namespace tane::reviews::assignment
