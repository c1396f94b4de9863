#include "tane/gateway/gateway.h"

#include <algorithm>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <charconv>
#include <thread>

#include "dispatcher.h"
#include "session.h"
#include "tane/telemetry/log.h"
#include "upstreams.h"

namespace tane::gateway {
namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;

absl::StatusOr<tcp::endpoint> ParseEndpoint(const std::string& addr) {
  const size_t colon = addr.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return absl::InvalidArgumentError("HTTP address must be host:port, got \"" + addr + "\"");
  }
  std::string host = addr.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  const std::string port_text = addr.substr(colon + 1);
  int port = -1;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port < 0 || port > 65535) {
    return absl::InvalidArgumentError("HTTP address has a bad port: \"" + addr + "\"");
  }
  if (host == "localhost") host = "127.0.0.1";
  boost::system::error_code error;
  const net::ip::address address = net::ip::make_address(host, error);
  if (error) return absl::InvalidArgumentError("HTTP address host must be an IP address, got \"" + host + "\"");
  return tcp::endpoint(address, static_cast<unsigned short>(port));
}

}  // namespace

struct Gateway::Impl {
  Impl(GatewayOptions opts, RouteTable table, Authenticator authenticator, telemetry::Metrics& metrics)
      : options(std::move(opts)),
        routes(std::move(table)),
        openapi(BuildOpenApi(routes, options.openapi)),
        upstreams(options.upstreams, routes, options.readiness_interval, metrics),
        dispatcher(options, routes, std::move(authenticator), upstreams, metrics, openapi),
        io(std::max(1, options.http_threads)),
        work(net::make_work_guard(io)),
        acceptor(net::make_strand(io)) {}

  void Accept() {
    acceptor.async_accept(net::make_strand(io), [this](boost::system::error_code ec, tcp::socket socket) {
      if (ec) {
        if (ec == net::error::operation_aborted || !acceptor.is_open()) return;
        telemetry::LogWarn("accept failed", {{"error", ec.message()}});
      } else {
        auto session = std::make_shared<internal::Session>(std::move(socket), dispatcher, options, sessions);
        sessions.Add(session);
        session->Start();
      }
      Accept();
    });
  }

  const GatewayOptions options;
  const RouteTable routes;
  const std::string openapi;
  internal::Upstreams upstreams;
  internal::Dispatcher dispatcher;
  internal::SessionRegistry sessions;
  net::io_context io;
  // While a request waits for its upstream call the connection has no I/O
  // pending; without this the I/O threads would run out of work and return.
  net::executor_work_guard<net::io_context::executor_type> work;
  tcp::acceptor acceptor;
  std::vector<std::thread> threads;
  int port = 0;
  std::mutex mu;
  bool started = false;
  bool stopped = false;
};

absl::StatusOr<std::unique_ptr<Gateway>> Gateway::Create(GatewayOptions options, telemetry::Metrics* metrics) {
  if (auto endpoint = ParseEndpoint(options.http_addr); !endpoint.ok()) return endpoint.status();
  if (options.http_threads < 1) return absl::InvalidArgumentError("http_threads must be at least 1");
  if (options.max_body_bytes == 0) return absl::InvalidArgumentError("max_body_bytes must be positive");
  if (options.upstream_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("upstream_timeout must be positive");
  }
  if (options.partner_key_ttl < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("partner_key_ttl must not be negative");
  }
  if (options.partner_key_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("partner_key_timeout must be positive");
  }
  if (options.services.empty()) options.services = LinkedServices();
  auto routes = RouteTable::Build(options.services);
  if (!routes.ok())
    return absl::InvalidArgumentError("cannot build the routes:\n" + std::string(routes.status().message()));
  const std::vector<std::string> routed = routes->Upstreams();
  for (const auto& [name, address] : options.upstreams) {
    if (address.empty()) continue;
    if (std::find(routed.begin(), routed.end(), name) == routed.end()) {
      return absl::InvalidArgumentError("an address is configured for upstream \"" + name +
                                        "\" but no linked proto service routes to it");
    }
  }
  auto verifier = auth::JwtVerifier::Create(options.jwt);
  if (!verifier.ok()) return verifier.status();
  Authenticator authenticator(*std::move(verifier), options.api_keys);
  for (const std::string& skipped : routes->skipped()) telemetry::LogWarn("not routed", {{"reason", skipped}});
  auto impl = std::make_unique<Impl>(std::move(options), *std::move(routes), std::move(authenticator), *metrics);
  return std::unique_ptr<Gateway>(new Gateway(std::move(impl)));
}

Gateway::Gateway(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Gateway::~Gateway() { Stop(); }

absl::Status Gateway::Start() {
  Impl& d = *impl_;
  {
    std::lock_guard lock(d.mu);
    if (d.started) return absl::FailedPreconditionError("the gateway was already started");
    d.started = true;
  }
  const tcp::endpoint endpoint = *ParseEndpoint(d.options.http_addr);
  boost::system::error_code ec;
  d.acceptor.open(endpoint.protocol(), ec);
  if (!ec) d.acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) d.acceptor.bind(endpoint, ec);
  if (!ec) d.acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return absl::UnavailableError("cannot serve HTTP on " + d.options.http_addr + ": " + ec.message());
  }
  d.port = d.acceptor.local_endpoint().port();
  d.upstreams.StartChecks();
  d.Accept();
  for (int i = 0; i < std::max(1, d.options.http_threads); ++i) d.threads.emplace_back([&d] { d.io.run(); });
  std::string upstreams;
  for (const auto& [name, address] : d.options.upstreams) {
    if (!address.empty()) upstreams += (upstreams.empty() ? "" : " ") + name + "=" + address;
  }
  telemetry::LogInfo("gateway serving", {{"http_port", d.port},
                                         {"routes", static_cast<int64_t>(d.routes.routes().size())},
                                         {"upstreams", upstreams.empty() ? "(none)" : upstreams}});
  return absl::OkStatus();
}

void Gateway::Stop() {
  Impl& d = *impl_;
  {
    std::lock_guard lock(d.mu);
    if (!d.started || d.stopped) {
      d.stopped = true;
      return;
    }
    d.stopped = true;
  }
  d.dispatcher.BeginShutdown();
  net::post(d.acceptor.get_executor(), [&d] {
    boost::system::error_code ec;
    d.acceptor.close(ec);
  });
  d.sessions.CloseIdle();
  const absl::Time deadline = absl::Now() + d.options.shutdown_grace;
  if (!d.dispatcher.inflight().WaitUntilEmpty(d.options.shutdown_grace)) {
    telemetry::LogWarn("shutdown grace over: cancelling in-flight upstream calls");
    d.dispatcher.inflight().CancelAll();
    d.dispatcher.inflight().WaitUntilEmpty(absl::InfiniteDuration());
  }
  // Connections finish writing their last (Connection: close) response.
  d.sessions.CloseIdle();
  d.sessions.WaitUntilEmpty(std::max(absl::Seconds(1), deadline - absl::Now()));
  d.work.reset();
  d.io.stop();
  for (std::thread& t : d.threads) t.join();
  d.threads.clear();
  // A request read after the wait above may have started a call (cancelled
  // at once by CancelAll's mark, when it ran): nothing reads requests any
  // more, so once these callbacks have run none can touch the dispatcher.
  d.dispatcher.inflight().CancelAll();
  d.dispatcher.inflight().WaitUntilEmpty(absl::InfiniteDuration());
  d.upstreams.StopChecks();
  telemetry::LogInfo("gateway stopped");
}

int Gateway::port() const { return impl_->port; }
bool Gateway::Ready() const { return impl_->upstreams.AllServing(); }
const RouteTable& Gateway::routes() const { return impl_->routes; }
const std::string& Gateway::openapi_json() const { return impl_->openapi; }

}  // namespace tane::gateway
