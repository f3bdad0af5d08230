import TickbusMarket

extension SourceID {
    /// The producer's compose service and Kubernetes Deployment name: a DNS label, so `binance_rtds` is
    /// spelled `binance-rtds` there (the `--source` argument and the topic keep the id).
    var producerService: String { "producer-" + rawValue.replacingOccurrences(of: "_", with: "-") }
}
