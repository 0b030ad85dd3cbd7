#pragma once

// The operations listener: plain HTTP on an address of the operator's
// choice (`[ops] listen`), for health checks and Prometheus scrapes.
//   GET /healthz  200 while connected to Slack and the store answers, else
//                 503 with a JSON body naming what is wrong
//   GET /readyz   200 once Slack said hello for the first time
//   GET /metrics  the Prometheus text exposition format
// It is websocketpp's own server endpoint, the library the Socket Mode
// client already uses, on a thread of its own: a slow scrape never touches
// the socket thread. Requests are answered one at a time, so many scrapers
// at once cost one request's work at a time; a request must arrive whole
// within a few seconds and may carry no body to speak of, or its connection
// is closed.

#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace ff::ops {

// The address is not one to listen on, or it is taken; what() says which
// and why, for a message that names the setting.
class ListenError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct OpsSources {
  // What is wrong right now ("slack: not connected"); empty when healthy.
  std::function<std::vector<std::string>()> problems;
  // Whether Slack said hello once since start.
  std::function<bool()> ready;
  // The metrics, in the text exposition format.
  std::function<std::string()> metrics;
};

// "127.0.0.1:9464", "[::1]:9464", "0.0.0.0:9464"; the host may be left out
// (":9464"), and then it is loopback. Throws ListenError when it is none.
struct ListenAddress {
  std::string host;
  std::uint16_t port = 0;
};
ListenAddress parse_listen_address(const std::string& text);

class OpsListener {
 public:
  // Listens at once; throws ListenError when it cannot.
  OpsListener(const std::string& address, OpsSources sources);
  ~OpsListener();
  OpsListener(const OpsListener&) = delete;
  OpsListener& operator=(const OpsListener&) = delete;

  // The port it listens on (the one chosen when the address said 0).
  std::uint16_t port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ff::ops
