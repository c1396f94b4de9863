#pragma once
// The e2e suite's fixture: one platform for the whole suite (started in
// SetUpTestSuite; the tail of every process's log printed when a test
// failed) and an Api per test. Tests use distinct subjects, calls, areas and
// agency codes, so they do not see each other's data.
//
// A new flow is a TEST_F(E2eTest, ...) made of the steps in
// tane/e2e/steps.h (each returns absl::StatusOr: ASSERT_OK_AND_ASSIGN it);
// a new step goes there.

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "tane/e2e/api.h"
#include "tane/e2e/platform.h"
#include "tane/e2e/steps.h"

#define TANE_E2E_CONCAT_INNER(a, b) a##b
#define TANE_E2E_CONCAT(a, b) TANE_E2E_CONCAT_INNER(a, b)
// ASSERT_OK_AND_ASSIGN(auto x, StatusOrExpression()): fails the test with
// the status (which names the request and shows the body) unless ok.
#define ASSERT_OK_AND_ASSIGN(lhs, rexpr) TANE_E2E_ASSIGN_IMPL(TANE_E2E_CONCAT(e2e_statusor_, __LINE__), lhs, rexpr)
#define TANE_E2E_ASSIGN_IMPL(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                         \
  ASSERT_TRUE(statusor.ok()) << statusor.status(); \
  lhs = *std::move(statusor)
#define ASSERT_OK(expr)                \
  do {                                 \
    const absl::Status e2e_s = (expr); \
    ASSERT_TRUE(e2e_s.ok()) << e2e_s;  \
  } while (0)

namespace tane::e2e {

class E2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite();
  static void TearDownTestSuite();
  void SetUp() override;

  static Platform& platform() { return *platform_; }
  Api& api() { return *api_; }
  /// A caller with a fresh token (the test fails if it cannot be minted).
  Caller As(const std::string& role, const std::string& subject, const std::string& agency = "");

  /// Every request this test sent is an operation of /openapi.json.
  void ExpectSentRequestsDocumented();

 private:
  static Platform* platform_;
  std::unique_ptr<Api> api_;
};

}  // namespace tane::e2e
