#pragma once

#include <string>

namespace ff {

// A name for this process in the tables instances share (the jobs it holds,
// the envelopes it took): host, process id and a random part, so a restart
// on the same host is another instance.
std::string made_up_instance_name();

}  // namespace ff
