#include "tane/runtime/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <vector>

namespace tane::runtime {
namespace {

using ::testing::HasSubstr;

constexpr const char* kEnvNames[] = {"TANE_GRPC_ADDR",       "TANE_METRICS_ADDR",    "TANE_REDIS_ADDR",
                                     "TANE_REDIS_POOL_SIZE", "TANE_KAFKA_BOOTSTRAP", "TANE_SHARDS",
                                     "TANE_LOG_LEVEL",       "TANE_INTERNAL_TOKEN",  "TANE_TEST_EXTRA",
                                     "TANE_CATALOG"};

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : kEnvNames) ::unsetenv(name);
  }
  void TearDown() override { SetUp(); }

  absl::StatusOr<ServiceConfig> Parse(std::vector<const char*> args, const ExtraOptions& extra = nullptr) {
    args.insert(args.begin(), "tane-calls");
    return ParseConfig(static_cast<int>(args.size()), args.data(), ServiceConfig::Defaults("calls", 7101, 9101), extra);
  }
};

TEST_F(ConfigTest, DocumentedDefaults) {
  auto config = Parse({});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->service_name, "calls");
  EXPECT_EQ(config->grpc_addr, "127.0.0.1:7101");
  EXPECT_EQ(config->metrics_addr, "127.0.0.1:9101");
  EXPECT_EQ(config->redis_addr, "127.0.0.1:6479");
  EXPECT_EQ(config->redis_pool_size, 8);
  EXPECT_EQ(config->kafka_bootstrap, "127.0.0.1:9092");
  EXPECT_EQ(config->shards, 8);
  EXPECT_EQ(config->log_level, "info");
  EXPECT_EQ(config->internal_token, "");
  EXPECT_EQ(ServiceConfig::Defaults("x", 1, 0).metrics_addr, "");
}

TEST_F(ConfigTest, FlagBeatsEnvironmentBeatsDefault) {
  ::setenv("TANE_REDIS_ADDR", "10.0.0.5:6379", 1);
  ::setenv("TANE_SHARDS", "16", 1);
  ::setenv("TANE_INTERNAL_TOKEN", "from-env", 1);
  auto config = Parse({"--shards", "32", "--kafka-bootstrap=k1:9092,k2:9092"});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->redis_addr, "10.0.0.5:6379");         // env over default
  EXPECT_EQ(config->shards, 32);                          // flag over env
  EXPECT_EQ(config->kafka_bootstrap, "k1:9092,k2:9092");  // flag over default
  EXPECT_EQ(config->internal_token, "from-env");
  EXPECT_EQ(config->redis_pool_size, 8);  // untouched default
}

TEST_F(ConfigTest, EmptyEnvironmentVariableCountsAsUnset) {
  ::setenv("TANE_GRPC_ADDR", "", 1);
  auto config = Parse({});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->grpc_addr, "127.0.0.1:7101");
}

TEST_F(ConfigTest, ServiceOptionsFollowTheSamePrecedence) {
  std::string extra = "default";
  std::string other = "default";
  auto add = [&](CLI::App& app) {
    app.add_option("--extra", extra, "an extra option")->envname("TANE_TEST_EXTRA")->capture_default_str();
    app.add_option("--other", other, "another")->capture_default_str();
  };
  ::setenv("TANE_TEST_EXTRA", "from-env", 1);
  ASSERT_TRUE(Parse({"--other", "flag"}, add).ok());
  EXPECT_EQ(extra, "from-env");
  EXPECT_EQ(other, "flag");
  ASSERT_TRUE(Parse({"--extra", "from-flag"}, add).ok());
  EXPECT_EQ(extra, "from-flag");
}

TEST_F(ConfigTest, RejectsBadValues) {
  EXPECT_EQ(Parse({"--shards", "0"}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Parse({"--shards", "many"}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Parse({"--redis-pool-size", "-1"}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Parse({"--grpc-addr", "localhost"}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Parse({"--log-level", "loud"}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Parse({"--no-such-flag"}).status().code(), absl::StatusCode::kInvalidArgument);
  ::setenv("TANE_SHARDS", "-3", 1);
  EXPECT_EQ(Parse({}).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ConfigTest, MetricsCanBeTurnedOffAndPortZeroIsAccepted) {
  auto config = Parse({"--metrics-addr", "off", "--grpc-addr", "127.0.0.1:0"});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->metrics_addr, "");
  EXPECT_EQ(config->grpc_addr, "127.0.0.1:0");

  auto empty = Parse({"--metrics-addr", ""});
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_EQ(empty->metrics_addr, "");

  ::setenv("TANE_METRICS_ADDR", "off", 1);
  auto from_env = Parse({});
  ASSERT_TRUE(from_env.ok()) << from_env.status();
  EXPECT_EQ(from_env->metrics_addr, "");
}

TEST_F(ConfigTest, HelpListsEveryOptionWithDefaultAndEnvironmentName) {
  ::testing::internal::CaptureStdout();
  auto config = Parse({"--help"});
  const std::string help = ::testing::internal::GetCapturedStdout();
  EXPECT_EQ(config.status().code(), absl::StatusCode::kCancelled);
  for (const char* flag : {"--grpc-addr", "--metrics-addr", "--redis-addr", "--redis-pool-size", "--kafka-bootstrap",
                           "--shards", "--log-level", "--internal-token", "--catalog"}) {
    EXPECT_THAT(help, HasSubstr(flag));
  }
  for (const char* env : {"TANE_GRPC_ADDR", "TANE_METRICS_ADDR", "TANE_REDIS_ADDR", "TANE_REDIS_POOL_SIZE",
                          "TANE_KAFKA_BOOTSTRAP", "TANE_SHARDS", "TANE_LOG_LEVEL", "TANE_INTERNAL_TOKEN", "TANE_CATALOG"}) {
    EXPECT_THAT(help, HasSubstr(env));
  }
  EXPECT_THAT(help, HasSubstr("127.0.0.1:7101"));
  EXPECT_THAT(help, HasSubstr("127.0.0.1:6479"));
  EXPECT_THAT(help, HasSubstr("127.0.0.1:9092"));
}

TEST_F(ConfigTest, DescribeRedactsTheToken) {
  auto config = Parse({"--internal-token", "s3cret"});
  ASSERT_TRUE(config.ok());
  EXPECT_THAT(config->Describe(), ::testing::Not(HasSubstr("s3cret")));
  EXPECT_THAT(config->Describe(), HasSubstr("internal_token=(set)"));
}

}  // namespace
}  // namespace tane::runtime
