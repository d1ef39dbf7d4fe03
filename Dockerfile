# Build stage ---------------------------------------------------------------
FROM maven:3.9.11-eclipse-temurin-25 AS build
WORKDIR /build

# Resolve dependencies first so that this layer is cached until pom.xml changes.
# (go-offline cannot always see every plugin dependency; whatever it misses is
# downloaded by the package step below.)
COPY pom.xml ./
RUN mvn -B dependency:go-offline || true

COPY src ./src
# the jar carries copies of the routes and the settings, for a start with a pipeline file alone
COPY routes ./routes
COPY application.properties ./
RUN mvn -B -DskipTests package

# Runtime stage -------------------------------------------------------------
FROM eclipse-temurin:25.0.1_8-jre
WORKDIR /app

COPY --from=build /build/target/cache-invalidation.jar ./cache-invalidation.jar
COPY --from=build /build/target/lib/ ./lib/
COPY routes/ ./routes/
COPY application.properties ./application.properties
COPY scripts/run.sh ./bin/run.sh
COPY scripts/jvm.sh scripts/jvm.options ./bin/

# The launcher (scripts/run.sh) starts the JVM with the options the application needs, those of scripts/jvm.options
# (e.g. -XX:+ExitOnOutOfMemoryError: an OutOfMemoryError ends the process, the container is restarted and replays
# from the saved binlog position), and the ahead-of-time cache.
ENV CACHE_INVALIDATION_JAR=/app/cache-invalidation.jar \
    CACHE_INVALIDATION_AOT=/app/cache-invalidation.aot

# The ahead-of-time cache (classes loaded and linked, and profiles) of a training run that needs no database or
# Redis: every route built, the script over synthetic batches. Made here, by the JVM and with the jar of this
# image, as the cache must be; a start with it reads the binlog seconds earlier.
RUN ./bin/run.sh train

# Unprivileged user; /data holds the pipeline's offsets and schema history.
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin app \
    && mkdir -p /data \
    && chown app /data
USER app
ENV CDC_DATADIR=/data
EXPOSE 8080

# The application reads routes/*.yaml and application.properties from the working directory.
# Pass "pipeline" or "worker" as the command. The launcher execs java, which stays the container's main process.
ENTRYPOINT ["/app/bin/run.sh"]
