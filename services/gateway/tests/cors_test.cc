#include "tane/gateway/cors.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tane::gateway {
namespace {

using ::testing::Contains;
using ::testing::IsEmpty;
using ::testing::Pair;

TEST(CorsTest, OffByDefault) {
  CorsPolicy cors({});
  EXPECT_FALSE(cors.enabled());
  EXPECT_THAT(cors.ResponseHeaders("https://portal.example.jp"), IsEmpty());
  EXPECT_THAT(cors.PreflightHeaders("https://portal.example.jp", "POST"), IsEmpty());
}

TEST(CorsTest, ListedOriginsOnly) {
  CorsPolicy cors({{"https://portal.example.jp", "https://finance.example.jp"}, absl::Minutes(5)});
  auto headers = cors.ResponseHeaders("https://portal.example.jp");
  EXPECT_THAT(headers, Contains(Pair("Access-Control-Allow-Origin", "https://portal.example.jp")));
  EXPECT_THAT(headers, Contains(Pair("Access-Control-Expose-Headers", "X-Request-Id, Retry-After")));
  EXPECT_THAT(headers, Contains(Pair("Vary", "Origin")));
  EXPECT_THAT(cors.ResponseHeaders("https://evil.example.com"), IsEmpty());
  EXPECT_THAT(cors.ResponseHeaders(""), IsEmpty());
  // A prefix or a different scheme is a different origin.
  EXPECT_THAT(cors.ResponseHeaders("http://portal.example.jp"), IsEmpty());
  EXPECT_THAT(cors.ResponseHeaders("https://portal.example.jp.evil.com"), IsEmpty());
}

TEST(CorsTest, Preflight) {
  CorsPolicy cors({{"https://portal.example.jp"}, absl::Minutes(5)});
  auto headers = cors.PreflightHeaders("https://portal.example.jp", "PATCH");
  EXPECT_THAT(headers, Contains(Pair("Access-Control-Allow-Origin", "https://portal.example.jp")));
  EXPECT_THAT(headers, Contains(Pair("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE")));
  EXPECT_THAT(headers,
              Contains(Pair("Access-Control-Allow-Headers", "Authorization, Content-Type, X-Api-Key, X-Request-Id")));
  EXPECT_THAT(headers, Contains(Pair("Access-Control-Max-Age", "300")));
  EXPECT_THAT(cors.PreflightHeaders("https://portal.example.jp", "TRACE"), IsEmpty());
  EXPECT_THAT(cors.PreflightHeaders("https://portal.example.jp", "PAT"), IsEmpty());
  EXPECT_THAT(cors.PreflightHeaders("https://other.example.jp", "GET"), IsEmpty());
}

TEST(CorsTest, StarAllowsAnyOriginEchoingIt) {
  CorsPolicy cors({{"*"}, absl::Minutes(10)});
  EXPECT_THAT(cors.ResponseHeaders("http://localhost:3000"),
              Contains(Pair("Access-Control-Allow-Origin", "http://localhost:3000")));
}

}  // namespace
}  // namespace tane::gateway
