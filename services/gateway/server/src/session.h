#pragma once
// One HTTP/1.1 connection: reads a request (header first, so a body over
// the limit is refused before it is read and Expect: 100-continue is
// honoured), hands it to the Dispatcher, writes the answer, and repeats
// while the connection is kept alive. Every step runs on the connection's
// strand; nothing blocks.

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "dispatcher.h"

namespace tane::gateway::internal {

class SessionRegistry;

class Session final : public std::enable_shared_from_this<Session> {
 public:
  Session(boost::asio::ip::tcp::socket socket, Dispatcher& dispatcher, const GatewayOptions& options,
          SessionRegistry& registry);
  ~Session();

  void Start();
  /// Closes the connection if it is waiting for a next request (shutdown).
  void CloseIfIdle();

 private:
  void ReadHeader();
  void OnHeader(boost::beast::error_code ec);
  void ReadBody();
  void OnBody(boost::beast::error_code ec);
  void Write(HttpResponse response);
  void OnWrite(bool close, boost::beast::error_code ec);
  void Reject(unsigned http_status, const absl::Status& status, bool with_header);
  absl::Status BodyTooLarge() const;
  void Close();

  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<HttpResponse> response_;  // alive while written
  std::string remote_;
  Dispatcher& dispatcher_;
  const GatewayOptions& options_;
  SessionRegistry& registry_;
  bool idle_ = false;  // waiting for the first byte of a request
};

/// The open connections, so shutdown can close the idle ones and wait for the rest.
class SessionRegistry final {
 public:
  void Add(const std::shared_ptr<Session>& session);
  void Remove(Session* session);
  void CloseIdle();
  bool WaitUntilEmpty(absl::Duration timeout);

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::unordered_map<Session*, std::weak_ptr<Session>> sessions_;
};

}  // namespace tane::gateway::internal
