using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace KlingGenerated.Simulator;

/// <summary>
/// A local stand-in for the kie.ai Kling service on ASP.NET Core's Kestrel. It validates every request against
/// the embedded openapi/kling.openapi.yaml and answers in the service's envelope.
/// </summary>
/// <remarks>
/// This file holds the hosting (start, stop, state fields); each concern has its own folder: Routing, Pipeline (checks
/// and answers), Auth, Faults, Endpoints, Callbacks, Control (the /_simulator API), Storage (retention, credits, the
/// journal) and CommandLine.
/// </remarks>
public sealed partial class KlingSimulator : IAsyncDisposable
{
    private readonly KlingSimulatorOptions _options;
    private readonly WebApplication _app;
    private readonly SimulatorStateFile? _stateFile;
    private readonly ConcurrentDictionary<string, SimulatedTask> _tasks = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _keyIds = new(StringComparer.Ordinal);

    // Guards the rate-limit windows, the credit balance and task creation, so that a create is checked and charged as one step.
    private readonly Lock _gate = new();
    private readonly Lock _persistGate = new();
    private readonly Dictionary<string, Queue<DateTimeOffset>> _windows = new(StringComparer.Ordinal);
    // Callbacks in flight only: a finished one removes itself, so 50,000 tasks with callbacks do not pin 50,000 Tasks.
    private readonly ConcurrentDictionary<Task, byte> _callbacks = new();
    private readonly CancellationTokenSource _stopping = new();
    // A receiver's answer is untrusted: only its status is read (the body never), and a redirect is not followed, so a
    // receiver that answers 768 MiB or points elsewhere costs the simulator one connection and a few KiB.
    private readonly HttpClient _callbackClient = new(new SocketsHttpHandler { AllowAutoRedirect = false, MaxResponseHeadersLength = 64, MaxResponseDrainSize = 0 }) { Timeout = TimeSpan.FromSeconds(15) };
    private readonly byte[] _video;
    private readonly ITimer _sweeper;
    private long _expiredTasks;
    private long _charged; // credits charged for every task created since the last reset, expired ones included
    private long _taskCounter;
    private long _callbackAttempts;
    private long _requests;
    private long _faultsInjected;
    private long _rateLimited;
    private readonly Random _random;
    private readonly List<(string Path, string Method)> _routes = [];
    private volatile string? _fault;

    private KlingSimulator(KlingSimulatorOptions options, WebApplication app)
    {
        _options = options;
        _app = app;
        _video = SampleVideo();
        _random = new Random(options.RandomFaultSeed);
        _fault = options.Fault;
        _callbackClient.DefaultRequestHeaders.UserAgent.ParseAdd("KlingGenerated.Simulator/1.0");
        var sweepEvery = TimeSpan.FromTicks(Math.Clamp(options.TaskRetention.Ticks / 10, TimeSpan.FromMilliseconds(50).Ticks, TimeSpan.FromMinutes(1).Ticks));
        _sweeper = options.TimeProvider.CreateTimer(_ => SweepSafely(), null, sweepEvery, sweepEvery);
        if (options.StateFile is { } path)
        {
            _stateFile = new SimulatorStateFile(path);

            // Another process at the same millisecond would need the same counter value to clash; start at a random one.
            _taskCounter = Random.Shared.Next(0, 9000);
        }
    }

    /// <summary>The address the simulator listens on, ending with '/'.</summary>
    public Uri BaseUrl { get; private set; } = null!;

    /// <summary>The API key it accepts (empty when authentication is disabled).</summary>
    public string ApiKey => _options.AcceptedApiKey ?? string.Empty;

    /// <summary>Tasks held now (expired ones are dropped).</summary>
    public int TaskCount => _tasks.Count;

    /// <summary>Callback POSTs attempted so far, failed ones included.</summary>
    public long CallbackAttempts => Interlocked.Read(ref _callbackAttempts);

    /// <summary>Requests answered so far (file downloads and control endpoints not counted).</summary>
    public long RequestCount => Interlocked.Read(ref _requests);

    /// <summary>Requests that got an injected fault.</summary>
    public long FaultsInjected => Interlocked.Read(ref _faultsInjected);

    /// <summary>createTask requests refused by the rate limit (not by an injected fault).</summary>
    public long RateLimitedCount => Interlocked.Read(ref _rateLimited);

    /// <summary>The ids and create requests (the fields the document declares) of the tasks held now.</summary>
    public IReadOnlyDictionary<string, string> CreatedTasks => _tasks.ToDictionary(t => t.Key, t => t.Value.Param);

    /// <summary>The MP4 the simulator serves as every task's result.</summary>
    public static byte[] SampleVideo()
    {
        using var stream = typeof(KlingSimulator).Assembly.GetManifestResourceStream("sample.mp4")
            ?? throw new InvalidOperationException("sample.mp4 is not embedded in KlingGenerated.Simulator.dll; rebuild it.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    /// <summary>Starts a simulator; dispose it to stop.</summary>
    /// <exception cref="ArgumentException">The options are not usable (each problem is named).</exception>
    /// <exception cref="InvalidOperationException">The state file cannot be read.</exception>
    public static async Task<KlingSimulator> StartAsync(KlingSimulatorOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new KlingSimulatorOptions();
        if (options.Problems() is { Count: > 0 } problems)
        {
            throw new ArgumentException("Invalid simulator options: " + string.Join(" ", problems), nameof(options));
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(options.Urls);

        // Kestrel's own cap (30 MB by default) is far above any valid request; the simulator reads at most this.
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = Math.Max(options.MaxRequestBodyBytes, UploadBodyCap));
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<IHostLifetime, EmbeddedLifetime>();
        var app = builder.Build();
        var simulator = new KlingSimulator(options, app);
        try
        {
            simulator.LoadState();
            simulator.Map(app);
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await simulator.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        simulator.BaseUrl = new Uri(address.Replace("//[::]", "//127.0.0.1", StringComparison.Ordinal).TrimEnd('/') + "/");
        simulator.ResumeCallbacks();
        return simulator;
    }

    /// <summary>Callback deliveries not finished yet.</summary>
    internal int CallbacksInFlight => _callbacks.Count;

    /// <summary>Waits until every callback scheduled so far was delivered or gave up.</summary>
    public Task CallbacksDrainedAsync() => Task.WhenAll(_callbacks.Keys.ToArray());

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _sweeper.DisposeAsync().ConfigureAwait(false);
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _callbackClient.Dispose();
        _stopping.Dispose();
    }

    private DateTimeOffset Now => _options.TimeProvider.GetUtcNow();

    /// <summary>The simulator lives inside other programs (tests, the CLI): it must not take over Ctrl+C or SIGTERM.</summary>
    private sealed class EmbeddedLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
