// Writes to the store in a loop and prints the number of each write once its
// transaction has committed. A test kills it with SIGKILL mid-loop and then
// checks that every printed write is in the database.
#include <cstdio>
#include <string>

#include <spdlog/spdlog.h>

#include "store/store_support.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: crash_writer DATABASE\n");
    return 2;
  }
  spdlog::set_level(spdlog::level::off);  // stdout carries only the committed numbers
  auto store = ff::store::SqlStore::open(argv[1], {}, ff::SystemClock::instance());
  for (int i = 0; i < 10'000'000; ++i) {
    const std::string key = "W" + std::to_string(i);
    if (!ff::testing::handled_once(*store, key)) return 1;
    store->record_decision(
        {0, "U" + std::to_string(i % 97), "C1", key, "no", ff::SystemClock::instance().now(), {}});
    std::printf("%d\n", i);
    std::fflush(stdout);
  }
  return 0;
}
