# Production Line as a container: the runnable jar on a Java 17 runtime, as a non-root user.
# Not built or run in this repository's CI (no registry here); kept minimal on purpose.
#   mvn -q -DskipTests package && docker build -t production-line . && docker compose up
# Inside a container, name PostgreSQL and Redis (PL_PG_URL, PL_REDIS_URL: compose.yaml does) rather
# than relying on the embedded default, and listen on all interfaces (PL_HTTP_HOST=0.0.0.0).
FROM eclipse-temurin:17-jre
RUN useradd --system --create-home --home-dir /srv/production-line production-line
WORKDIR /srv/production-line
COPY target/production-line.jar /srv/production-line/production-line.jar
USER production-line
ENV PL_HTTP_HOST=0.0.0.0 \
    PL_DATA_DIR=/srv/production-line/data
EXPOSE 8950
ENTRYPOINT ["java", "-jar", "/srv/production-line/production-line.jar"]
CMD ["serve"]
