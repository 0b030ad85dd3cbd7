#include "commands/commands.hpp"

#include "commands/coach.hpp"
#include "commands/help.hpp"
#include "commands/home/home.hpp"
#include "commands/initiative/initiative.hpp"
#include "commands/my_data.hpp"
#include "commands/nit.hpp"
#include "commands/nudges/nudges.hpp"
#include "commands/reflect/reflect.hpp"
#include "commands/sixmonths.hpp"

namespace ff::commands {

namespace {

InitiativeServices initiative_services(const Services& services, const FeatureStores& stores) {
  return {services, stores.initiatives, stores.jobs, stores.profiles, stores.feedback};
}

ReflectServices reflect_services(const Services& services, const FeatureStores& stores) {
  return {services,        stores.dialogs,     stores.reflections, stores.jobs,
          stores.profiles, stores.initiatives, stores.nudge_log};
}

NudgeServices nudge_services(const Services& services, const FeatureStores& stores) {
  return {services,
          stores.nudge_schedules,
          stores.nudge_log,
          stores.jobs,
          stores.profiles,
          stores.initiatives,
          reflect_services(services, stores)};
}

CoachServices coach_services(const Services& services, const FeatureStores& stores) {
  return {services,      stores.figures,   stores.personal_data,
          stores.claims, stores.nudge_log, stores.reflections};
}

HomeServices home_services(const Services& services, const FeatureStores& stores) {
  return {services, stores.initiatives, stores.profiles, nudge_services(services, stores),
          coach_services(services, stores)};
}

}  // namespace

void register_all(EnvelopeRouter& router, const Services& services, const FeatureStores& stores) {
  register_coach(router.feature("coach"), coach_services(services, stores));
  register_help(router.feature("help"), services);
  register_my_data(router.feature("my_data"), stores.personal_data);
  register_nit(router.feature("nit"), {services, stores.feedback});
  register_sixmonths(router.feature("sixmonths"), {services, stores.decisions});
  register_initiative(router.feature("initiative"), initiative_services(services, stores));
  // After nudges: a reply in a nudge's thread is the nudge's, not the dialog's.
  register_nudges(router.feature("nudges"), nudge_services(services, stores));
  register_reflect(router.feature("reflect"), reflect_services(services, stores));
  register_home(router.feature("home"), home_services(services, stores));
}

HomeRefresh::Publisher home_publisher(const Services& services, const FeatureStores& stores) {
  return [home = home_services(services, stores)](const std::string& user_id) {
    publish_home(home, user_id);
  };
}

void register_jobs(JobScheduler& scheduler, const Services& services, const FeatureStores& stores) {
  register_initiative_jobs(scheduler, initiative_services(services, stores));
  register_nudge_jobs(scheduler, nudge_services(services, stores));
  register_reflect_jobs(scheduler, reflect_services(services, stores));
}

}  // namespace ff::commands
