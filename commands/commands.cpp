#include "commands/commands.hpp"

#include "commands/coach.hpp"
#include "commands/help.hpp"
#include "commands/initiative/initiative.hpp"
#include "commands/my_data.hpp"
#include "commands/nit.hpp"
#include "commands/sixmonths.hpp"

namespace ff::commands {

void register_all(EnvelopeRouter& router, Services& services) {
  register_coach(router.feature("coach"), services);
  register_help(router.feature("help"), services);
  register_my_data(router.feature("my_data"), services);
  register_nit(router.feature("nit"), services);
  register_sixmonths(router.feature("sixmonths"), services);
  register_initiative(router.feature("initiative"), services);
}

void register_jobs(JobScheduler& scheduler, Services& services) {
  register_initiative_jobs(scheduler, services);
}

}  // namespace ff::commands
