# Builds with the same set-up script as a developer machine, and runs the bot
# as a non-root user. tests/container/check_container.py checks this file
# against the built binary (ctest runs it): the build stage runs
# scripts/setup, every library the binary links is installed below, and the
# runtime stage has its user, volume, entrypoint and health check.

# Debian 12 in both stages: the runtime packages below are the ones the
# build stage's libraries came from, so their sonames match.
FROM debian:12 AS build
WORKDIR /src
# The set-up script alone first, so the dependency layer is reused while
# only the sources change.
COPY scripts/setup scripts/setup
RUN scripts/setup
COPY . .
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DFIRSTFOLLOWER_TESTS=OFF \
      -DFIRSTFOLLOWER_DATA_DIR=/usr/share/firstfollower \
 && cmake --build /build && cmake --install /build --prefix /usr

FROM debian:12-slim
# The packages of the libraries the binary links directly (libssl3 holds
# libcrypto too); what those need comes with them, and libc6, libgcc-s1 and
# libstdc++6 are part of debian:12-slim already. ca-certificates: TLS to
# Slack. tzdata: working hours and nudges in each person's time zone.
# No curl: the health check below needs only bash, which slim has.
# The fixed uid and gid let a host give secrets files and volumes to the
# bot's user (chown 10001) before the container exists.
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends \
      ca-certificates libcurl4 libssl3 libspdlog1.10 libfmt9 libtomlplusplus3 \
      libsqlite3-0 libpq5 libdate-tz3 tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 firstfollower \
 && useradd --system --no-log-init --uid 10001 --gid firstfollower \
      --home-dir /var/lib/firstfollower --create-home --shell /usr/sbin/nologin firstfollower
COPY --from=build /usr/bin/firstfollower /usr/bin/firstfollower
COPY --from=build /usr/share/firstfollower /usr/share/firstfollower
# Tokens are never baked in. Pass SLACK_APP_TOKEN_FILE and SLACK_BOT_TOKEN_FILE
# naming mounted secrets (such as /run/secrets/slack_app_token), or the
# tokens themselves as SLACK_APP_TOKEN and SLACK_BOT_TOKEN; not both for the
# same token. No default for the _FILE variables here: a default would make
# the bot refuse a token given directly.
# The ops listener (/healthz, /readyz, /metrics) is off unless given an
# address; in a container it has to listen beyond loopback for the port to
# be published or scraped.
ENV FIRSTFOLLOWER_OPS_LISTEN=0.0.0.0:9464
EXPOSE 9464
# Numeric, so that an orchestrator can tell the user is not root without
# looking it up in the image (Kubernetes runAsNonRoot).
USER 10001:10001
# State: firstfollower.db (SQLite) lands here unless FIRSTFOLLOWER_DB names a
# PostgreSQL database. Mount a volume to keep it across containers; a new
# named volume starts out owned by the bot's user, as this folder is.
WORKDIR /var/lib/firstfollower
VOLUME /var/lib/firstfollower
# /healthz answers 200 while connected to Slack and the database answers.
# bash's /dev/tcp speaks the HTTP, so the image needs no curl; bash, not sh,
# since dash has no /dev/tcp. The port follows FIRSTFOLLOWER_OPS_LISTEN when
# it is changed at run time. The start period covers connecting to Slack.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${FIRSTFOLLOWER_OPS_LISTEN##*:} && printf 'GET /healthz HTTP/1.0\\r\\nHost: 127.0.0.1\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
# Exec form: the bot is PID 1 and gets SIGTERM itself, and finishes the
# envelopes in flight (bot.shutdown_grace_ms) before it exits.
ENTRYPOINT ["/usr/bin/firstfollower"]
