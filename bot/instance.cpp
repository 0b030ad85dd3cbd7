#include "bot/instance.hpp"

#include <unistd.h>

#include <random>

namespace ff {

std::string made_up_instance_name() {
  char host[64] = {};
  gethostname(host, sizeof host - 1);
  std::random_device random;
  return std::string(host) + ":" + std::to_string(getpid()) + ":" +
         std::to_string(random() % 100000);
}

}  // namespace ff
