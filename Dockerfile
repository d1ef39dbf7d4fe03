# Build stage ---------------------------------------------------------------
FROM maven:3.9.11-eclipse-temurin-25 AS build
WORKDIR /build

# Resolve dependencies first so that this layer is cached until pom.xml changes.
# (go-offline cannot always see every plugin dependency; whatever it misses is
# downloaded by the package step below.)
COPY pom.xml ./
RUN mvn -B dependency:go-offline || true

COPY src ./src
COPY routes ./routes
RUN mvn -B -DskipTests package

# Runtime stage -------------------------------------------------------------
FROM eclipse-temurin:25.0.1_8-jre
WORKDIR /app

COPY --from=build /build/target/cache-invalidation.jar ./cache-invalidation.jar
COPY --from=build /build/target/lib/ ./lib/
COPY routes/ ./routes/
COPY application.properties ./application.properties

# Unprivileged user; /data holds the pipeline's offsets and schema history.
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin app \
    && mkdir -p /data \
    && chown app /data
USER app
ENV CDC_DATADIR=/data
EXPOSE 8080

# The application reads routes/*.yaml and application.properties from the working directory.
# Pass "pipeline" or "worker" as the command. An OutOfMemoryError ends the process, so that the container is
# restarted and replays from the saved binlog position instead of running on with dead threads. GraalJS's
# Truffle uses sun.misc.Unsafe, which Java 25 warns of at start unless allowed.
ENTRYPOINT ["java", "-XX:+ExitOnOutOfMemoryError", "--sun-misc-unsafe-memory-access=allow", "-jar", "cache-invalidation.jar"]
