#include "random_moves.h"

#include <limits>
#include <random>
#include <vector>

#include "absl/strings/str_cat.h"

namespace tane::funds::bench {

ClosedLoop RunClosedLoop(int clients, absl::Duration duration, size_t accounts,
                         const std::function<absl::Status(int client, const RandomMove& move)>& op) {
  std::vector<std::mt19937_64> rngs;  // one per client, each used by its thread only
  for (int c = 0; c < clients; ++c) rngs.emplace_back(c);
  return tane::bench::RunClosedLoop(clients, std::numeric_limits<int64_t>::max(), duration, [&](int c, int64_t i) {
    std::mt19937_64& rng = rngs[c];
    RandomMove move;
    move.id = absl::StrCat("b", c, "-", i / clients);
    move.from = rng() % accounts;
    move.to = (move.from + 1 + rng() % (accounts - 1)) % accounts;
    move.amount = 1 + static_cast<int64_t>(rng() % 1'000'000);
    return op(c, move);
  });
}

}  // namespace tane::funds::bench
