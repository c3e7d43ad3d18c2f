namespace KlingGenerated;

/// <summary>
/// The operation a request is for, by its operationId, and what its current attempt did: set by the generated client
/// (Templates/Client.Class.liquid) and KlingClient.Send.cs, read by the retry handler and the classifier. Never a URL.
/// </summary>
internal static class KlingOperation
{
    /// <summary>The operationId of the document, set on every request the generated client sends.</summary>
    public static readonly HttpRequestOptionsKey<string> IdKey = new("KlingGenerated.OperationId");

    /// <summary>The body tracker of a billable request (KlingClient.Send.cs): whether the current attempt's body started to leave.</summary>
    public static readonly HttpRequestOptionsKey<BodyTracker> BodyKey = new("KlingGenerated.Body");

    /// <summary>The operationId of <paramref name="request"/>, or null when it was not sent by the generated client.</summary>
    public static string? IdOf(HttpRequestMessage request) => request.Options.TryGetValue(IdKey, out var id) ? id : null;

    /// <summary>
    /// True when the request may create a task that is charged: its operation is marked <c>x-kling-billable</c>. A request
    /// without an operationId (not sent by the generated client) is billable unless it is a GET: the safe side.
    /// </summary>
    public static bool IsBillable(HttpRequestMessage request) => IdOf(request) is { } id
        ? KlingOutcomeClassifier.Document.IsBillable(id)
        : request.Method != HttpMethod.Get && request.Method != HttpMethod.Head;

    /// <summary>The outcome of <paramref name="attempt"/> of <paramref name="request"/>, by the document's rules.</summary>
    public static KlingOutcome Outcome(HttpRequestMessage request, KlingAttempt attempt) =>
        KlingOutcomeClassifier.Document.Classify(IdOf(request), IsBillable(request), attempt);

    /// <summary>
    /// Whether the current attempt's body started to leave: true unless the body tracker knows it did not (the transport
    /// asked for the body, and it was held back, by a journal that was slow or refused it). Without a tracker (a request
    /// not sent by the generated client), or when the transport never asked for the body, the safe side: it left.
    /// </summary>
    public static bool BodyLeft(HttpRequestMessage request) =>
        !request.Options.TryGetValue(BodyKey, out var tracker) || tracker.Left || !tracker.Begun;

    /// <summary>True when the journal refused the current attempt's body, so it never left and must not be sent again.</summary>
    public static bool Refused(HttpRequestMessage request) =>
        request.Options.TryGetValue(BodyKey, out var tracker) && tracker.Refused;

    /// <summary>
    /// Before a retry of a billable request whose last attempt surely created nothing (only such are retried): the
    /// journal hears it now, before the backoff and the next pacing permit, while nothing is on the wire.
    /// </summary>
    public static ValueTask RetryingAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        request.Options.TryGetValue(BodyKey, out var tracker) && tracker.Retrying is { } retrying && tracker.Left
            ? retrying(cancellationToken)
            : ValueTask.CompletedTask;

    /// <summary>Marks the start of a new attempt: its body has not left yet.</summary>
    public static void NewAttempt(HttpRequestMessage request)
    {
        if (request.Options.TryGetValue(BodyKey, out var tracker))
        {
            tracker.Begun = false;
            tracker.Left = false;
        }
    }

    /// <summary>What the current attempt of a billable request did with its body.</summary>
    internal sealed class BodyTracker
    {
        private volatile bool _begun;
        private volatile bool _left;
        private volatile bool _refused;

        /// <summary>The transport asked for the body (the journal is told before any byte is copied).</summary>
        public bool Begun
        {
            get => _begun;
            set => _begun = value;
        }

        /// <summary>The first byte of the body is being copied to the transport.</summary>
        public bool Left
        {
            get => _left;
            set => _left = value;
        }

        public bool Refused
        {
            get => _refused;
            set => _refused = value;
        }

        /// <summary>Tells the journal (KlingClient.Send.cs) that the last attempt surely created nothing and will be sent again.</summary>
        public Func<CancellationToken, ValueTask>? Retrying { get; set; }
    }
}
