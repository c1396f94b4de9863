#include "e2e_fixture.h"

#include <gmock/gmock.h>

#include <iostream>

namespace tane::e2e {

Platform* E2eTest::platform_ = nullptr;

void E2eTest::SetUpTestSuite() {
  auto started = Platform::Start();
  if (!started.ok()) {
    std::cerr << "the platform did not start: " << started.status() << "\n";
    return;
  }
  platform_ = started->release();
}

void E2eTest::TearDownTestSuite() {
  if (platform_ != nullptr && ::testing::UnitTest::GetInstance()->failed_test_count() > 0) {
    std::cerr << "\nA test failed; the platform's logs end with (TANE_E2E_KEEP=1 keeps them in the directory):\n"
              << platform_->LogTails() << "\n";
  }
  delete platform_;
  platform_ = nullptr;
}

void E2eTest::SetUp() {
  ASSERT_NE(platform_, nullptr) << "the platform did not start (see above)";
  const std::string exited = platform_->Exited();
  ASSERT_EQ(exited, "") << "a process of the platform exited";
  api_ = std::make_unique<Api>(platform_->gateway_port());
}

Caller E2eTest::As(const std::string& role, const std::string& subject, const std::string& agency) {
  auto caller = platform_->As(role, subject, agency);
  if (!caller.ok()) {
    ADD_FAILURE() << "cannot mint a token for " << role << ":" << subject << ": " << caller.status();
    return Caller{role, subject, agency, "", ""};
  }
  return *caller;
}

void E2eTest::ExpectSentRequestsDocumented() {
  auto reply = api().Expect(200, Anonymous(), "GET", "/openapi.json");
  ASSERT_TRUE(reply.ok()) << reply.status();
  google::protobuf::Struct openapi;
  ASSERT_OK(ParseJson(reply->body, &openapi));
  EXPECT_THAT(Undocumented(openapi, api().sent()), ::testing::IsEmpty())
      << "requests of this test that /openapi.json does not describe";
}

}  // namespace tane::e2e
