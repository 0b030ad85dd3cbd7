# Builds with the same set-up script as a developer machine, and runs the bot
# as a non-root user. Tokens come from the environment or *_FILE secrets.
# (The runtime libraries below are what `ldd firstfollower` lists.)
FROM debian:12 AS build
WORKDIR /src
COPY scripts/setup scripts/setup
RUN scripts/setup
COPY . .
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DFIRSTFOLLOWER_TESTS=OFF \
      -DFIRSTFOLLOWER_DATA_DIR=/usr/share/firstfollower \
 && cmake --build /build && cmake --install /build --prefix /usr

FROM debian:12-slim
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends \
      ca-certificates libcurl4 libssl3 libspdlog1.10 libfmt9 libtomlplusplus3 \
      libsqlite3-0 libpq5 libdate-tz3 tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home /var/lib/firstfollower --create-home firstfollower
COPY --from=build /usr/bin/firstfollower /usr/bin/firstfollower
COPY --from=build /usr/share/firstfollower /usr/share/firstfollower
USER firstfollower
# State: firstfollower.db (SQLite) lands here unless FIRSTFOLLOWER_DB names a
# PostgreSQL database. Mount a volume to keep it across containers.
WORKDIR /var/lib/firstfollower
VOLUME /var/lib/firstfollower
ENTRYPOINT ["/usr/bin/firstfollower"]
