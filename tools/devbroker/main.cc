// tane-devbroker: a local, in-memory Kafka for development (`make run`).
//
// Hosts librdkafka's mock cluster (the Kafka protocol, consumer groups,
// idempotent producers) on loopback, creates Tane's topics, publishes the
// bootstrap list (stdout JSON line and, atomically, a file), and runs until
// SIGINT/SIGTERM. Nothing is persisted: every start is an empty cluster.
//
// Flags win over environment variables:
//   --brokers N          TANE_DEVBROKER_BROKERS         (3)
//   --topics a,b,...     TANE_DEVBROKER_TOPICS          (every tane.<svc>.events and .dlq)
//   --partitions N       TANE_DEVBROKER_PARTITIONS      (6)
//   --bootstrap-file P   TANE_DEVBROKER_BOOTSTRAP_FILE  (none)

#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "tane/testing/fixtures.h"

namespace {

constexpr char kDefaultTopics[] =
    "tane.calls.events,tane.reviews.events,tane.projects.events,tane.funds.events,"
    "tane.international.events,tane.calls.dlq,tane.reviews.dlq,tane.projects.dlq,"
    "tane.funds.dlq,tane.international.dlq";

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (const unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

// One JSON object per line; `fields` are already-encoded `"key":value` pairs.
void Log(const char* level, const std::string& msg, const std::vector<std::string>& fields = {}) {
  std::string line = absl::StrCat(
      "{\"ts\":",
      JsonString(absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone())),
      ",\"level\":\"", level, "\",\"service\":\"devbroker\",\"message\":", JsonString(msg));
  for (const auto& f : fields) absl::StrAppend(&line, ",", f);
  line += "}\n";
  FILE* out = std::strcmp(level, "error") == 0 ? stderr : stdout;
  std::fputs(line.c_str(), out);
  std::fflush(out);
}

std::string Field(const std::string& key, const std::string& value) {
  return absl::StrCat(JsonString(key), ":", JsonString(value));
}
std::string Field(const std::string& key, int value) {
  return absl::StrCat(JsonString(key), ":", value);
}

// Writes `content` to `path` so readers see either nothing or all of it.
bool WriteAtomically(const std::string& path, const std::string& content, std::string* error) {
  const std::string tmp = absl::StrCat(path, ".tmp.", ::getpid());
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << content << "\n";
    out.flush();
    if (!out) {
      *error = absl::StrCat("write ", tmp, " failed");
      return false;
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    *error = absl::StrCat("rename ", tmp, " -> ", path, ": ", std::strerror(errno));
    std::remove(tmp.c_str());
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  int brokers = 3;
  std::string topics_flag = kDefaultTopics;
  int partitions = 6;
  std::string bootstrap_file;

  CLI::App app{"tane-devbroker: a local Kafka (librdkafka mock cluster) for development"};
  app.add_option("--brokers", brokers, "number of brokers")
      ->envname("TANE_DEVBROKER_BROKERS")
      ->check(CLI::Range(1, 32))
      ->capture_default_str();
  app.add_option("--topics", topics_flag, "comma-separated topics to create")
      ->envname("TANE_DEVBROKER_TOPICS")
      ->capture_default_str();
  app.add_option("--partitions", partitions, "partitions per topic")
      ->envname("TANE_DEVBROKER_PARTITIONS")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  app.add_option("--bootstrap-file", bootstrap_file,
                 "write the bootstrap list to this file (atomically; removed on exit)")
      ->envname("TANE_DEVBROKER_BOOTSTRAP_FILE");
  CLI11_PARSE(app, argc, argv);

  std::vector<std::string> topics;
  for (absl::string_view t : absl::StrSplit(topics_flag, ',')) {
    t = absl::StripAsciiWhitespace(t);
    if (!t.empty()) topics.emplace_back(t);
  }

  // A shell starts background jobs with SIGINT ignored, and an ignored signal
  // is discarded, never pending, so sigwait() would not see it: restore the
  // default disposition (harmless while blocked).
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  // Block the stop signals before any thread exists, so every thread
  // (librdkafka's included) inherits the mask and only sigwait() sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  if (pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr) != 0) {
    Log("error", "cannot block SIGINT/SIGTERM");
    return 1;
  }

  auto cluster = tane::testing::KafkaCluster::Start(brokers);
  if (!cluster.ok()) {
    Log("error", "cannot start the mock cluster", {Field("error", cluster.status().ToString())});
    return 1;
  }
  // The mock has no real replication; a replication factor up to 3 still
  // gives every partition a replica set, as in production.
  const int replication = std::min(brokers, 3);
  for (const auto& topic : topics) {
    if (auto status = (*cluster)->CreateTopic(topic, partitions, replication); !status.ok()) {
      Log("error", "cannot create topic",
          {Field("topic", topic), Field("error", status.ToString())});
      return 1;
    }
  }

  const std::string bootstrap = (*cluster)->bootstrap_servers();
  if (!bootstrap_file.empty()) {
    std::string error;
    if (!WriteAtomically(bootstrap_file, bootstrap, &error)) {
      Log("error", "cannot write the bootstrap file", {Field("error", error)});
      return 1;
    }
  }

  std::vector<std::string> quoted;
  for (const auto& t : topics) quoted.push_back(JsonString(t));
  Log("info", "devbroker started",
      {Field("bootstrap_servers", bootstrap), Field("brokers", brokers),
       Field("partitions", partitions), Field("replication_factor", replication),
       absl::StrCat("\"topics\":[", absl::StrJoin(quoted, ","), "]"),
       Field("bootstrap_file", bootstrap_file), Field("pid", static_cast<int>(::getpid()))});

  int signal = 0;
  while (sigwait(&stop_signals, &signal) != 0) {
  }
  Log("info", "devbroker stopping", {Field("signal", std::string(strsignal(signal)))});

  if (!bootstrap_file.empty()) std::remove(bootstrap_file.c_str());
  cluster->reset();  // closes every client connection, joins the broker threads
  Log("info", "devbroker stopped");
  return 0;
}
