#include "tane/gateway/load_generator.h"

#include <algorithm>
#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

namespace tane::gateway {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

struct Shared {
  const LoadOptions* options;
  std::atomic<uint64_t> next{0};
  std::mutex mu;
  std::vector<int64_t> latencies_ns;
  std::map<int, uint64_t> statuses;
  uint64_t errors = 0;
  std::atomic<int> connect_failures{0};
};

// One keep-alive connection sending requests back to back.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(net::io_context& io, Shared& shared) : stream_(net::make_strand(io)), shared_(shared) {}
  ~Connection() {
    std::lock_guard lock(shared_.mu);
    shared_.latencies_ns.insert(shared_.latencies_ns.end(), latencies_.begin(), latencies_.end());
    for (auto [status, n] : statuses_) shared_.statuses[status] += n;
    shared_.errors += errors_;
  }

  void Start(const tcp::resolver::results_type& endpoints) {
    stream_.async_connect(endpoints, [self = shared_from_this()](beast::error_code ec, const tcp::endpoint&) {
      if (ec) {
        ++self->shared_.connect_failures;
        return;
      }
      self->stream_.socket().set_option(tcp::no_delay(true), ec);
      self->Next();
    });
  }

 private:
  void Next() {
    const uint64_t i = shared_.next++;
    if (i >= shared_.options->requests) return;
    LoadRequest spec = shared_.options->make_request(i);
    request_ = {http::string_to_verb(spec.method), spec.target, 11};
    request_.set(http::field::host, shared_.options->host);
    for (const auto& [name, value] : spec.headers) request_.set(name, value);
    if (!spec.body.empty()) request_.set(http::field::content_type, "application/json");
    request_.body() = std::move(spec.body);
    request_.keep_alive(true);
    request_.prepare_payload();
    started_ = Clock::now();
    http::async_write(stream_, request_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->Fail();
      self->parser_.emplace();
      self->parser_->body_limit(64 << 20);
      http::async_read(self->stream_, self->buffer_, *self->parser_,
                       [self](beast::error_code ec, std::size_t) { self->OnResponse(ec); });
    });
  }

  void OnResponse(beast::error_code ec) {
    if (ec) return Fail();
    latencies_.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - started_).count());
    const int status = parser_->get().result_int();
    ++statuses_[status];
    if (status < 200 || status >= 300) ++errors_;
    if (!parser_->get().keep_alive()) return;  // the server closed: this connection is done
    Next();
  }

  void Fail() { ++errors_; }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  std::optional<http::response_parser<http::string_body>> parser_;
  Clock::time_point started_;
  Shared& shared_;
  std::vector<int64_t> latencies_;
  std::map<int, uint64_t> statuses_;
  uint64_t errors_ = 0;
};

absl::Duration Percentile(const std::vector<int64_t>& sorted, double p) {
  if (sorted.empty()) return absl::ZeroDuration();
  const size_t index = std::min(sorted.size() - 1, static_cast<size_t>(p * static_cast<double>(sorted.size())));
  return absl::Nanoseconds(sorted[index]);
}

}  // namespace

absl::StatusOr<LoadResult> RunLoad(const LoadOptions& options) {
  if (!options.make_request) return absl::InvalidArgumentError("make_request is not set");
  net::io_context io(std::max(1, options.threads));
  tcp::resolver resolver(io);
  boost::system::error_code ec;
  auto endpoints = resolver.resolve(options.host, std::to_string(options.port), ec);
  if (ec) return absl::UnavailableError("cannot resolve " + options.host + ": " + ec.message());
  Shared shared;
  shared.options = &options;
  const auto start = Clock::now();
  for (int c = 0; c < options.connections; ++c) std::make_shared<Connection>(io, shared)->Start(endpoints);
  std::vector<std::thread> threads;
  for (int t = 1; t < options.threads; ++t) threads.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& t : threads) t.join();
  const auto elapsed = Clock::now() - start;
  if (shared.connect_failures == options.connections) {
    return absl::UnavailableError("no connection to " + options.host + ":" + std::to_string(options.port));
  }
  LoadResult result;
  std::sort(shared.latencies_ns.begin(), shared.latencies_ns.end());
  result.requests = shared.latencies_ns.size();
  result.errors = shared.errors;
  result.statuses = shared.statuses;
  result.elapsed = absl::FromChrono(elapsed);
  result.requests_per_second = static_cast<double>(result.requests) / absl::ToDoubleSeconds(result.elapsed);
  result.p50 = Percentile(shared.latencies_ns, 0.50);
  result.p90 = Percentile(shared.latencies_ns, 0.90);
  result.p99 = Percentile(shared.latencies_ns, 0.99);
  result.max = shared.latencies_ns.empty() ? absl::ZeroDuration() : absl::Nanoseconds(shared.latencies_ns.back());
  return result;
}

}  // namespace tane::gateway
