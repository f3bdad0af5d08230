/// Identity of the sink service. Its logic lands here with issue #6; the executable only parses flags
/// until then.
public enum SinkService {
    public static let name = "sink"
    public static let plannedIn = "issue #6"
}
