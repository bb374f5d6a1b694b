# contractbot: one static binary on Debian slim with git (the App reads large
# repositories through git mirrors, README "Organisation scale"), run as
# non-root. Debian's git 2.39 is newer than the 2.31 the mirrors need.
# Build: make cook-image (docker build -t "$DOCKER_TAG" .)

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" \
      -o /out/contractbot ./cmd/contractbot \
 && mkdir -p /out/data

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends git ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 65532 --home-dir /nonexistent --shell /usr/sbin/nologin contractbot
COPY --from=build /out/contractbot /usr/local/bin/contractbot
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
ENV CONTRACTBOT_DATA_DIR=/data \
    CONTRACTBOT_LISTEN=:8888
VOLUME /data
# The PaaSTA contract's port.
EXPOSE 8888
ENTRYPOINT ["/usr/local/bin/contractbot"]
CMD ["serve"]
