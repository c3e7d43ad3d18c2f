using KlingGenerated.Cli;

namespace KlingGenerated.Tests.Infrastructure;

/// <summary>
/// Runs the <c>kling</c> CLI in this test process, through the same entry point as Program.cs (<see cref="KlingCli.RunAsync(string[], TextWriter, TextWriter, CancellationToken, CliTerminal?, CliEnvironment?)"/>),
/// with its own environment and working directory, so many runs go in parallel without starting a process each.
/// Use <see cref="KlingProcess"/> only when the process is what the test is about (signals, kill -9, a terminal, concurrent processes).
/// </summary>
internal static class KlingInProcess
{
    public static Task<KlingProcess.Result> RunAsync(string workingDirectory, params string[] args) =>
        RunAsync(workingDirectory, new Dictionary<string, string>(), args);

    /// <summary>Runs the CLI with these environment variables only (no KIE_* from the test process) and the ledger beside <paramref name="workingDirectory"/>, as <see cref="KlingProcess.StartInfo"/> does.</summary>
    public static Task<KlingProcess.Result> RunAsync(string workingDirectory, IReadOnlyDictionary<string, string> environment, params string[] args) =>
        RunAsync(workingDirectory, environment, terminal: null, args);

    /// <summary>
    /// Runs the CLI with the library's retry delays cut to milliseconds (<see cref="ShortRetryDelays"/>): for a test whose
    /// service keeps failing a query (the balance check before a batch, a status), where the default backoff waits about 40 s
    /// per command though the retries, their number and their rules are not what the test is about.
    /// </summary>
    public static Task<KlingProcess.Result> RunWithShortRetryDelaysAsync(string workingDirectory, params string[] args) =>
        RunAsync(workingDirectory, new Dictionary<string, string>(), terminal: null, ShortRetryDelays, args);

    /// <summary>The retries as the library makes them (same count, same rules), 10-100 ms apart instead of 1-30 s.</summary>
    public static void ShortRetryDelays(KlingGenerated.KlingClientOptions options)
    {
        options.Resilience.BaseDelay = TimeSpan.FromMilliseconds(10);
        options.Resilience.MaxDelay = TimeSpan.FromMilliseconds(100);
    }

    /// <summary>
    /// Runs the CLI with its environment adjusted by <paramref name="adjust"/> (a <c>with</c> expression), such as a
    /// <see cref="CliEnvironment.IsPrivateHost"/> that plays a public service on 127.0.0.1.
    /// </summary>
    public static Task<KlingProcess.Result> RunWithEnvironmentAsync(string workingDirectory, Func<CliEnvironment, CliEnvironment> adjust, params string[] args) =>
        RunAsync(workingDirectory, new Dictionary<string, string>(), terminal: null, client: null, args, adjust);

    /// <summary>Runs the CLI with a given terminal (default: a log, as when stderr is redirected).</summary>
    public static Task<KlingProcess.Result> RunAsync(string workingDirectory, IReadOnlyDictionary<string, string> environment, CliTerminal? terminal, params string[] args) =>
        RunAsync(workingDirectory, environment, terminal, client: null, args);

    private static async Task<KlingProcess.Result> RunAsync(string workingDirectory, IReadOnlyDictionary<string, string> environment, CliTerminal? terminal, Action<KlingGenerated.KlingClientOptions>? client, string[] args,
        Func<CliEnvironment, CliEnvironment>? adjust = null)
    {
        adjust ??= static e => e;
        var variables = new Dictionary<string, string>(StringComparer.Ordinal) { ["KLING_LEDGER"] = KlingProcess.LedgerFor(workingDirectory) };
        foreach (var (name, value) in environment)
        {
            variables[name] = value;
        }

        var output = new StringWriter();
        var error = new StringWriter();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        int exitCode;
        try
        {
            exitCode = await KlingCli.RunAsync(
                args, output, error, timeout.Token,
                terminal ?? new CliTerminal(Live: false, Ansi: false, Width: () => 80, TimeProvider.System), // stderr redirected, as in a process started by a test
                adjust(new CliEnvironment(name => variables.GetValueOrDefault(name), Path.GetFullPath(workingDirectory)) { Client = client }));
        }
        catch (Exception exception) when (!timeout.IsCancellationRequested)
        {
            // What the runtime does with an exception that escapes Main: the message on stderr and exit code 134 (SIGABRT).
            await error.WriteLineAsync("Unhandled exception. " + exception);
            exitCode = 134;
        }

        if (timeout.IsCancellationRequested)
        {
            throw new TimeoutException($"kling {string.Join(' ', args)} did not finish within 2 minutes; it was cancelled.\n{error}");
        }

        return new KlingProcess.Result(exitCode, output.ToString(), error.ToString());
    }
}
