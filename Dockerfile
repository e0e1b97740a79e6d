# One image carries every command: /manager (the controllers), /worker (the
# metric job, campaign and loyalty workers) and /retentionctl (the CLI).
# Conventional multi-stage build; no container engine runs on the project's
# CI machines, so CI builds the same binaries with `make build` instead.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
# The tests' database helper is a module of its own (a replace directive in go.mod).
COPY internal/testdb/go.mod internal/testdb/go.sum internal/testdb/
RUN go mod download
COPY api/ api/
COPY cmd/ cmd/
COPY internal/ internal/
COPY config/crd/ config/crd/
# Static binaries: the SQLite driver is pure Go, so CGO stays off.
ARG TARGETOS=linux TARGETARCH=amd64 VERSION=dev
RUN CGO_ENABLED=0 GOOS=${TARGETOS} GOARCH=${TARGETARCH} go build -trimpath -ldflags="-s -w" -o /out/manager ./cmd/manager && \
    CGO_ENABLED=0 GOOS=${TARGETOS} GOARCH=${TARGETARCH} go build -trimpath \
      -ldflags="-s -w -X github.com/retention-dev/retention-operator/internal/worker/cmd.Version=${VERSION}" -o /out/worker ./cmd/worker && \
    CGO_ENABLED=0 GOOS=${TARGETOS} GOARCH=${TARGETARCH} go build -trimpath -ldflags="-s -w" -o /out/retentionctl ./cmd/retentionctl

FROM gcr.io/distroless/static:nonroot
COPY --from=build /out/manager /out/worker /out/retentionctl /
USER 65532:65532
ENTRYPOINT ["/manager"]
