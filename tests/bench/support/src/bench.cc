#include "tane/bench/bench.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <iostream>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"

namespace tane::bench {

absl::StatusOr<RedisBenchmark> RunRedisBenchmark(const std::string& options, const std::string& command) {
  // Options first: everything after the command is sent to Redis.
  const std::string line = absl::StrCat("redis-benchmark ", options, " --csv ", command, " 2>/dev/null");
  FILE* pipe = ::popen(line.c_str(), "r");
  if (pipe == nullptr) return absl::InternalError("popen redis-benchmark failed");
  std::string output;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof(buf), pipe)) output.append(buf, n);
  const int rc = ::pclose(pipe);
  for (absl::string_view out_line : absl::StrSplit(output, '\n')) {
    std::vector<std::string> f;
    for (absl::string_view part : absl::StrSplit(out_line, ',')) {
      f.emplace_back(absl::StripSuffix(absl::StripPrefix(part, "\""), "\""));
    }
    RedisBenchmark r;
    if (f.size() >= 7 && absl::SimpleAtod(f[1], &r.rps) && absl::SimpleAtod(f[4], &r.p50_ms) &&
        absl::SimpleAtod(f[6], &r.p99_ms)) {
      return r;
    }
  }
  return absl::InternalError(absl::StrCat("redis-benchmark (exit ", rc, ") printed no result: ", output));
}

absl::StatusOr<RedisBenchmark> BenchmarkEvalsha(store::RedisPool& pool, int port, int clients, int requests,
                                                const std::string& script, const std::string& keys) {
  auto sha = pool.Command({"SCRIPT", "LOAD", script});
  if (!sha.ok()) return sha.status();
  if (sha->is_error()) return absl::InternalError(absl::StrCat("SCRIPT LOAD: ", sha->str));
  return RunRedisBenchmark(absl::StrCat("-h 127.0.0.1 -p ", port, " -c ", clients, " -n ", requests),
                           absl::StrCat("EVALSHA ", sha->str, " ", keys));
}

ClosedLoop RunClosedLoop(int clients, int64_t total, absl::Duration duration,
                         const std::function<absl::Status(int client, int64_t i)>& op) {
  std::atomic<int64_t> errors{0};
  std::vector<std::vector<double>> latencies(clients);
  const absl::Time start = absl::Now();
  const absl::Time deadline = start + duration;
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      for (int64_t i = c; i < total && absl::Now() < deadline; i += clients) {
        const absl::Time t0 = absl::Now();
        const absl::Status status = op(c, i);
        latencies[c].push_back(absl::ToDoubleMilliseconds(absl::Now() - t0));
        if (!status.ok() && errors++ < 5) std::cerr << status << "\n";
      }
    });
  }
  for (auto& t : threads) t.join();
  ClosedLoop out;
  const double elapsed = absl::ToDoubleSeconds(absl::Now() - start);
  for (auto& l : latencies) out.latencies_ms.insert(out.latencies_ms.end(), l.begin(), l.end());
  std::sort(out.latencies_ms.begin(), out.latencies_ms.end());
  out.per_second = static_cast<double>(out.latencies_ms.size()) / elapsed;
  out.errors = errors.load();
  return out;
}

double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const size_t i = std::min(sorted.size() - 1, static_cast<size_t>(p * static_cast<double>(sorted.size())));
  return sorted[i];
}

std::string RedisVersion(store::RedisPool& pool) {
  auto info = pool.Command({"INFO", "server"});
  if (!info.ok()) return "?";
  for (absl::string_view line : absl::StrSplit(info->str, '\n')) {
    if (absl::ConsumePrefix(&line, "redis_version:")) return std::string(absl::StripAsciiWhitespace(line));
  }
  return "?";
}

}  // namespace tane::bench
