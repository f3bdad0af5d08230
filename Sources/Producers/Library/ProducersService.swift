/// Identity of the producer service. Its logic lands here with issue #3; the executable only parses flags
/// until then.
public enum ProducersService {
    public static let name = "producer"
    public static let plannedIn = "issue #3"
}
