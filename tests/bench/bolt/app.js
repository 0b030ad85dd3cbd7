// A reference peer for socket_mode_bench: the smallest Bolt app that answers
// /coach the way firstfollower does, with a one-line coaching question in the
// ack. The bench starts it against its fake Slack and loads it exactly as it
// loads the bot.
//
// Environment (the bench sets all three):
//   SLACK_APP_TOKEN  xapp-… token for apps.connections.open
//   SLACK_BOT_TOKEN  xoxb-… token for the Web API
//   SLACK_API_URL    the Web API base, e.g. http://127.0.0.1:PORT/api/
'use strict';

const { App, LogLevel } = require('@slack/bolt');

const questions = [
  'Why are we headed in that direction?',
  'Which problem are we solving by going this way, and whose problem is it?',
  'How does this fit the bigger plan?',
  'What will the people we serve need next?',
  'How would we know it worked?',
  'What else could we do, and at what cost?',
  'Where are we, and where should we be?',
  "Is this mine to lead, or someone else's to follow?",
];

for (const name of ['SLACK_APP_TOKEN', 'SLACK_BOT_TOKEN', 'SLACK_API_URL']) {
  if (!process.env[name]) {
    console.error(`${name} is not set`);
    process.exit(2);
  }
}

const app = new App({
  socketMode: true,
  appToken: process.env.SLACK_APP_TOKEN,
  token: process.env.SLACK_BOT_TOKEN,
  clientOptions: { slackApiUrl: process.env.SLACK_API_URL },
  logLevel: LogLevel.WARN,
});

let next = 0;
app.command('/coach', async ({ ack }) => {
  const text = questions[next];
  next = (next + 1) % questions.length;
  await ack({ response_type: 'ephemeral', text });
});

const stop = async () => {
  await app.stop();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

app.start().catch((error) => {
  console.error(`the Bolt app did not start: ${error.message}`);
  process.exit(1);
});
