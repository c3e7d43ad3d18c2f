using KlingGenerated.Simulator;
using KlingGenerated.Redis;
using Microsoft.Extensions.DependencyInjection;

namespace KlingGenerated.Cli;

/// <summary>Where the CLI sends requests: the real service, a given base URL, or the built-in simulator when neither a key nor a URL is set.</summary>
internal sealed class Endpoint : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private readonly KlingSimulator? _simulator;
    private readonly CliEnvironment _environment;
    private bool? _refusePrivateResultHosts;

    private Endpoint(ServiceProvider services, KlingSimulator? simulator, Uri url, CliEnvironment environment)
    {
        _services = services;
        _simulator = simulator;
        _environment = environment;
        Url = url;
    }

    /// <summary>The service address in use (never the key); the ledger records it.</summary>
    public Uri Url { get; }

    /// <summary>How the ledger names this endpoint: its address, or "simulator" for the built-in one (its port changes each run).</summary>
    public string LedgerName => IsSimulator ? "simulator" : Url.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped);

    public IKlingClient Client => _services.GetRequiredService<IKlingClient>();

    /// <summary>True when requests go to the built-in simulator, whose tasks take seconds.</summary>
    public bool IsSimulator => _simulator is not null;

    /// <summary>
    /// The download options of a result: result URLs on loopback or private addresses are refused (SSRF: a hostile
    /// service must not steer the download inside this machine or network) unless the service itself is on such a host
    /// (the built-in simulator, a local one), whose results are served there. Decided once, at the first download.
    /// </summary>
    public async Task<KlingDownloadOptions> DownloadOptionsAsync(bool overwrite, CancellationToken cancellationToken)
    {
        _refusePrivateResultHosts ??= !IsSimulator && !await _environment.IsPrivateHost(Url, cancellationToken).ConfigureAwait(false);
        return new KlingDownloadOptions { Overwrite = overwrite, RefusePrivateHosts = _refusePrivateResultHosts.Value };
    }

    /// <summary>Opens the endpoint the global options and environment choose.</summary>
    public static Task<Endpoint> OpenAsync(System.CommandLine.ParseResult parse, TextWriter error, CancellationToken cancellationToken, Action<KlingClientOptions>? configure = null, string? redis = null) =>
        OpenAsync(CliEnvironment.Of(parse), ApiKeySource.Find(parse.GetValue(GlobalOptions.ApiKey), parse.GetValue(GlobalOptions.ApiKeyFile), CliEnvironment.Of(parse)), parse.GetValue(GlobalOptions.BaseUrl), error, configure, () => Ledger.LedgerLocation.SimulatorStateFile(parse), redis, cancellationToken);

    private static async Task<Endpoint> OpenAsync(CliEnvironment environment, string? apiKey, string? baseUrl, TextWriter error, Action<KlingClientOptions>? configure, Func<string> simulatorStateFile, string? redis, CancellationToken cancellationToken)
    {
        baseUrl = string.IsNullOrWhiteSpace(baseUrl) ? environment.Variable("KIE_BASE_URL") : baseUrl;
        baseUrl = string.IsNullOrWhiteSpace(baseUrl) ? null : baseUrl.Trim();

        KlingSimulator? simulator = null;
        Uri url;
        if (apiKey is null && baseUrl is null)
        {
            simulator = await KlingSimulator.StartAsync(new KlingSimulatorOptions
            {
                WaitingFor = TimeSpan.FromSeconds(0.5),
                QueuingFor = TimeSpan.FromSeconds(0.5),
                GeneratingFor = TimeSpan.FromSeconds(2),
                StateFile = simulatorStateFile(), // beside the ledger: tasks outlive this command, so status/wait/download work offline
                AcceptedApiKey = SimulatorKey(simulatorStateFile()), // private: no other local process can read the prompts or reset the state
                Urls = "http://127.0.0.1:0", // loopback only, on a free port
            }, cancellationToken).ConfigureAwait(false);
            apiKey = simulator.ApiKey;
            url = simulator.BaseUrl;
            await error.WriteLineAsync($"No KIE_API_KEY or KIE_BASE_URL: using the built-in simulator at {url} (offline; the result is a sample clip).").ConfigureAwait(false);
        }
        else if (apiKey is null)
        {
            throw new UsageException("no API key: set KIE_API_KEY, or pass --api-key-file FILE (or --api-key KEY); the simulator accepts 'simulator-key'.");
        }
        else if (baseUrl is null)
        {
            url = KlingClientOptions.DefaultBaseUrl;
        }
        else if (!Uri.TryCreate(baseUrl, UriKind.Absolute, out url!) || url.Scheme is not ("http" or "https"))
        {
            throw new UsageException($"--base-url must be an absolute http or https URL such as https://api.kie.ai/, not '{baseUrl}'.");
        }
        else
        {
            url = ServiceRoot(url);
        }

        var services = new ServiceCollection();
        var builder = services.AddKlingClient(o =>
        {
            o.ApiKey = apiKey;
            o.BaseUrl = url;
            // The uploads have their own server (the document's); the built-in simulator serves them itself, and
            // KIE_UPLOAD_BASE_URL points them elsewhere (a standalone simulator: its own address).
            if (simulator is not null)
            {
                o.UploadBaseUrl = simulator.UploadBaseUrl;
            }
            else if (Uri.TryCreate(environment.Variable("KIE_UPLOAD_BASE_URL")?.Trim(), UriKind.Absolute, out var uploads))
            {
                o.UploadBaseUrl = uploads;
            }

            // The library's documented retry policy (docs/reliability.md) rides out what the service answers (a maintenance
            // window, a 5xx); only an unreachable service is given up within seconds: a person is waiting.
            o.Resilience.MaxUnreachableRetries = 2;
            o.CreateTaskJournal = Ledger.LedgerJournal.Shared; // the ledger marks a createTask "sending" as its body leaves, and records its outcome
            configure?.Invoke(o); // a command's own policy (kling batch: the account's pace, patient retries)
            environment.Client?.Invoke(o); // a test's shorter retry delays (CliEnvironment.Client)
        });
        if (redis is not null)
        {
            // Several processes (machines) on one key share the account's limit through Redis; when Redis cannot be
            // reached, a createTask fails before it is sent (nothing created) rather than pacing alone and meeting 429s.
            builder.AddRedisPacing(redis, o => o.WhenUnavailable = KlingGenerated.Redis.RedisUnavailableMode.Fail);
        }

        return new Endpoint(services.BuildServiceProvider(), simulator, url, environment);
    }

    /// <summary>
    /// The built-in simulator's key: random, made on first use and kept beside its state file, readable by the user only.
    /// Not one per run: the simulator files tasks under their key, and a later `kling wait` must see the tasks of this one.
    /// </summary>
    internal static string SimulatorKey(string stateFile)
    {
        var path = Path.Combine(Path.GetDirectoryName(stateFile)!, "simulator.key");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        if (!File.Exists(path))
        {
            // Written whole to a private temporary file, then moved into place: a concurrent run never reads half a key.
            var temporary = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using (var writer = new StreamWriter(temporary, options))
            {
                writer.Write(Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24)));
            }

            try
            {
                File.Move(temporary, path, overwrite: false);
            }
            catch (IOException) when (File.Exists(path))
            {
                File.Delete(temporary); // another run made it first: use theirs
            }
        }

        var key = File.ReadAllText(path).Trim();
        return key.Length >= 32 ? key : throw new UsageException($"the built-in simulator's key file {path} is damaged; delete it (the simulator's tasks beside it are then no longer visible) and run again.");
    }

    /// <summary>The service's root: a URL given with the client's own /api/v1 path would otherwise call /api/v1/api/v1/….</summary>
    internal static Uri ServiceRoot(Uri url)
    {
        var path = url.AbsolutePath.TrimEnd('/');
        if (path.EndsWith("/api/v1", StringComparison.OrdinalIgnoreCase))
        {
            path = path[..^"/api/v1".Length];
        }

        return new UriBuilder(url) { Path = path + "/", Query = string.Empty, Fragment = string.Empty }.Uri;
    }

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync().ConfigureAwait(false);
        if (_simulator is not null)
        {
            await _simulator.DisposeAsync().ConfigureAwait(false);
        }
    }
}
