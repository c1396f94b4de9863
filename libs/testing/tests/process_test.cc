#include "tane/testing/process.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tane/testing/fixtures.h"

namespace tane::testing {
namespace {

std::string TempLog(const std::string& name) {
  const char* tmp = std::getenv("TMPDIR");
  const std::string path = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/tane-process-test-" +
                           std::to_string(::getpid()) + "-" + name + ".log";
  std::filesystem::remove(path);
  return path;
}

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(ChildProcess, RunsWithItsEnvironmentAndIsKilledAndRestarted) {
  const std::string log = TempLog("env");
  auto child = ChildProcess::Start({{"sh", "-c", "echo \"run $TANE_TEST_VALUE\"; exec sleep 60"},
                                    {{"TANE_TEST_VALUE", "こんにちは"}},
                                    log});
  ASSERT_TRUE(child.ok()) << child.status();
  ASSERT_TRUE(WaitFor([&] { return Read(log).find("run こんにちは") != std::string::npos; }));
  EXPECT_TRUE((*child)->running());
  EXPECT_FALSE((*child)->Exited());
  (*child)->Kill();
  EXPECT_FALSE((*child)->running());
  ASSERT_TRUE((*child)->Restart().ok());
  ASSERT_TRUE(WaitFor([&] {
    const std::string text = Read(log);
    return text.find("run こんにちは") != text.rfind("run こんにちは");  // printed twice
  }));
  EXPECT_NE((*child)->LogTail().find("run"), std::string::npos);
  std::filesystem::remove(log);
}

TEST(ChildProcess, ReportsHowItEnded) {
  auto exits = ChildProcess::Start({{"sh", "-c", "exit 3"}, {}, ""});
  ASSERT_TRUE(exits.ok());
  std::string how;
  ASSERT_TRUE(WaitFor([&] { return (*exits)->Exited(&how); }));
  EXPECT_EQ(how, "exited with status 3");
  EXPECT_TRUE((*exits)->Restart().ok());  // runs again

  auto missing = ChildProcess::Start({{"/nonexistent/tane-binary"}, {}, ""});
  ASSERT_TRUE(missing.ok());
  ASSERT_TRUE(WaitFor([&] { return (*missing)->Exited(&how); }));
  EXPECT_EQ(how, "exited with status 127");

  auto stubborn = ChildProcess::Start({{"sh", "-c", "exec sleep 60"}, {}, ""});
  ASSERT_TRUE(stubborn.ok());
  const pid_t pid = (*stubborn)->pid();
  (*stubborn)->Terminate();
  EXPECT_FALSE((*stubborn)->running());
  EXPECT_NE(::kill(pid, 0), 0);  // gone, and reaped

  EXPECT_EQ(ChildProcess::Start({}).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tane::testing
