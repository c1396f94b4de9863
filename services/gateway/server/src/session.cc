#include "session.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "absl/strings/str_cat.h"

namespace tane::gateway::internal {
namespace {

namespace beast = boost::beast;
namespace net = boost::asio;

constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
// Time allowed to write one response to a slow client.
constexpr auto kWriteTimeout = std::chrono::seconds(30);

bool EqualsIgnoreCase(beast::string_view a, std::string_view b) {
  return beast::iequals(a, beast::string_view(b.data(), b.size()));
}

}  // namespace

Session::Session(net::ip::tcp::socket socket, Dispatcher& dispatcher, const GatewayOptions& options,
                 SessionRegistry& registry)
    : stream_(std::move(socket)), dispatcher_(dispatcher), options_(options), registry_(registry) {
  beast::error_code ec;
  const auto endpoint = stream_.socket().remote_endpoint(ec);
  if (!ec) remote_ = endpoint.address().to_string();
}

Session::~Session() { registry_.Remove(this); }

void Session::Start() {
  net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->ReadHeader(); });
}

void Session::CloseIfIdle() {
  net::post(stream_.get_executor(), [self = shared_from_this()] {
    if (self->idle_) self->Close();
  });
}

void Session::ReadHeader() {
  if (dispatcher_.shutting_down() && buffer_.size() == 0) {
    Close();
    return;
  }
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(options_.max_header_bytes));
  parser_->body_limit(options_.max_body_bytes);
  idle_ = buffer_.size() == 0;
  stream_.expires_after(absl::ToChronoMilliseconds(options_.idle_timeout));
  http::async_read_header(stream_, buffer_, *parser_,
                          [self = shared_from_this()](beast::error_code ec, std::size_t) { self->OnHeader(ec); });
}

void Session::OnHeader(beast::error_code ec) {
  idle_ = false;
  if (ec == http::error::body_limit) {  // a Content-Length over the limit, seen with the header
    Reject(400, BodyTooLarge(), true);
    return;
  }
  if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == net::error::operation_aborted ||
      ec == net::error::connection_reset || ec == net::error::eof) {
    Close();
    return;
  }
  if (ec == http::error::header_limit) {
    Reject(431,
           absl::InvalidArgumentError(
               absl::StrCat("the request line and headers exceed ", options_.max_header_bytes, " bytes")),
           false);
    return;
  }
  if (ec) {
    Reject(400, absl::InvalidArgumentError("malformed HTTP request: " + ec.message()), false);
    return;
  }
  if (EqualsIgnoreCase(parser_->get()[http::field::expect], "100-continue")) {
    net::async_write(stream_, net::buffer(kContinue.data(), kContinue.size()),
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       if (ec) return self->Close();
                       self->ReadBody();
                     });
    return;
  }
  ReadBody();
}

void Session::ReadBody() {
  if (parser_->is_done()) {
    OnBody({});
    return;
  }
  http::async_read(stream_, buffer_, *parser_,
                   [self = shared_from_this()](beast::error_code ec, std::size_t) { self->OnBody(ec); });
}

void Session::OnBody(beast::error_code ec) {
  if (ec == http::error::body_limit) {
    Reject(400, BodyTooLarge(), true);
    return;
  }
  if (ec == beast::error::timeout || ec == net::error::operation_aborted || ec == http::error::end_of_stream ||
      ec == net::error::connection_reset || ec == net::error::eof || ec == http::error::partial_message) {
    Close();
    return;
  }
  if (ec) {
    Reject(400, absl::InvalidArgumentError("malformed HTTP request body: " + ec.message()), true);
    return;
  }
  // The upstream call bounds itself with its deadline.
  stream_.expires_never();
  dispatcher_.Handle(parser_->release(), remote_, [self = shared_from_this()](HttpResponse response) {
    net::post(self->stream_.get_executor(),
              [self, response = std::move(response)]() mutable { self->Write(std::move(response)); });
  });
}

absl::Status Session::BodyTooLarge() const {
  if (auto length = parser_->content_length()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the request body is ", *length, " bytes; the limit is ", options_.max_body_bytes));
  }
  return absl::InvalidArgumentError(
      absl::StrCat("the request body exceeds the limit of ", options_.max_body_bytes, " bytes"));
}

void Session::Reject(unsigned http_status, const absl::Status& status, bool with_header) {
  const HttpRequest* partial = with_header ? &parser_->get() : nullptr;
  const unsigned version = with_header ? parser_->get().version() : 11;
  dispatcher_.Reject(
      partial, version, http_status, status, remote_, [self = shared_from_this()](HttpResponse response) {
        net::post(self->stream_.get_executor(),
                  [self, response = std::move(response)]() mutable { self->Write(std::move(response)); });
      });
}

void Session::Write(HttpResponse response) {
  response_ = std::make_shared<HttpResponse>(std::move(response));
  const bool close = !response_->keep_alive();
  stream_.expires_after(kWriteTimeout);
  http::async_write(stream_, *response_, [self = shared_from_this(), close](beast::error_code ec, std::size_t) {
    self->OnWrite(close, ec);
  });
}

void Session::OnWrite(bool close, beast::error_code ec) {
  response_.reset();
  if (ec || close) {
    Close();
    return;
  }
  ReadHeader();
}

void Session::Close() {
  beast::error_code ec;
  stream_.socket().shutdown(net::ip::tcp::socket::shutdown_both, ec);
  stream_.socket().close(ec);
}

void SessionRegistry::Add(const std::shared_ptr<Session>& session) {
  std::lock_guard lock(mu_);
  sessions_.emplace(session.get(), session);
}

void SessionRegistry::Remove(Session* session) {
  std::lock_guard lock(mu_);
  sessions_.erase(session);
  if (sessions_.empty()) cv_.notify_all();
}

void SessionRegistry::CloseIdle() {
  std::vector<std::shared_ptr<Session>> open;
  {
    std::lock_guard lock(mu_);
    for (auto& [ptr, weak] : sessions_) {
      if (auto session = weak.lock()) open.push_back(std::move(session));
    }
  }
  for (auto& session : open) session->CloseIfIdle();
}

bool SessionRegistry::WaitUntilEmpty(absl::Duration timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, absl::ToChronoMilliseconds(timeout), [this] { return sessions_.empty(); });
}

}  // namespace tane::gateway::internal
