# SQLEnv server image: a release build of the Rust server and the bundled Spider data, nothing
# else. CPU only. Build and run:
#
#   docker build -t sqlenv .
#   docker run --rm -p 8000:8000 sqlenv
#
# See docs/deploy.md (Hugging Face Space, Kubernetes) and scripts/docker-smoke.sh.
#
# The base images are build arguments so that a machine that cannot pull them can build on its
# own (scripts/image-ci.sh makes both with debootstrap). The defaults are the public images.
ARG BUILDER_IMAGE=rust:1-slim-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

# ---- builder: compile the release binary ---------------------------------------------------
FROM ${BUILDER_IMAGE} AS builder
WORKDIR /build

# Dependencies first, against a dummy crate: this layer only rebuilds when Cargo.toml or
# Cargo.lock change, not on every source edit. (rust:slim already has gcc for bundled SQLite.)
# Cargo reads every target the manifest declares, so the benchmark gets a dummy file too; it
# stays for the real build below (which builds only the binary, never the benchmark).
COPY Cargo.toml Cargo.lock ./
RUN mkdir src benches \
    && echo 'fn main() {}' > src/main.rs \
    && touch src/lib.rs \
    && echo 'fn main() {}' > benches/hot_paths.rs \
    && cargo build --release --locked --bin sqlenv \
    && rm -rf src

# The real sources. README.md is compiled in (GET /metadata serves it). `touch` makes the files
# newer than the dummy's build, so cargo rebuilds the crate instead of trusting stale fingerprints.
COPY README.md ./
COPY src ./src
RUN touch src/main.rs src/lib.rs \
    && cargo build --release --locked --bin sqlenv \
    && ./target/release/sqlenv --version

# ---- runtime: the binary, the data, a non-root user ----------------------------------------
FROM ${RUNTIME_IMAGE} AS runtime

# No packages to install: SQLite is linked in and `sqlenv healthcheck` replaces curl.
# UID 1000 is the user Hugging Face Spaces run containers as.
RUN useradd --uid 1000 --user-group --no-create-home --home-dir /app --shell /usr/sbin/nologin sqlenv

WORKDIR /app
COPY --from=builder /build/target/release/sqlenv /usr/local/bin/sqlenv

# Only what the server serves, plus the data's license and attribution (CC BY-SA 4.0). The files
# stay owned by root: the server opens the databases read-only and must not be able to change them.
COPY data/tables.json data/ATTRIBUTION.md data/README.md ./data/
COPY data/databases ./data/databases
COPY data/questions ./data/questions

# The server reads PORT itself (default 8000); listen on every interface inside the container.
ENV PORT=8000 \
    SQLENV_HOST=0.0.0.0 \
    SQLENV_DATA_DIR=/app/data \
    RUST_LOG=info

USER sqlenv
EXPOSE 8000

# Both the data (every database opens read-only with its tables) and GET /health on $PORT.
# Takes a few milliseconds in a release build; exit 1 marks the container unhealthy.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["sqlenv", "healthcheck"]

# SIGTERM starts the graceful shutdown: sessions get a close frame, in-flight steps finish
# within SQLENV_SHUTDOWN_GRACE_SECS (8 s, under `docker stop`'s 10 s).
STOPSIGNAL SIGTERM
ENTRYPOINT ["sqlenv"]
CMD ["serve"]
