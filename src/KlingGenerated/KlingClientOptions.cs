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

    /// <summary>Check requests against the OpenAPI document before sending them (default true). Turn off to let the service judge.</summary>
    public bool ValidateRequests { get; set; } = true;

    /// <summary>The most bytes the client reads of one answer (default 1 MiB); a larger answer becomes a <see cref="KlingApiException"/>.</summary>
    public int MaxResponseBytes { get; set; } = DefaultMaxResponseBytes;

    internal const int DefaultMaxResponseBytes = 1024 * 1024;

    /// <summary>
    /// The most TCP connections <c>AddKlingClient</c>'s HttpClient opens to the service at once (default 32); further
    /// requests wait for a free connection instead of opening new sockets. A bare HttpClient is not affected.
    /// </summary>
    public int MaxConnections { get; set; } = 32;

    /// <summary>Retries, timeouts and createTask pacing of the pipeline <c>AddKlingClient</c> builds; a bare HttpClient has none.</summary>
    public KlingResilienceOptions Resilience { get; set; } = new();

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

        if (MaxConnections < 1)
        {
            problems.Add($"KlingClientOptions.MaxConnections must be at least 1, not {MaxConnections}.");
        }

        if (MaxResponseBytes < 1024)
        {
            problems.Add($"KlingClientOptions.MaxResponseBytes must be at least 1024, not {MaxResponseBytes}.");
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
        $"KlingClientOptions {{ BaseUrl = {BaseUrl}, ApiKey = {(string.IsNullOrEmpty(ApiKey) ? "(not set)" : "(set, redacted)")}, ValidateRequests = {ValidateRequests}, MaxResponseBytes = {MaxResponseBytes}, MaxConnections = {MaxConnections} }}";

    internal KlingClientOptions Clone()
    {
        var copy = (KlingClientOptions)MemberwiseClone();
        copy.Resilience = Resilience?.Clone()!;
        return copy;
    }
}
