#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tane/testing/fixtures.h"

namespace tane::testing {
namespace {

TEST(WaitFor, TrueAtOnce) {
  EXPECT_TRUE(WaitFor([] { return true; }, absl::ZeroDuration()));
}

TEST(WaitFor, BecomesTrue) {
  int calls = 0;
  EXPECT_TRUE(WaitFor([&] { return ++calls == 3; }, absl::Seconds(5), absl::Milliseconds(1)));
  EXPECT_EQ(calls, 3);
}

TEST(WaitFor, TimesOut) {
  const absl::Time start = absl::Now();
  EXPECT_FALSE(WaitFor([] { return false; }, absl::Milliseconds(30), absl::Milliseconds(5)));
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(30));
}

TEST(FreeLoopbackPort, CanBeBound) {
  const int port = FreeLoopbackPort();
  ASSERT_GT(port, 0);
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ::close(fd);
}

}  // namespace
}  // namespace tane::testing
