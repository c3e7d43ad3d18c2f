using KlingGenerated.Cli;
using KlingGenerated.Simulator;
using KlingGenerated.Tests.Infrastructure;

namespace KlingGenerated.Tests.Cli;

/// <summary>Runs `kling` in this process against a real in-process simulator, in a temporary folder with its own ledger.</summary>
internal sealed class CliRun : IAsyncDisposable
{
    public const string Key = "cli-run-key-7f3a91";

    private CliRun(KlingSimulator simulator, string folder)
    {
        Simulator = simulator;
        Folder = folder;
    }

    public KlingSimulator Simulator { get; }

    public string Folder { get; }

    public string Ledger => Path.Combine(Folder, "ledger", "tasks.db");

    public static async Task<CliRun> StartAsync(Action<KlingSimulatorOptions>? configure = null)
    {
        var options = new KlingSimulatorOptions
        {
            AcceptedApiKey = Key,
            WaitingFor = TimeSpan.FromMilliseconds(50),
            QueuingFor = TimeSpan.FromMilliseconds(50),
            GeneratingFor = TimeSpan.FromMilliseconds(100),
            RateLimit = 1000,
        };
        configure?.Invoke(options);
        return new CliRun(await KlingSimulator.StartAsync(options), KlingProcess.NewDirectory());
    }

    /// <summary>The service options of this run: the simulator's address, the key and the ledger.</summary>
    public string[] Service => ["--base-url", Simulator.BaseUrl.ToString(), "--api-key", Key, "--ledger", Ledger];

    public string Write(string name, string text)
    {
        var path = Path.Combine(Folder, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>Runs kling with <paramref name="args"/> followed by <see cref="Service"/>.</summary>
    public Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(params string[] args) => InProcessAsync([.. args, .. Service]);

    /// <summary>Runs kling in this process; with <paramref name="clock"/>, the run's one clock is that one.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> InProcessAsync(string[] args, CancellationToken cancellationToken = default, TimeProvider? clock = null)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var environment = clock is null ? null : CliEnvironment.Process with { Time = clock };
        var code = await KlingCli.RunAsync(args, output, error, cancellationToken, new CliTerminal(false, false, () => 80, clock ?? TimeProvider.System), environment);
        return (code, output.ToString(), error.ToString());
    }

    public async ValueTask DisposeAsync() => await Simulator.DisposeAsync();
}
