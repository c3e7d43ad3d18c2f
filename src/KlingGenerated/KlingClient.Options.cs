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

    // One header value per client, shared by its requests (they only read it); null when the HttpClient brings its own auth.
    private readonly System.Net.Http.Headers.AuthenticationHeaderValue? _authorization;

    // MaxResponseBytes boxed once, for requests to carry to KlingResilienceHandler; null when it is the default.
    private readonly object? _maxResponseBytesOption;

    /// <summary>
    /// Creates a client that sends through <paramref name="httpClient"/>. If its BaseAddress is null, <see cref="KlingClientOptions.BaseUrl"/> is used.
    /// The client is thread-safe and meant to live long; the options are copied, so later changes to them are ignored.
    /// </summary>
    /// <exception cref="ArgumentException">The options are incomplete: no API key, or a relative base URL.</exception>
    public KlingClient(HttpClient httpClient, KlingClientOptions options)
        : this(httpClient ?? throw new ArgumentNullException(nameof(httpClient)))
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.GetProblems();
        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", problems), nameof(options));
        }

        _options = options.Clone();
        _requestBase = WithTrailingSlash(_options.BaseUrl);
        _authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", _options.ApiKey);
        _maxResponseBytesOption = _options.MaxResponseBytes == KlingClientOptions.DefaultMaxResponseBytes ? null : _options.MaxResponseBytes;
    }

    /// <summary>The settings this client runs with (a copy; the API key is never printed by its ToString).</summary>
    public KlingClientOptions Options => _options.Clone();
}
