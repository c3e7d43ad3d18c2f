using System.Diagnostics;

namespace KlingGenerated.Tests.Infrastructure;

/// <summary>Runs the built `kling` CLI as a separate process, without KIE_* variables from the environment.</summary>
public static class KlingProcess
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static Task<Result> RunAsync(string workingDirectory, params string[] args) =>
        RunAsync(workingDirectory, new Dictionary<string, string>(), args);

    /// <summary>Runs the CLI with extra environment variables.</summary>
    public static async Task<Result> RunAsync(string workingDirectory, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        using var process = Process.Start(StartInfo(workingDirectory, environment, args))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"kling {string.Join(' ', args)} did not exit within 2 minutes; it was killed.");
        }
        return new Result(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>The start info of `dotnet kling.dll args`, without KIE_* variables except those given.</summary>
    public static ProcessStartInfo StartInfo(string workingDirectory, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "kling.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Remove("KIE_API_KEY");
        start.Environment.Remove("KIE_API_KEY_FILE");
        start.Environment.Remove("KIE_BASE_URL");
        start.Environment["KLING_LEDGER"] = LedgerFor(workingDirectory); // never the user's own ledger
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        return start.WithDefaultInterrupt(); // tests press Ctrl+C: SIGINT at its default, whatever launched the suite
    }

    /// <summary>The ledger of the runs in <paramref name="workingDirectory"/>: beside it, so the folder holds only what the command made.</summary>
    public static string LedgerFor(string workingDirectory) => Path.Combine(workingDirectory.TrimEnd(Path.DirectorySeparatorChar) + ".ledger", "tasks.db");

    public static string NewDirectory()
    {
        var dir = Path.Combine(Path.GetTempPath(), "kling-cli-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        return dir;
    }
}
