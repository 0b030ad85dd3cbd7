// The metrics registry's pieces and the ops listener's address, alone. The
// listener itself, over HTTP, is tested in tests/integration/ops_test.cpp.
#include <catch2/catch.hpp>

#include "bot/metrics.hpp"
#include "bot/ops/ops_listener.hpp"

using namespace ff;
using namespace std::chrono_literals;

TEST_CASE("metrics: label values and help are escaped as the text format requires") {
  metrics::Exposition out;
  out.family("x_total", metrics::Exposition::Type::kCounter, "a \\ b\nc \"d\"");
  out.sample("x_total", {{"method", "a\"b\\c\nd"}}, 3);
  out.sample("x_total", {}, 0.25);
  CHECK(out.text() ==
        "# HELP x_total a \\\\ b\\nc \"d\"\n"
        "# TYPE x_total counter\n"
        "x_total{method=\"a\\\"b\\\\c\\nd\"} 3\n"
        "x_total 0.25\n");
}

TEST_CASE("metrics: a histogram's buckets are cumulative and end in +Inf, its count") {
  metrics::Histogram histogram({0.001, 0.01});
  histogram.observe(500us);
  histogram.observe(1ms);  // on a bound: in that bucket (le is "less or equal")
  histogram.observe(5ms);
  histogram.observe(2s);
  metrics::Exposition out;
  histogram.write(out, "t_seconds", {{"k", "v"}});
  CHECK(out.text() ==
        "t_seconds_bucket{k=\"v\",le=\"0.001\"} 2\n"
        "t_seconds_bucket{k=\"v\",le=\"0.01\"} 3\n"
        "t_seconds_bucket{k=\"v\",le=\"+Inf\"} 4\n"
        "t_seconds_sum{k=\"v\"} 2.0065\n"
        "t_seconds_count{k=\"v\"} 4\n");
}

TEST_CASE("metrics: a labelled counter adds per label values and starts at nothing") {
  metrics::CounterFamily<2> calls("c_total", "Calls.", {"method", "result"});
  calls.add({"chat.postMessage", "ok"});
  calls.add({"chat.postMessage", "ok"}, 2);
  calls.add({"chat.update", "ratelimited"});
  CHECK(calls.value({"chat.postMessage", "ok"}) == 3);
  CHECK(calls.value({"chat.update", "ok"}) == 0);
  metrics::Exposition out;
  calls.write(out);
  CHECK(out.text().find("c_total{method=\"chat.update\",result=\"ratelimited\"} 1\n") !=
        std::string::npos);
}

TEST_CASE("ops: listen addresses, with loopback when the host is left out") {
  const auto plain = ops::parse_listen_address("127.0.0.1:9464");
  CHECK(plain.host == "127.0.0.1");
  CHECK(plain.port == 9464);
  const auto v6 = ops::parse_listen_address("[::1]:9000");
  CHECK(v6.host == "::1");
  CHECK(v6.port == 9000);
  CHECK(ops::parse_listen_address(":9464").host == "127.0.0.1");
  CHECK(ops::parse_listen_address("0.0.0.0:0").port == 0);
  for (const char* bad : {"9464", "localhost:9464", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1",
                          "127.0.0.1:94a", "1.2.3:80"}) {
    INFO(bad);
    CHECK_THROWS_AS(ops::parse_listen_address(bad), ops::ListenError);
  }
}
