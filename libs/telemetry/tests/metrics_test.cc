#include "tane/telemetry/metrics.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>
#include <vector>

namespace tane::telemetry {
namespace {

using ::testing::HasSubstr;

// A minimal HTTP/1.0 GET over a loopback socket; returns the whole response.
std::string HttpGet(int port, const std::string& path) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "";
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string response;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    const std::string request = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if (::send(fd, request.data(), request.size(), 0) == static_cast<ssize_t>(request.size())) {
      char buf[4096];
      ssize_t n;
      while ((n = ::recv(fd, buf, sizeof(buf), 0)) > 0) response.append(buf, static_cast<size_t>(n));
    }
  }
  ::close(fd);
  return response;
}

TEST(Metrics, SharedSeriesAppearInTheExposition) {
  Metrics metrics;
  metrics.OutboxBacklog("calls", 3).Set(42);
  metrics.OutboxOldestAgeSeconds("calls", 3).Set(1.5);
  metrics.ConsumerLag("reviews", "tane.calls.events", 0).Set(7);
  metrics.EventsPublished("calls").Increment(5);
  metrics.EventsApplied("reviews", "tane.calls.v1.ApplicationSubmitted").Increment();
  metrics.EventsDeadLettered("reviews").Increment();
  metrics.GrpcServerHandled("tane.calls.v1.Calls", "SubmitApplication", "OK").Increment();
  metrics.GrpcServerHandlingSeconds("tane.calls.v1.Calls", "SubmitApplication").Observe(0.003);

  const std::string text = metrics.Exposition();
  EXPECT_THAT(text, HasSubstr("# TYPE tane_outbox_backlog gauge"));
  EXPECT_THAT(text, HasSubstr(R"(tane_outbox_backlog{service="calls",shard="3"} 42)"));
  EXPECT_THAT(text, HasSubstr(R"(tane_outbox_oldest_age_seconds{service="calls",shard="3"} 1.5)"));
  EXPECT_THAT(text, HasSubstr(R"(tane_consumer_lag{partition="0",service="reviews",topic="tane.calls.events"} 7)"));
  EXPECT_THAT(text, HasSubstr(R"(tane_events_published_total{service="calls"} 5)"));
  EXPECT_THAT(text,
              HasSubstr(R"(tane_events_applied_total{service="reviews",type="tane.calls.v1.ApplicationSubmitted"} 1)"));
  EXPECT_THAT(text, HasSubstr(R"(tane_events_dead_lettered_total{service="reviews"} 1)"));
  EXPECT_THAT(
      text,
      HasSubstr(
          R"(grpc_server_handled_total{grpc_code="OK",grpc_method="SubmitApplication",grpc_service="tane.calls.v1.Calls"} 1)"));
  EXPECT_THAT(text, HasSubstr("# TYPE grpc_server_handling_seconds histogram"));
  EXPECT_THAT(
      text,
      HasSubstr(
          R"(grpc_server_handling_seconds_bucket{grpc_method="SubmitApplication",grpc_service="tane.calls.v1.Calls",le="0.005"} 1)"));
  EXPECT_THAT(
      text,
      HasSubstr(
          R"(grpc_server_handling_seconds_bucket{grpc_method="SubmitApplication",grpc_service="tane.calls.v1.Calls",le="0.0025"} 0)"));
}

TEST(Metrics, SameLabelsReturnTheSameSeries) {
  Metrics metrics;
  EXPECT_EQ(&metrics.OutboxBacklog("funds", 1), &metrics.OutboxBacklog("funds", 1));
  EXPECT_NE(&metrics.OutboxBacklog("funds", 1), &metrics.OutboxBacklog("funds", 2));
  auto& family = metrics.GaugeFamily("tane_applications", "Applications per call.");
  EXPECT_EQ(&family, &metrics.GaugeFamily("tane_applications", "Applications per call."));
  family.Add({{"call", "crest-2024"}}).Set(12);
  EXPECT_THAT(metrics.Exposition(), HasSubstr(R"(tane_applications{call="crest-2024"} 12)"));
}

TEST(Metrics, ConcurrentUpdatesAreAllCounted) {
  Metrics metrics;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&metrics] {
      for (int i = 0; i < 1000; ++i) metrics.EventsPublished("calls").Increment();
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(metrics.EventsPublished("calls").Value(), 4000);
}

TEST(Metrics, ServesTheExpositionOverHttp) {
  Metrics metrics;
  ASSERT_TRUE(metrics.Serve("127.0.0.1:0").ok());
  const int port = metrics.port();
  ASSERT_GT(port, 0);
  EXPECT_FALSE(metrics.Serve("127.0.0.1:0").ok());  // already serving
  metrics.EventsPublished("projects").Increment(3);

  const std::string response = HttpGet(port, "/metrics");
  EXPECT_THAT(response, HasSubstr("200 OK"));
  EXPECT_THAT(response, HasSubstr(R"(tane_events_published_total{service="projects"} 3)"));
}

TEST(Metrics, ServeReportsAnAddressInUse) {
  Metrics first;
  ASSERT_TRUE(first.Serve("127.0.0.1:0").ok());
  Metrics second;
  auto status = second.Serve("127.0.0.1:" + std::to_string(first.port()));
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_EQ(second.port(), 0);
}

}  // namespace
}  // namespace tane::telemetry
