# syntax=docker/dockerfile:1
# Build: docker build -t snmptrap_exporter .
# Run:   docker run -v snmptrap:/var/lib/snmptrap_exporter -p 9412:9412 -p 162:162/udp -p 412:412/udp -p 412:412/tcp snmptrap_exporter

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=""
ARG REVISION="unknown"
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X github.com/prometheus/common/version.Version=${VERSION:-$(cat VERSION)} -X github.com/prometheus/common/version.Revision=${REVISION}" \
      -o /out/snmptrap_exporter .

FROM alpine:3.22
# The exporter runs as nobody yet must bind 162 and 412. `docker run
# --cap-add` does not reach a non-root user's effective set, so the binary
# carries the capability itself (a file capability). Docker 20.10 and later
# also set net.ipv4.ip_unprivileged_port_start=0 inside the container's own
# network namespace, but not with --network host, where the file capability
# is what makes it work.
COPY --from=build /out/snmptrap_exporter /bin/snmptrap_exporter
RUN apk add --no-cache libcap-setcap \
 && setcap cap_net_bind_service=+ep /bin/snmptrap_exporter \
 && apk del libcap-setcap \
 && mkdir -p /var/lib/snmptrap_exporter \
 && chown nobody:nobody /var/lib/snmptrap_exporter
USER nobody
# --storage.path (data/ below this directory) holds the engine ID and the
# series snapshot: mount a volume here to keep them across containers.
WORKDIR /var/lib/snmptrap_exporter
VOLUME /var/lib/snmptrap_exporter
EXPOSE 9412 162/udp 412/udp 412/tcp
ENTRYPOINT ["/bin/snmptrap_exporter"]
