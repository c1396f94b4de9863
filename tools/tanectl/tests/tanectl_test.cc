#include "tanectl.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>

#include "absl/strings/str_split.h"
#include "tane/auth/api_keys.h"
#include "tane/auth/jwt.h"
#include "tane/auth/secret_file.h"

namespace tane::tanectl {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

struct Outcome {
  int code;
  std::string out;
  std::string err;
};

Outcome Tanectl(std::vector<std::string> args) {
  args.insert(args.begin(), "tanectl");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  std::ostringstream out, err;
  const int code = Run(static_cast<int>(argv.size()), argv.data(), out, err);
  return {code, out.str(), err.str()};
}

class TanectlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("tanectl-" + std::to_string(getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    secret_ = (dir_ / "var" / "jwt.secret").string();
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
  std::string secret_;
};

TEST_F(TanectlTest, TokenVerifiesWithTheGatewaysSecret) {
  Outcome o = Tanectl({"token", "--role", "program_officer", "--subject", "po-crest", "--secret-file", secret_});
  ASSERT_EQ(o.code, 0) << o.err;
  std::string token = o.out.substr(0, o.out.find('\n'));
  struct stat st;
  ASSERT_EQ(::stat(secret_.c_str(), &st), 0) << "the secret file is created on first use";
  EXPECT_EQ(st.st_mode & 0777, 0600);
  auth::JwtVerifierOptions options;
  options.hs256_secret = *auth::ReadSecretFile(secret_);
  options.issuer = "tane-dev";
  options.audience = "tane";
  auto principal = auth::JwtVerifier::Create(options)->Verify(token, absl::Now());
  ASSERT_TRUE(principal.ok()) << principal.status();
  EXPECT_EQ(principal->subject, "po-crest");
  EXPECT_EQ(principal->role, "program_officer");
  // Valid for the default 8h, not longer.
  EXPECT_TRUE(auth::JwtVerifier::Create(options)->Verify(token, absl::Now() + absl::Hours(7)).ok());
  EXPECT_FALSE(auth::JwtVerifier::Create(options)->Verify(token, absl::Now() + absl::Hours(9)).ok());
}

TEST_F(TanectlTest, PartnerTokenWithAgencyAndTtl) {
  Outcome o = Tanectl(
      {"token", "--role", "partner", "--subject", "nsf", "--agency", "NSF", "--ttl", "30m", "--secret-file", secret_});
  ASSERT_EQ(o.code, 0) << o.err;
  auth::JwtVerifierOptions options;
  options.hs256_secret = *auth::ReadSecretFile(secret_);
  auto verifier = auth::JwtVerifier::Create(options);
  auto principal = verifier->Verify(o.out.substr(0, o.out.find('\n')), absl::Now());
  ASSERT_TRUE(principal.ok());
  EXPECT_EQ(principal->agency, "NSF");
  EXPECT_FALSE(verifier->Verify(o.out.substr(0, o.out.find('\n')), absl::Now() + absl::Minutes(31)).ok());
}

TEST_F(TanectlTest, BadCommandLines) {
  struct Case {
    std::vector<std::string> args;
    int code;
    std::string err;
  } cases[] = {
      {{}, 2, "A subcommand is required"},
      {{"token", "--subject", "x", "--secret-file", secret_}, 2, "--role is required"},
      {{"token", "--role", "applicant", "--secret-file", secret_}, 2, "--subject is required"},
      {{"token", "--role", "dean", "--subject", "x", "--secret-file", secret_}, 2, "unknown role \"dean\""},
      {{"token", "--role", "partner", "--subject", "x", "--secret-file", secret_}, 2, "needs an agency code"},
      {{"token", "--role", "applicant", "--subject", "x", "--ttl", "forever", "--secret-file", secret_},
       2,
       "--ttl \"forever\" is not a positive duration"},
      {{"frobnicate"}, 2, "frobnicate"},
  };
  for (const Case& c : cases) {
    Outcome o = Tanectl(c.args);
    EXPECT_EQ(o.code, c.code) << o.err;
    EXPECT_THAT(o.err, HasSubstr(c.err));
    EXPECT_EQ(o.out, "");
  }
}

TEST_F(TanectlTest, ApiKeyLineVerifiesTheKeyAndIsAppended) {
  fs::create_directories(dir_);
  const std::string keys = (dir_ / "api-keys").string();
  Outcome o = Tanectl({"api-key", "--subject", "nsf-exchange", "--agency", "NSF", "--append-to", keys});
  ASSERT_EQ(o.code, 0) << o.err;
  std::vector<std::string> lines = absl::StrSplit(o.out, '\n');
  ASSERT_GE(lines.size(), 2u);
  ASSERT_EQ(lines[0].rfind("key:  ", 0), 0u);
  const std::string key = lines[0].substr(6);
  auto store = auth::ApiKeyStore::Load(keys);
  ASSERT_TRUE(store.ok()) << store.status();
  auto principal = store->Verify(key);
  ASSERT_TRUE(principal.ok());
  EXPECT_EQ(principal->subject, "nsf-exchange");
  EXPECT_EQ(principal->agency, "NSF");
  EXPECT_EQ(lines[1], "line: " + auth::ApiKeyLine(auth::HashApiKey(key), *principal));
  Outcome bad = Tanectl({"api-key", "--subject", "x"});
  EXPECT_EQ(bad.code, 2);
  EXPECT_THAT(bad.err, HasSubstr("needs an agency code"));
}

TEST_F(TanectlTest, HelpListsTheSubcommands) {
  Outcome o = Tanectl({"--help"});
  EXPECT_EQ(o.code, 0);
  EXPECT_THAT(o.out, HasSubstr("token"));
  EXPECT_THAT(o.out, HasSubstr("api-key"));
}

}  // namespace
}  // namespace tane::tanectl
