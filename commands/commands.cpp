#include "commands/commands.hpp"

#include "commands/coach.hpp"
#include "commands/help.hpp"
#include "commands/initiative/initiative.hpp"
#include "commands/my_data.hpp"
#include "commands/nit.hpp"
#include "commands/sixmonths.hpp"

namespace ff::commands {

void register_all(EnvelopeRouter& router, Services& services) {
  register_coach(router, services);
  register_help(router, services);
  register_my_data(router, services);
  register_nit(router, services);
  register_sixmonths(router, services);
  register_initiative(router, services);
}

void register_jobs(JobScheduler& scheduler, Services& services) {
  register_initiative_jobs(scheduler, services);
}

}  // namespace ff::commands
