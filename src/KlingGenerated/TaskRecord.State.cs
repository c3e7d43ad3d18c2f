namespace KlingGenerated;

// CUSTOM: keeps the state exactly as sent, so a state added by the service later is still visible to callers.
public partial class TaskRecord
{
    /// <summary>
    /// The state exactly as the service sent it. When the service sends a state this client does not know,
    /// <see cref="State"/> is null and this holds the word; such a task counts as still running.
    /// </summary>
    [Newtonsoft.Json.JsonIgnore]
    public string? RawState { get; internal set; }
}
