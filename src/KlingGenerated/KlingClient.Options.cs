namespace KlingGenerated;

/// <summary>
/// The client of the Kling V2.5 Turbo Pro text-to-video API, generated from openapi/kling.openapi.yaml.
/// Thread-safe and meant to live long: create one per application, or register it with <c>AddKlingClient</c>.
/// </summary>
// CUSTOM: the generated constructor takes only an HttpClient; this one adds the options (key, base URL, validation).
public partial class KlingClient
{
    private readonly KlingClientOptions _options = new();
    private readonly Uri _requestBase = KlingClientOptions.DefaultBaseUrl;
    private readonly Uri? _uploadBase;

    // One header value per client, shared by its requests (they only read it); null when the HttpClient brings its own auth.
    private readonly System.Net.Http.Headers.AuthenticationHeaderValue? _authorization;

    // MaxResponseBytes boxed once, for requests to carry to KlingResilienceHandler; null when it is the default.
    private readonly object? _maxResponseBytesOption;

    /// <summary>
    /// Creates a client with the library's whole pipeline: safe retries, createTask pacing and timeouts as
    /// <see cref="KlingClientOptions.Resilience"/> says, at most <see cref="KlingClientOptions.MaxConnections"/>
    /// connections, redirects never followed. The same pipeline as <c>AddKlingClient</c>; clients on the same key share
    /// one pacer. The client is thread-safe and meant to live long; the options are copied.
    /// </summary>
    /// <exception cref="ArgumentException">The options are incomplete or invalid: no API key, a relative base URL, a bad resilience setting.</exception>
    public KlingClient(KlingClientOptions options)
        : this(KlingHttpPipeline.CreateHttpClient(Validated(options)), options, pipelineFromOptions: true)
    {
    }

    /// <summary>
    /// Creates a client that sends through <paramref name="httpClient"/> exactly as you built it: this is the explicit
    /// way to bring your own pipeline (add <see cref="KlingResilienceHandler"/> to it for retries, pacing and timeouts).
    /// If its BaseAddress is null, <see cref="KlingClientOptions.BaseUrl"/> is used. The options are copied.
    /// </summary>
    /// <exception cref="ArgumentException">
    /// The options are incomplete, or set <see cref="KlingClientOptions.MaxConnections"/> or
    /// <see cref="KlingClientOptions.Resilience"/>, which only a pipeline the library builds can honour: use
    /// <see cref="KlingClient(KlingClientOptions)"/>, or configure your HttpClient's handlers instead.
    /// </exception>
    public KlingClient(HttpClient httpClient, KlingClientOptions options)
        : this(httpClient ?? throw new ArgumentNullException(nameof(httpClient)), options, pipelineFromOptions: false)
    {
    }

    /// <summary>The constructor <c>AddKlingClient</c> uses: its HttpClient was built from these options.</summary>
    internal KlingClient(HttpClient httpClient, KlingClientOptions options, bool pipelineFromOptions)
        : this(httpClient)
    {
        Validated(options);
        if (!pipelineFromOptions && options.PipelineSettingsChanged().ToList() is { Count: > 0 } ignored)
        {
            throw new ArgumentException(
                $"KlingClientOptions.{string.Join(" and KlingClientOptions.", ignored)} cannot be honoured by new KlingClient(HttpClient, KlingClientOptions): that HttpClient is yours, and is used as built. " +
                "Use new KlingClient(options) or AddKlingClient, which build the pipeline from these options, or leave them at their defaults and configure your HttpClient's handlers (new KlingResilienceHandler(resilienceOptions)).",
                nameof(options));
        }

        _options = options.Clone();
        KlingSecrets.Add(_options.ApiKey); // an answer that echoes the key must not print it anywhere (KlingSecrets.Mask)
        _requestBase = WithTrailingSlash(_options.BaseUrl);
        _uploadBase = WithTrailingSlash(_options.UploadBaseUrl);
        _authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", _options.ApiKey);
        _maxResponseBytesOption = _options.MaxResponseBytes == KlingClientOptions.DefaultMaxResponseBytes ? null : _options.MaxResponseBytes;
    }

    private static KlingClientOptions Validated(KlingClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.GetProblems();
        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", problems), nameof(options));
        }

        return options;
    }

    /// <summary>The settings this client runs with (a copy; the API key is never printed by its ToString).</summary>
    public KlingClientOptions Options => _options.Clone();
}
