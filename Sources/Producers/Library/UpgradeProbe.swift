import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// Why a server refused a WebSocket upgrade. swift-websocket reports a refusal without the HTTP status, so
/// after one the supervisor sends the same upgrade request again over plain HTTP/1.1 and reads the answer's
/// status line and headers: the status and a human reason go to `events.status` (451/403 "refused in this
/// region?"), and a 429/503 `Retry-After` becomes the least wait before the next attempt. A bare 400/426 to
/// the upgrade says little (some servers, venue-sim's Hummingbird among them, answer every refused upgrade
/// so), so then a plain GET asks the edge, which answers region blocks and rate limits to any request; its
/// status is used when it is one of those (docs/relays.md#refused-upgrades).
enum UpgradeProbe {
    struct Refusal: Sendable, CustomStringConvertible {
        var status: Int
        var reasonPhrase: String
        var retryAfter: Duration?

        var description: String {
            "HTTP \(status) \(reasonPhrase)\(Self.meaning(status).map { " (\($0))" } ?? "")\(retryAfter.map { "; the venue asks to wait \($0)" } ?? "")"
        }

        /// What a refusal status most likely means for a market-data client.
        static func meaning(_ status: Int) -> String? {
            switch status {
            case 451: "unavailable for legal reasons: refused in this region?"
            case 403: "forbidden: refused in this region, or this IP is blocked?"
            case 401: "unauthorized: the endpoint wants credentials"
            case 404: "no WebSocket at this path: check --endpoint"
            case 429: "rate-limited: too many connection attempts"
            case 500...599: "the venue's server failed; retrying with backoff"
            default: nil
            }
        }
    }

    /// The refusal of `url`'s upgrade, or `nil` when the server cannot be asked (unreachable, no HTTP answer
    /// within `timeout`) or now accepts it (101).
    static func refusal(of url: String, timeout: TimeAmount = .seconds(5)) async -> Refusal? {
        guard let upgrade = await ask(url, upgrade: true, timeout: timeout) else { return nil }
        guard [400, 426].contains(upgrade.status), let plain = await ask(url, upgrade: false, timeout: timeout),
              [401, 403, 429, 451, 503].contains(plain.status) || plain.status >= 500 else { return upgrade }
        return plain
    }

    /// The answer to one GET of `url`, with the WebSocket upgrade headers or without.
    private static func ask(_ url: String, upgrade: Bool, timeout: TimeAmount) async -> Refusal? {
        guard let components = URLComponents(string: url), let host = components.host,
              let scheme = components.scheme?.lowercased(), ["ws", "wss", "http", "https"].contains(scheme) else { return nil }
        let tls = scheme == "wss" || scheme == "https"
        let port = components.port ?? (tls ? 443 : 80)
        let path = (components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath)
            + (components.percentEncodedQuery.map { "?\($0)" } ?? "")
        let group = MultiThreadedEventLoopGroup.singleton
        let answer = group.any().makePromise(of: HTTPResponseHead.self)
        do {
            let channel = try await ClientBootstrap(group: group)
                .connectTimeout(timeout)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if tls {
                            let context = try NIOSSLContext(configuration: .makeClientConfiguration())
                            try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: host))
                        }
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        try channel.pipeline.syncOperations.addHandler(ResponseHeadHandler(answer: answer))
                    }
                }
                .connect(host: host, port: port).get()
            let key = Data((0..<16).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
            var headers = HTTPHeaders([("Host", components.port.map { "\(host):\($0)" } ?? host)])
            if upgrade {
                headers.add(contentsOf: [("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Key", key), ("Sec-WebSocket-Version", "13")])
            } else {
                headers.add(name: "Connection", value: "close")
            }
            channel.write(HTTPClientRequestPart.head(HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: headers)), promise: nil)
            channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
            let deadline = channel.eventLoop.scheduleTask(in: timeout) { answer.fail(ChannelError.connectTimeout(timeout)) }
            defer {
                deadline.cancel()
                channel.close(promise: nil)
            }
            let head = try await answer.futureResult.get()
            guard head.status.code != 101 else { return nil }
            var fields: [AnyHashable: Any] = [:]
            for (name, value) in head.headers { fields[name] = value }
            return Refusal(status: Int(head.status.code), reasonPhrase: head.status.reasonPhrase,
                           retryAfter: RetryAfter.wait(status: Int(head.status.code), headers: fields))
        } catch {
            answer.fail(error)
            return nil
        }
    }

    /// Hands the first response head to the promise.
    private final class ResponseHeadHandler: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = HTTPClientResponsePart
        let answer: EventLoopPromise<HTTPResponseHead>

        init(answer: EventLoopPromise<HTTPResponseHead>) {
            self.answer = answer
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            if case .head(let head) = unwrapInboundIn(data) { answer.succeed(head) }
        }

        func channelInactive(context: ChannelHandlerContext) {
            answer.fail(ChannelError.inputClosed)
            context.fireChannelInactive()
        }
    }
}
