/// Identity of the health service. Its logic lands here with issue #7; the executable only parses flags
/// until then.
public enum HealthService {
    public static let name = "health"
    public static let plannedIn = "issue #7"
}
