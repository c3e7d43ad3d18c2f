namespace KlingGenerated;

/// <summary>
/// Settings of a <see cref="KlingClient"/>. The client copies them when it is created: later changes are ignored.
/// </summary>
public sealed class KlingClientOptions
{
    /// <summary>The default service address.</summary>
    public static readonly Uri DefaultBaseUrl = new("https://api.kie.ai/");

    /// <summary>The kie.ai API key, sent as <c>Authorization: Bearer</c>. Never printed by this library.</summary>
    public string? ApiKey { get; set; }

    /// <summary>The service address, used when the HttpClient has no BaseAddress. Defaults to https://api.kie.ai/.</summary>
    public Uri BaseUrl { get; set; } = DefaultBaseUrl;

    /// <summary>
    /// Where the upload operations (kie.ai's File Upload API) are sent: the document gives them their own server,
    /// https://kieai.redpandaai.co/ (<see cref="DefaultUploadBaseUrl"/>). Point it at the simulator's
    /// <c>KlingSimulator.UploadBaseUrl</c> together with <see cref="BaseUrl"/>. Same key, same pipeline.
    /// </summary>
    public Uri UploadBaseUrl { get; set; } = DefaultUploadBaseUrl;

    /// <summary>The upload operations' server in the OpenAPI document.</summary>
    public static Uri DefaultUploadBaseUrl => OpenApi.KlingOpenApiDocument.OwnServerOf("UploadFileStream")
        ?? throw new InvalidOperationException("The OpenAPI document gives UploadFileStream no server of its own.");

    /// <summary>Check requests against the OpenAPI document before sending them (default true). Turn off to let the service judge.</summary>
    public bool ValidateRequests { get; set; } = true;

    /// <summary>The most bytes the client reads of one answer (default 1 MiB); a larger answer becomes a <see cref="KlingApiException"/>.</summary>
    public int MaxResponseBytes { get; set; } = DefaultMaxResponseBytes;

    internal const int DefaultMaxResponseBytes = 1024 * 1024;

    /// <summary>
    /// The most TCP connections the client opens to the service at once (default 32); further requests wait for a free
    /// connection instead of opening new sockets. Honoured by <see cref="KlingClient(KlingClientOptions)"/> and
    /// <c>AddKlingClient</c>; <see cref="KlingClient(HttpClient, KlingClientOptions)"/> refuses a value other than the default.
    /// </summary>
    public int MaxConnections { get; set; } = DefaultMaxConnections;

    internal const int DefaultMaxConnections = 32;

    /// <summary>
    /// Retries, timeouts and createTask pacing (see <see cref="KlingResilienceHandler"/>). Honoured by
    /// <see cref="KlingClient(KlingClientOptions)"/> and <c>AddKlingClient</c>; <see cref="KlingClient(HttpClient, KlingClientOptions)"/>
    /// sends through your HttpClient as built and refuses settings other than the defaults here.
    /// </summary>
    public KlingResilienceOptions Resilience { get; set; } = new();

    /// <summary>
    /// Told about every createTask: before it is sent, when its body starts to leave, and with its outcome (see
    /// <see cref="IKlingCreateTaskJournal"/>). Null (the default) journals nothing; <c>AddKlingClient</c> uses an
    /// <see cref="IKlingCreateTaskJournal"/> registered in the service collection when this is null.
    /// </summary>
    public IKlingCreateTaskJournal? CreateTaskJournal { get; set; }

    /// <summary>
    /// What createTasks may spend, shared by every call of this client (and by any other client or call given the same
    /// object). Each createTask reserves its price (<see cref="Pricing"/>) here before it is sent and is refused, with
    /// nothing sent, when it does not fit (<see cref="KlingErrorKind.BudgetExceeded"/>). Null (the default) caps nothing;
    /// a single call can still bring its own budget (<see cref="KlingBudgetExtensions.CreateTaskAsync"/>). Not copied:
    /// the clone shares it.
    /// </summary>
    public KlingBudget? Budget { get; set; }

    /// <summary>
    /// The prices createTasks are reserved at: by default the OpenAPI document's (<see cref="KlingPricing.Document"/>).
    /// Set <c>KlingPricing.Document.WithPrice(model, value, credits)</c> when your account's price differs.
    /// </summary>
    public KlingPricing Pricing { get; set; } = KlingPricing.Document;

    /// <summary>
    /// Where the client logs retries, pacing waits, "may exist" outcomes and task ends (see docs/telemetry.md); without
    /// one nothing is written. <c>AddKlingClient</c> sets the application's own. Never bound from configuration.
    /// </summary>
    public Microsoft.Extensions.Logging.ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>Returns the problems with these settings, or an empty list.</summary>
    public IReadOnlyList<string> GetProblems()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(ApiKey))
        {
            problems.Add("KlingClientOptions.ApiKey is missing: set it (for example from the KIE_API_KEY environment variable); get a key at https://kie.ai/api-key.");
        }

        if (BaseUrl is null || !BaseUrl.IsAbsoluteUri || BaseUrl.Scheme is not ("http" or "https"))
        {
            problems.Add($"KlingClientOptions.BaseUrl must be an absolute http or https URL such as {DefaultBaseUrl}, not '{BaseUrl}'.");
        }

        if (UploadBaseUrl is null || !UploadBaseUrl.IsAbsoluteUri || UploadBaseUrl.Scheme is not ("http" or "https"))
        {
            problems.Add($"KlingClientOptions.UploadBaseUrl must be an absolute http or https URL such as {DefaultUploadBaseUrl}, not '{UploadBaseUrl}'.");
        }

        if (MaxConnections < 1)
        {
            problems.Add($"KlingClientOptions.MaxConnections must be at least 1, not {MaxConnections}.");
        }

        if (MaxResponseBytes < 1024)
        {
            problems.Add($"KlingClientOptions.MaxResponseBytes must be at least 1024, not {MaxResponseBytes}.");
        }

        if (Pricing is null)
        {
            problems.Add("KlingClientOptions.Pricing must not be null; leave it at KlingPricing.Document, or override a price with KlingPricing.Document.WithPrice(...).");
        }

        if (Resilience is null)
        {
            problems.Add("KlingClientOptions.Resilience must not be null; leave it at its default to keep the standard policy.");
        }

        try
        {
            Resilience?.Validate();
        }
        catch (ArgumentException exception)
        {
            problems.Add(exception.Message);
        }

        return problems;
    }

    /// <summary>Describes the settings without the API key.</summary>
    public override string ToString() =>
        $"KlingClientOptions {{ BaseUrl = {BaseUrl}, UploadBaseUrl = {UploadBaseUrl}, ApiKey = {(string.IsNullOrEmpty(ApiKey) ? "(not set)" : "(set, redacted)")}, ValidateRequests = {ValidateRequests}, MaxResponseBytes = {MaxResponseBytes}, MaxConnections = {MaxConnections} }}";

    /// <summary>The settings of this object that only a pipeline the library builds can honour, when they differ from the defaults.</summary>
    internal IEnumerable<string> PipelineSettingsChanged()
    {
        if (MaxConnections != DefaultMaxConnections)
        {
            yield return nameof(MaxConnections);
        }

        if (Resilience is not null && !Resilience.IsDefault())
        {
            yield return nameof(Resilience);
        }
    }

    internal KlingClientOptions Clone()
    {
        var copy = (KlingClientOptions)MemberwiseClone();
        copy.Resilience = Resilience?.Clone()!;
        return copy;
    }
}
