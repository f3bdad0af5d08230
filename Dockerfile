# Tickbus: every executable (producer, aggregator, sink, health, venue-sim) in one image.
#
#   docker build -t tickbus .
#
# Builder: the Swift 6.3 image on Ubuntu 24.04, whose librdkafka (2.3) is ≥ 2.1 (Debian bookworm's 2.0.2
# mis-parses current brokers' ApiVersions). The Swift runtime is linked statically; the runtime stage is
# plain Ubuntu with librdkafka, libcurl (KuCoin's token request, MEXC's REST fallback) and CA certificates.
FROM swift:6.3-noble AS builder
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends librdkafka-dev pkg-config \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
RUN swift package resolve
COPY Sources ./Sources
COPY Benchmarks ./Benchmarks
COPY Tests ./Tests
COPY Protos ./Protos
RUN for product in producer aggregator sink health venue-sim; do \
      swift build -c release --static-swift-stdlib --product "$product" || exit 1; \
    done \
 && mkdir /out && cp .build/release/producer .build/release/aggregator .build/release/sink \
      .build/release/health .build/release/venue-sim /out/

FROM ubuntu:24.04
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends librdkafka1 libcurl4 ca-certificates curl tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin tickbus
COPY --from=builder /out/ /usr/local/bin/
USER 10001:10001
# Probes on every interface inside the container (Kubernetes probes, Prometheus); each service sets its port.
ENV TICKBUS_METRICS_HOST=0.0.0.0
# Every service serves /livez on TICKBUS_METRICS_PORT (producer 9464, aggregator 9465, sink 9466, health 9467).
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD curl -fsS "http://127.0.0.1:${TICKBUS_METRICS_PORT:-9464}/livez" || exit 1
ENTRYPOINT []
CMD ["health", "--help"]
