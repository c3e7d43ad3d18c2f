using System.CommandLine;

namespace KlingGenerated.Cli;

/// <summary>
/// The environment variables and working directory one run of <c>kling</c> sees: the process's own, or those given to
/// <see cref="KlingCli.RunAsync(string[], TextWriter, TextWriter, CancellationToken, CliTerminal?, CliEnvironment?)"/>.
/// </summary>
// Why: the tests run the CLI in their own process, many at once, each with its own KIE_*, KLING_LEDGER and folder.
internal sealed record CliEnvironment(Func<string, string?> Variable, string WorkingDirectory)
{
    /// <summary>Applied to the client's options after the command's own (null in the shipped CLI).</summary>
    // Why: a test shortens the library's retry delays (the retries, their count and rules stay) instead of waiting minutes.
    public Action<KlingClientOptions>? Client { get; init; }

    /// <summary>The one clock of the run ("30m" back from when, for --since and --older-than).</summary>
    // Why: a test moves it (FakeTimeProvider) instead of waiting or racing midnight.
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Whether a base URL is on a loopback or private host (then its result URLs may be too); the library's rule.</summary>
    // Why: a test plays a public service on 127.0.0.1 (no test may send anything off this machine).
    public Func<Uri, CancellationToken, Task<bool>> IsPrivateHost { get; init; } = KlingDownloadOptions.IsPrivateHostAsync;

    /// <summary>The process's environment and current directory.</summary>
    public static CliEnvironment Process { get; } = new(Environment.GetEnvironmentVariable, string.Empty);

    /// <summary>The environment of the run <paramref name="parse"/> belongs to.</summary>
    public static CliEnvironment Of(ParseResult parse) =>
        (parse.RootCommandResult.Command as KlingRootCommand)?.Environment ?? Process;

    /// <summary>A path the user gave, made absolute against this run's working directory.</summary>
    public string FullPath(string path) =>
        WorkingDirectory.Length == 0 ? Path.GetFullPath(path) : Path.GetFullPath(path, WorkingDirectory);
}

/// <summary>The root command, carrying the environment its run sees.</summary>
internal sealed class KlingRootCommand(string description, CliEnvironment environment) : RootCommand(description)
{
    public CliEnvironment Environment { get; } = environment;
}
