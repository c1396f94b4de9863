#include "tane/gateway/http_client.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <functional>

namespace tane::gateway {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

std::string HttpResult::Header(std::string name) const {
  auto it = headers.find(Lower(std::move(name)));
  return it == headers.end() ? "" : it->second;
}

// Blocking calls made of asynchronous operations run to completion on a
// private io_context, so the stream's expiry bounds every read and write.
struct HttpClient::Impl {
  net::io_context io;
  beast::tcp_stream stream{io};
  beast::flat_buffer buffer;
  std::string host;
  int port = 0;
  absl::Duration timeout;
  bool open = false;

  // Runs the operations started so far to completion.
  void Run() {
    io.restart();
    io.run();
  }

  absl::Status Open() {
    boost::system::error_code ec;
    if (stream.socket().is_open()) stream.socket().close(ec);
    buffer.clear();
    tcp::resolver resolver(io);
    auto endpoints = resolver.resolve(host, std::to_string(port), ec);
    if (!ec) {
      stream.expires_after(absl::ToChronoMilliseconds(timeout));
      stream.async_connect(endpoints, [&ec](boost::system::error_code e, const tcp::endpoint&) { ec = e; });
      Run();
    }
    if (ec)
      return absl::UnavailableError("cannot connect to " + host + ":" + std::to_string(port) + ": " + ec.message());
    stream.socket().set_option(tcp::no_delay(true), ec);
    open = true;
    return absl::OkStatus();
  }

  absl::Status Write(const std::function<void(std::function<void(boost::system::error_code)>)>& start) {
    boost::system::error_code ec;
    stream.expires_after(absl::ToChronoMilliseconds(timeout));
    start([&ec](boost::system::error_code e) { ec = e; });
    Run();
    if (ec) {
      open = false;
      return absl::UnavailableError("writing the request failed: " + ec.message());
    }
    return absl::OkStatus();
  }

  absl::StatusOr<HttpResult> Read() {
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 << 20);
    boost::system::error_code ec;
    stream.expires_after(absl::ToChronoMilliseconds(timeout));
    http::async_read(stream, buffer, parser, [&ec](boost::system::error_code e, std::size_t) { ec = e; });
    Run();
    if (ec) {
      open = false;
      return absl::UnavailableError("reading the response failed: " + ec.message());
    }
    auto& response = parser.get();
    HttpResult result;
    result.status = response.result_int();
    for (const auto& field : response) {
      std::string& value = result.headers[Lower(std::string(field.name_string()))];
      value += (value.empty() ? "" : ", ") + std::string(field.value());
    }
    result.body = response.body();
    result.keep_alive = response.keep_alive();
    // A 1xx interim response leaves the connection open for the real one.
    if (!result.keep_alive && result.status >= 200) {
      stream.socket().shutdown(tcp::socket::shutdown_both, ec);
      stream.socket().close(ec);
      open = false;
    }
    return result;
  }
};

HttpClient::HttpClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpClient::~HttpClient() = default;

absl::StatusOr<std::unique_ptr<HttpClient>> HttpClient::Connect(const std::string& host, int port,
                                                                absl::Duration timeout) {
  auto impl = std::make_unique<Impl>();
  impl->host = host;
  impl->port = port;
  impl->timeout = timeout;
  if (auto status = impl->Open(); !status.ok()) return status;
  return std::unique_ptr<HttpClient>(new HttpClient(std::move(impl)));
}

absl::StatusOr<HttpResult> HttpClient::Send(const std::string& method, const std::string& target,
                                            const std::string& body, const Headers& headers) {
  if (!impl_->open) {
    if (auto status = impl_->Open(); !status.ok()) return status;
  }
  http::request<http::string_body> request(http::string_to_verb(method), target, 11);
  if (request.method() == http::verb::unknown) request.method_string(method);
  request.set(http::field::host, impl_->host + ":" + std::to_string(impl_->port));
  request.set(http::field::user_agent, "tane-http-client");
  bool has_type = false;
  for (const auto& [name, value] : headers) {
    request.set(name, value);
    has_type = has_type || Lower(name) == "content-type";
  }
  if (!body.empty() && !has_type) request.set(http::field::content_type, "application/json");
  request.body() = body;
  request.prepare_payload();
  auto written = impl_->Write([&](auto done) {
    http::async_write(impl_->stream, request, [done](boost::system::error_code ec, std::size_t) { done(ec); });
  });
  if (!written.ok()) return written;
  return impl_->Read();
}

absl::StatusOr<HttpResult> HttpClient::SendRaw(const std::string& bytes) {
  if (!impl_->open) {
    if (auto status = impl_->Open(); !status.ok()) return status;
  }
  auto written = impl_->Write([&](auto done) {
    net::async_write(impl_->stream, net::buffer(bytes),
                     [done](boost::system::error_code ec, std::size_t) { done(ec); });
  });
  if (!written.ok()) return written;
  return impl_->Read();
}

int HttpClient::local_port() const {
  boost::system::error_code ec;
  const auto endpoint = impl_->stream.socket().local_endpoint(ec);
  return ec ? 0 : endpoint.port();
}

bool HttpClient::connected() const { return impl_->open; }

}  // namespace tane::gateway
