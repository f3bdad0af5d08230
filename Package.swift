// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "tickbus",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "producer", targets: ["producer"]),
        .executable(name: "aggregator", targets: ["aggregator"]),
        .executable(name: "sink", targets: ["sink"]),
        .executable(name: "health", targets: ["health"]),
        .executable(name: "venue-sim", targets: ["venue-sim"]),
        .executable(name: "drills", targets: ["drills"]),
        .library(name: "TickbusKafka", targets: ["TickbusKafka"]),
        .library(name: "TickbusMarket", targets: ["TickbusMarket"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/hummingbird-project/swift-websocket.git", from: "1.6.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/adam-fowler/compress-nio.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0"),
    ],
    targets: [
        // MARK: Shared

        // librdkafka, visible to TickbusKafka only (`internal import CRdKafka`).
        .systemLibrary(
            name: "CRdKafka",
            path: "Sources/Shared/CRdKafka",
            pkgConfig: "rdkafka",
            providers: [.apt(["librdkafka-dev"])]
        ),
        .target(
            name: "TickbusKafka",
            dependencies: [
                "CRdKafka",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Sources/Shared/Kafka",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TickbusTelemetry",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Sources/Shared/Telemetry",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TickbusCLI",
            dependencies: [
                "TickbusKafka", "TickbusMarket", "TickbusPostgres",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/Shared/CLI",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TickbusPostgres",
            dependencies: [
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            path: "Sources/Shared/Postgres",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TickbusMarket",
            path: "Sources/Shared/Market",
            swiftSettings: swiftSettings
        ),

        // MARK: Services (library with the logic + thin executable)

        .target(
            name: "Producers",
            dependencies: [
                "TickbusKafka", "TickbusMarket",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "WSClient", package: "swift-websocket"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            path: "Sources/Producers/Library",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "producer",
            dependencies: [
                "Producers", "TickbusCLI", "TickbusKafka", "TickbusMarket", "TickbusTelemetry",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Sources/Producers/Executable",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "VenueSim",
            dependencies: [
                "Producers", "TickbusMarket", "TickbusTelemetry",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/VenueSim/Library",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "venue-sim",
            dependencies: ["VenueSim", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Sources/VenueSim/Executable",
            swiftSettings: swiftSettings
        ),
        // The fault drills (`make drills`) and the process helpers tests share with them.
        .target(
            name: "TickbusDrills",
            dependencies: [
                "TickbusKafka", "TickbusMarket", "TickbusPostgres", "VenueSim",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/Drills/Library",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "drills",
            dependencies: [
                "TickbusDrills", "TickbusMarket",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/Drills/Executable",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Aggregator",
            dependencies: [
                "TickbusKafka", "TickbusMarket",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Sources/Aggregator/Library",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "aggregator",
            dependencies: [
                "Aggregator", "TickbusCLI", "TickbusKafka", "TickbusMarket", "TickbusTelemetry",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Sources/Aggregator/Executable",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Sink",
            dependencies: [
                "TickbusKafka", "TickbusMarket", "TickbusPostgres",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Sources/Sink/Library",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "sink",
            dependencies: [
                "Sink", "TickbusCLI", "TickbusKafka", "TickbusMarket", "TickbusPostgres", "TickbusTelemetry",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/Sink/Executable",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Health",
            dependencies: [
                "TickbusKafka", "TickbusMarket", "TickbusPostgres",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Sources/Health/Library",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "health",
            dependencies: [
                "Health", "TickbusCLI", "TickbusKafka", "TickbusMarket", "TickbusPostgres", "TickbusTelemetry",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            path: "Sources/Health/Executable",
            swiftSettings: swiftSettings
        ),

        // MARK: Benchmarks (programs that print numbers; `make bench-*`)

        .executableTarget(
            name: "kafka-bench",
            dependencies: [
                "TickbusKafka",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Benchmarks/KafkaBench",
            swiftSettings: swiftSettings
        ),

        .executableTarget(
            name: "normalize-bench",
            dependencies: ["Producers", "TickbusMarket", "VenueSim"],
            path: "Benchmarks/NormalizeBench",
            swiftSettings: swiftSettings
        ),

        .executableTarget(
            name: "aggregate-bench",
            dependencies: ["TickbusMarket"],
            path: "Benchmarks/AggregateBench",
            swiftSettings: swiftSettings
        ),

        // MARK: Tests (mirror the source targets)

        .testTarget(
            name: "TickbusKafkaTests",
            dependencies: ["TickbusKafka", "TickbusTestSupport"],
            path: "Tests/Shared/KafkaTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TickbusKafkaIntegrationTests",
            dependencies: ["TickbusKafka"],
            path: "Tests/Shared/KafkaIntegrationTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ProducersTests",
            dependencies: [
                "Producers", "TickbusMarket", "TickbusKafka", "VenueSim", "TickbusTelemetry", "TickbusTestSupport",
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            path: "Tests/ProducersTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AggregatorTests",
            dependencies: [
                "Aggregator", "TickbusMarket", "TickbusKafka", "TickbusTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/AggregatorTests",
            swiftSettings: swiftSettings
        ),
        // Helpers of the integration tests: the dev services, scratch databases, executables, HTTP.
        .target(
            name: "TickbusTestSupport",
            dependencies: [
                "Sink", "TickbusDrills", "TickbusMarket", "TickbusKafka", "TickbusPostgres",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/TestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "DeploymentTests",
            dependencies: ["TickbusMarket", "TickbusTestSupport"],
            path: "Tests/DeploymentTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "TickbusMarket", "TickbusKafka", "TickbusPostgres", "TickbusTestSupport",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/EndToEndTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "DrillsTests",
            dependencies: [
                "TickbusDrills", "TickbusMarket", "TickbusTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/DrillsTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HealthTests",
            dependencies: [
                "Health", "Sink", "TickbusMarket", "TickbusKafka", "TickbusPostgres", "TickbusTestSupport",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/HealthTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SinkTests",
            dependencies: [
                "Sink", "TickbusMarket", "TickbusKafka", "TickbusPostgres", "TickbusTestSupport",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/SinkTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TickbusTelemetryTests",
            dependencies: [
                "TickbusTelemetry", "TickbusTestSupport",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Tests/Shared/TelemetryTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TickbusCLITests",
            dependencies: ["TickbusCLI", "TickbusKafka", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Tests/Shared/CLITests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TickbusMarketTests",
            dependencies: ["TickbusMarket"],
            path: "Tests/Shared/MarketTests",
            swiftSettings: swiftSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
