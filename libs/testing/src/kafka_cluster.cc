#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "tane/testing/fixtures.h"

namespace tane::testing {
namespace {

// The hosting handle has no bootstrap.servers of its own (it only carries the
// mock cluster's threads), so librdkafka warns about that; keep errors only.
void LogErrorsOnly(const rd_kafka_t* /*rk*/, int level, const char* fac, const char* buf) {
  if (level <= 3) std::fprintf(stderr, "kafka-mock %s: %s\n", fac, buf);
}

}  // namespace

struct KafkaCluster::Impl {
  rd_kafka_t* rk = nullptr;
  rd_kafka_mock_cluster_t* mcluster = nullptr;
  int brokers = 0;

  ~Impl() {
    // The cluster's broker threads run on rk's behalf: destroy it first.
    if (mcluster != nullptr) rd_kafka_mock_cluster_destroy(mcluster);
    if (rk != nullptr) rd_kafka_destroy(rk);
  }
};

absl::StatusOr<std::unique_ptr<KafkaCluster>> KafkaCluster::Start(int brokers) {
  if (brokers < 1) return absl::InvalidArgumentError("KafkaCluster needs at least one broker");

  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  if (rd_kafka_conf_set(conf, "client.id", "tane-kafka-mock", errstr, sizeof(errstr)) !=
      RD_KAFKA_CONF_OK) {
    rd_kafka_conf_destroy(conf);
    return absl::InternalError(absl::StrCat("kafka mock: client.id: ", errstr));
  }
  rd_kafka_conf_set_log_cb(conf, &LogErrorsOnly);

  auto impl = std::make_unique<Impl>();
  impl->brokers = brokers;
  // On success rd_kafka_new takes ownership of conf.
  impl->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
  if (impl->rk == nullptr) {
    rd_kafka_conf_destroy(conf);
    return absl::InternalError(absl::StrCat("kafka mock: rd_kafka_new: ", errstr));
  }
  impl->mcluster = rd_kafka_mock_cluster_new(impl->rk, brokers);
  if (impl->mcluster == nullptr) {
    return absl::InternalError("kafka mock: rd_kafka_mock_cluster_new failed");
  }

  std::unique_ptr<KafkaCluster> cluster(new KafkaCluster());
  cluster->bootstrap_servers_ = rd_kafka_mock_cluster_bootstraps(impl->mcluster);
  cluster->impl_ = std::move(impl);
  return cluster;
}

KafkaCluster::~KafkaCluster() = default;

absl::Status KafkaCluster::CreateTopic(const std::string& topic, int partitions,
                                       int replication_factor) {
  if (topic.empty()) return absl::InvalidArgumentError("kafka mock: empty topic name");
  if (partitions < 1) return absl::InvalidArgumentError("kafka mock: partitions must be >= 1");
  if (replication_factor < 1 || replication_factor > impl_->brokers) {
    return absl::InvalidArgumentError(absl::StrCat("kafka mock: replication factor ",
                                                   replication_factor, " with ", impl_->brokers,
                                                   " brokers"));
  }
  const rd_kafka_resp_err_t err =
      rd_kafka_mock_topic_create(impl_->mcluster, topic.c_str(), partitions, replication_factor);
  if (err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
    return absl::AlreadyExistsError(absl::StrCat("kafka mock: topic ", topic, " exists"));
  }
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return absl::InternalError(
        absl::StrCat("kafka mock: create topic ", topic, ": ", rd_kafka_err2str(err)));
  }
  return absl::OkStatus();
}

void KafkaCluster::SetAllBrokersDown(bool down) {
  // Mock broker ids are 1..N.
  for (int32_t id = 1; id <= impl_->brokers; ++id) {
    if (down) {
      rd_kafka_mock_broker_set_down(impl_->mcluster, id);
    } else {
      rd_kafka_mock_broker_set_up(impl_->mcluster, id);
    }
  }
}

}  // namespace tane::testing
