#include "tane/reviews/assignment/types.h"

#include "tane/core/time.h"

namespace tane::reviews::assignment {

Affiliation Affiliation::ForYears(std::string institution_id, int from_year,
                                  std::optional<int> to_year) {
  const absl::TimeZone jst = core::TokyoTimeZone();
  Affiliation a;
  a.institution_id = std::move(institution_id);
  a.from = absl::FromCivil(absl::CivilDay(from_year, 1, 1), jst);
  a.to =
      to_year ? absl::FromCivil(absl::CivilDay(*to_year + 1, 1, 1), jst) : absl::InfiniteFuture();
  return a;
}

}  // namespace tane::reviews::assignment
