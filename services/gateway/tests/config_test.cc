#include "tane/gateway/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "tane/auth/api_keys.h"

namespace tane::gateway {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

absl::StatusOr<GatewayConfig> Parse(std::vector<std::string> args) {
  args.insert(args.begin(), "tane-gateway");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  return ParseGatewayConfig(static_cast<int>(argv.size()), argv.data());
}

class ConfigTest : public ::testing::Test {
 protected:
  void TearDown() override {
    for (const char* name :
         {"TANE_CALLS_ADDR", "TANE_FUNDS_ADDR", "TANE_HTTP_ADDR", "TANE_UPSTREAM_TIMEOUT", "TANE_CORS_ORIGINS",
          "TANE_PARTNER_KEY_TTL"}) {
      unsetenv(name);
    }
  }
};

TEST_F(ConfigTest, Defaults) {
  auto config = Parse({});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->options.http_addr, "127.0.0.1:8080");
  EXPECT_EQ(config->metrics_addr, "127.0.0.1:9100");
  EXPECT_EQ(config->jwt_secret_file, "var/jwt.secret");
  EXPECT_EQ(config->options.jwt.issuer, "tane-dev");
  EXPECT_EQ(config->options.jwt.audience, "tane");
  EXPECT_EQ(config->options.jwt.leeway, absl::Seconds(30));
  EXPECT_TRUE(config->options.upstreams.empty());
  EXPECT_EQ(config->options.max_body_bytes, 1u << 20);
  EXPECT_EQ(config->options.upstream_timeout, absl::Seconds(10));
  EXPECT_EQ(config->options.partner_key_ttl, absl::Seconds(30));
  EXPECT_EQ(config->options.partner_key_timeout, absl::Seconds(2));
  EXPECT_EQ(config->options.rate_limit.rate_per_second, 50);
  EXPECT_EQ(config->options.rate_limit.burst, 100);
  EXPECT_TRUE(config->options.cors.allowed_origins.empty());
}

TEST_F(ConfigTest, FlagsBeatEnvironmentBeatsDefaults) {
  setenv("TANE_CALLS_ADDR", "127.0.0.1:7101", 1);
  setenv("TANE_FUNDS_ADDR", "127.0.0.1:7104", 1);
  setenv("TANE_HTTP_ADDR", "0.0.0.0:80", 1);
  setenv("TANE_UPSTREAM_TIMEOUT", "2s", 1);
  setenv("TANE_PARTNER_KEY_TTL", "5s", 1);
  setenv("TANE_CORS_ORIGINS", "https://a.example.jp, https://b.example.jp", 1);
  auto config = Parse({"--funds-addr", "10.0.0.4:7104", "--http-addr", "127.0.0.1:0", "--upstream",
                       "gwtest=127.0.0.1:9999", "--metrics-addr", "off", "--idle-timeout", "1.5s",
                       "--partner-key-timeout", "500ms"});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_THAT(config->options.upstreams,
              UnorderedElementsAre(Pair("calls", "127.0.0.1:7101"), Pair("funds", "10.0.0.4:7104"),
                                   Pair("gwtest", "127.0.0.1:9999")));
  EXPECT_EQ(config->options.http_addr, "127.0.0.1:0");
  EXPECT_EQ(config->options.upstream_timeout, absl::Seconds(2));
  EXPECT_EQ(config->options.idle_timeout, absl::Milliseconds(1500));
  EXPECT_EQ(config->options.partner_key_ttl, absl::Seconds(5));
  EXPECT_EQ(config->options.partner_key_timeout, absl::Milliseconds(500));
  EXPECT_EQ(config->metrics_addr, "");
  EXPECT_THAT(config->options.cors.allowed_origins, ElementsAre("https://a.example.jp", "https://b.example.jp"));
}

TEST_F(ConfigTest, BadValuesAreRefused) {
  struct Case {
    std::vector<std::string> args;
    std::string error;
  } cases[] = {
      {{"--upstream-timeout", "soon"}, "--upstream-timeout: \"soon\" is not a duration"},
      {{"--upstream-timeout", "0s"}, "--upstream-timeout must be positive"},
      {{"--partner-key-ttl", "-1s"}, "--partner-key-ttl: \"-1s\" is not a duration"},
      {{"--partner-key-timeout", "0s"}, "--partner-key-timeout must be positive"},
      {{"--upstream", "nameless"}, "--upstream must be NAME=HOST:PORT"},
      {{"--log-level", "loud"}, "--log-level must be"},
      {{"--rate-limit", "-1"}, "rate-limit"},
      {{"--no-such-flag"}, "no-such-flag"},
  };
  for (const Case& c : cases) {
    auto config = Parse(c.args);
    ASSERT_FALSE(config.ok()) << c.args[0];
    EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(config.status().message()), HasSubstr(c.error));
  }
}

TEST_F(ConfigTest, LoadReadsTheCredentialFiles) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("gateway-config-" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string keys = (dir / "api-keys").string();
  std::ofstream(keys) << auth::ApiKeyLine(auth::HashApiKey("tane_k"), {"nsf", "partner", "NSF"}) << "\n";

  auto config = Parse({"--jwt-secret-file", (dir / "var" / "jwt.secret").string(), "--api-keys-file", keys});
  ASSERT_TRUE(config.ok());
  auto options = LoadGatewayOptions(*config);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->jwt.hs256_secret.size(), 64u);
  EXPECT_TRUE(fs::exists(dir / "var" / "jwt.secret"));
  EXPECT_EQ(options->api_keys.size(), 1u);

  auto off = Parse({"--jwt-secret-file", "off"});
  ASSERT_TRUE(off.ok());
  EXPECT_EQ(LoadGatewayOptions(*off)->jwt.hs256_secret, "");

  auto missing = Parse({"--jwt-secret-file", "off", "--api-keys-file", (dir / "nope").string()});
  EXPECT_EQ(LoadGatewayOptions(*missing).status().code(), absl::StatusCode::kNotFound);
  auto keyset = Parse({"--jwt-secret-file", "off", "--jwt-public-keys", (dir / "nokeys").string()});
  EXPECT_EQ(LoadGatewayOptions(*keyset).status().code(), absl::StatusCode::kNotFound);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace tane::gateway
