# contractbot: one static binary on a distroless base, run as non-root.
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

FROM gcr.io/distroless/static-debian12:nonroot
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
