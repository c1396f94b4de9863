#include "tane/service_testing/harness.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <iterator>

#include "absl/strings/str_cat.h"
#include "tane/bus/envelope.h"

namespace tane::service_testing {

std::vector<std::string> TopicsOf(std::string_view service, std::vector<std::string> consumed) {
  const std::string name(service);
  std::vector<std::string> topics = {bus::EventsTopic(name), bus::DeadLetterTopic(name)};
  topics.insert(topics.end(), std::make_move_iterator(consumed.begin()), std::make_move_iterator(consumed.end()));
  return topics;
}

absl::StatusOr<std::unique_ptr<TestInfrastructure>> TestInfrastructure::Start(Options options) {
  std::unique_ptr<TestInfrastructure> infra(new TestInfrastructure());
  auto redis = testing::RedisServer::Start(std::move(options.redis));
  if (!redis.ok()) return redis.status();
  infra->redis_ = *std::move(redis);
  auto kafka = testing::KafkaCluster::Start(options.kafka_brokers);
  if (!kafka.ok()) return kafka.status();
  infra->kafka_ = *std::move(kafka);
  for (const std::string& topic : options.topics) {
    if (auto s = infra->kafka_->CreateTopic(topic, options.partitions); !s.ok()) return s;
  }
  return infra;
}

TestInfrastructure::~TestInfrastructure() = default;

std::string TestInfrastructure::redis_addr() const { return absl::StrCat(redis_->host(), ":", redis_->port()); }

ServiceUnderTestOptions TestInfrastructure::OptionsFor(std::string service) const {
  ServiceUnderTestOptions options;
  options.service = std::move(service);
  options.redis_addr = redis_addr();
  options.kafka_bootstrap = kafka_bootstrap();
  return options;
}

absl::StatusOr<std::unique_ptr<ServiceUnderTest>> ServiceUnderTest::Create(Options options) {
  runtime::ServiceConfig config = runtime::ServiceConfig::Defaults(options.service, 0, 0);
  config.redis_addr = std::move(options.redis_addr);
  config.redis_pool_size = options.redis_pool_size;
  config.kafka_bootstrap = std::move(options.kafka_bootstrap);
  config.shards = options.shards;
  config.log_level = std::move(options.log_level);
  config.internal_token = std::move(options.internal_token);
  config.catalog_path = std::move(options.catalog_path);
  runtime::ServiceHostOptions host_options;
  host_options.handle_signals = false;
  host_options.readiness_interval = absl::Milliseconds(50);

  std::unique_ptr<ServiceUnderTest> sut(new ServiceUnderTest());
  sut->host_ = std::make_unique<runtime::ServiceHost>(std::move(config), host_options);
  runtime::ServiceKitOptions kit_options;
  kit_options.consume_topics = std::move(options.consume_topics);
  kit_options.consumer_kafka_extra = {{"session.timeout.ms", "6000"}, {"heartbeat.interval.ms", "300"}};
  kit_options.clock = options.clock;
  kit_options.metrics_interval = options.metrics_interval;
  auto kit = runtime::ServiceKit::Create(*sut->host_, std::move(kit_options));
  if (!kit.ok()) return kit.status();
  sut->kit_ = *std::move(kit);
  return sut;
}

ServiceUnderTest::~ServiceUnderTest() {
  if (host_) {
    host_->RequestShutdown();
    host_.reset();  // drains the server, then runs the hooks while all below still exist
  }
  while (!owned_.empty()) owned_.pop_back();
  kit_.reset();
}

absl::Status ServiceUnderTest::Start(absl::Duration ready_within) {
  if (auto s = kit_->Start(); !s.ok()) return s;
  if (auto s = host_->Start(); !s.ok()) return s;
  if (!host_->WaitUntilReady(ready_within)) {
    return absl::UnavailableError(
        absl::StrCat(config().service_name, " not ready within ", absl::FormatDuration(ready_within)));
  }
  return absl::OkStatus();
}

std::string ServiceUnderTest::address() const { return absl::StrCat("127.0.0.1:", grpc_port()); }

std::shared_ptr<grpc::Channel> ServiceUnderTest::NewChannel() const {
  return grpc::CreateChannel(address(), grpc::InsecureChannelCredentials());
}

}  // namespace tane::service_testing
