#include "tane/auth/secret_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"

namespace tane::auth {
namespace {

namespace fs = std::filesystem;

class SecretFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           absl::StrCat("tane-secret-", getpid(), "-", ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(SecretFileTest, CreatedOnFirstUseWithMode0600AndKept) {
  const std::string path = (dir_ / "var" / "jwt.secret").string();
  auto first = LoadOrCreateSecretFile(path);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->size(), 64u);
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  ASSERT_EQ(::stat((dir_ / "var").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700);
  auto second = LoadOrCreateSecretFile(path);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*first, *second);
}

TEST_F(SecretFileTest, ConcurrentCreatorsAgreeOnOneSecret) {
  const std::string path = (dir_ / "jwt.secret").string();
  std::vector<std::string> seen(8);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < seen.size(); ++i) {
    threads.emplace_back([&, i] { seen[i] = LoadOrCreateSecretFile(path).value_or("error"); });
  }
  for (auto& t : threads) t.join();
  for (const std::string& s : seen) EXPECT_EQ(s, seen[0]);
  EXPECT_EQ(seen[0].size(), 64u);
}

TEST_F(SecretFileTest, ExistingSecretIsReadWithoutItsNewline) {
  fs::create_directories(dir_);
  const std::string path = (dir_ / "given").string();
  std::ofstream(path) << "my-own-secret-of-sufficient-length-0123\n";
  EXPECT_EQ(LoadOrCreateSecretFile(path).value_or(""), "my-own-secret-of-sufficient-length-0123");
}

TEST_F(SecretFileTest, EmptyOrMissingFileIsAnError) {
  fs::create_directories(dir_);
  const std::string path = (dir_ / "empty").string();
  std::ofstream(path) << "\n";
  EXPECT_EQ(ReadSecretFile(path).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReadSecretFile((dir_ / "missing").string()).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace tane::auth
