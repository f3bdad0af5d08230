import NIOCore
import NIOPosix
import Synchronization

/// A loopback TCP relay in front of the broker, so a drill can cut every client's link to it at once:
/// ``cut()`` closes the listener and every relayed connection (new connects are refused, as when a network
/// link is down), ``restore()`` listens on the same port again. The broker advertises this port, so clients
/// reconnect through it after metadata refreshes too.
public final class TCPProxy: Sendable {
    public let port: Int
    public let targetPort: Int
    private let group: MultiThreadedEventLoopGroup
    private let state = Mutex(State())

    private struct State {
        var listener: (any Channel)?
        var relayed: [ObjectIdentifier: any Channel] = [:]
    }

    public init(port: Int, targetPort: Int) {
        self.port = port
        self.targetPort = targetPort
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    }

    /// Relayed connections now open (both directions count once).
    public var connections: Int { state.withLock { $0.relayed.count } }
    public var isListening: Bool { state.withLock { $0.listener != nil } }

    /// Listens and relays until ``cut()``.
    public func restore() async throws {
        guard !isListening else { return }
        let targetPort = self.targetPort
        let listener = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.autoRead, value: false)
            .childChannelInitializer { [weak self] inbound in
                let proxy = self
                return ClientBootstrap(group: inbound.eventLoop)
                    .connect(host: "127.0.0.1", port: targetPort)
                    .flatMap { outbound in
                        proxy?.track(inbound)
                        proxy?.track(outbound)
                        return inbound.eventLoop.makeCompletedFuture {
                            let (client, broker) = GlueHandler.matchedPair()
                            try inbound.pipeline.syncOperations.addHandler(client)
                            try outbound.pipeline.syncOperations.addHandler(broker)
                            // Glued: read continuously from now on (the handlers gate reads on the partner's writability).
                            try inbound.syncOptions?.setOption(.autoRead, value: true)
                        }
                    }
                    .flatMapErrorThrowing { error in
                        inbound.close(promise: nil)
                        throw error
                    }
            }
            .bind(host: "127.0.0.1", port: port).get()
        state.withLock { $0.listener = listener }
    }

    /// Closes the listener and every relayed connection.
    public func cut() async {
        let (listener, relayed) = state.withLock { state in
            defer { state.listener = nil; state.relayed = [:] }
            return (state.listener, Array(state.relayed.values))
        }
        try? await listener?.close()
        for channel in relayed { try? await channel.close() }
    }

    public func shutdown() async {
        await cut()
        try? await group.shutdownGracefully()
    }

    private func track(_ channel: any Channel) {
        let key = ObjectIdentifier(channel)
        state.withLock { $0.relayed[key] = channel }
        channel.closeFuture.whenComplete { [weak self] _ in
            _ = self?.state.withLock { $0.relayed.removeValue(forKey: key) }
        }
    }
}

/// Joins two channels on one event loop: what one reads the other writes, with back-pressure (a side reads
/// only while its partner can write) and half-closes passed through. After swift-nio-examples' connect-proxy.
final class GlueHandler: ChannelDuplexHandler {
    typealias InboundIn = NIOAny
    typealias OutboundIn = NIOAny
    typealias OutboundOut = NIOAny

    private var partner: GlueHandler?
    private var context: ChannelHandlerContext?
    private var pendingRead = false

    static func matchedPair() -> (GlueHandler, GlueHandler) {
        let first = GlueHandler(), second = GlueHandler()
        first.partner = second
        second.partner = first
        return (first, second)
    }

    private var partnerWritable: Bool { context?.channel.isWritable ?? false }

    private func partnerWrite(_ data: NIOAny) { context?.write(data, promise: nil) }
    private func partnerFlush() { context?.flush() }
    private func partnerWriteEOF() { context?.close(mode: .output, promise: nil) }
    private func partnerCloseFull() { context?.close(promise: nil) }

    private func partnerBecameWritable() {
        if pendingRead {
            pendingRead = false
            context?.read()
        }
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        partner = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) { partner?.partnerWrite(data) }
    func channelReadComplete(context: ChannelHandlerContext) { partner?.partnerFlush() }
    func channelInactive(context: ChannelHandlerContext) { partner?.partnerCloseFull() }
    func errorCaught(context: ChannelHandlerContext, error: any Error) { partner?.partnerCloseFull() }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, case .inputClosed = event { partner?.partnerWriteEOF() }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { partner?.partnerBecameWritable() }
    }

    func read(context: ChannelHandlerContext) {
        if let partner, partner.partnerWritable { context.read() } else { pendingRead = true }
    }
}
