/// Identity of the aggregator service. Its logic lands here with issue #5; the executable only parses flags
/// until then.
public enum AggregatorService {
    public static let name = "aggregator"
    public static let plannedIn = "issue #5"
}
