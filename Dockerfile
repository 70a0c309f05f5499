# rcemu in a small image: a static binary on scratch, run as a non-root user.
#   docker build -t rcemu --build-arg VERSION=0.1.0 --build-arg COMMIT=$(git rev-parse --short HEAD) .
#   docker run -p 8080:8080 -v rcemu-data:/data rcemu
# The first start downloads RingCentral's OpenAPI spec into /data/cache (keep /data as a volume,
# or pass --spec with a mounted file, or --spec off).
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=0.1.0
ARG COMMIT=unknown
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X github.com/rcemu/rcemu/internal/app.Version=${VERSION} -X github.com/rcemu/rcemu/internal/cli.Commit=${COMMIT}" \
      -o /out/rcemu ./cmd/rcemu \
 && mkdir -p /out/data/cache

FROM scratch
# The spec download is HTTPS.
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/rcemu /rcemu
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
ENV RCEMU_ADDR=0.0.0.0:8080 \
    RCEMU_DB=/data/rcemu.db \
    RCEMU_SPEC_CACHE=/data/cache \
    HOME=/data
VOLUME /data
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s CMD ["/rcemu", "health"]
ENTRYPOINT ["/rcemu"]
CMD ["serve"]
