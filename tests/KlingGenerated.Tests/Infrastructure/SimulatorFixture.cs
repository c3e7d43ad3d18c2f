using KlingGenerated.Simulator;

namespace KlingGenerated.Tests.Infrastructure;

/// <summary>One in-process simulator with short timings, shared by the "Simulator" collection.</summary>
public sealed class SimulatorFixture : IAsyncLifetime
{
    public const string HmacKey = "fixture-hmac-key";

    public KlingSimulator Simulator { get; private set; } = null!;

    public static KlingPollingOptions FastPolling => new() { InitialDelay = TimeSpan.FromMilliseconds(50), MaxDelay = TimeSpan.FromMilliseconds(200), Timeout = TimeSpan.FromSeconds(20) };

    public async Task InitializeAsync() => Simulator = await KlingSimulator.StartAsync(new KlingSimulatorOptions
    {
        WaitingFor = TimeSpan.FromMilliseconds(100),
        QueuingFor = TimeSpan.FromMilliseconds(100),
        GeneratingFor = TimeSpan.FromMilliseconds(200),
        WebhookHmacKey = HmacKey,
        CallbackRetryDelay = TimeSpan.FromMilliseconds(100),
        RateLimit = 1000,
    });

    /// <summary>A client for the simulator; <paramref name="fault"/> goes in the simulator's fault header of every request.</summary>
    public KlingClient NewClient(string? fault = null, string? apiKey = null) =>
        new(new HttpClient(new FaultHeaderHandler(fault) { InnerHandler = new SocketsHttpHandler() }), new KlingClientOptions { ApiKey = apiKey ?? Simulator.ApiKey, BaseUrl = Simulator.BaseUrl });

    public async Task DisposeAsync() => await Simulator.DisposeAsync();

    private sealed class FaultHeaderHandler(string? fault) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (fault is not null)
            {
                request.Headers.Add(SimulatorFault.Header, fault);
            }

            return base.SendAsync(request, cancellationToken);
        }
    }
}

[CollectionDefinition("Simulator")]
public sealed class SimulatorCollection : ICollectionFixture<SimulatorFixture>;
