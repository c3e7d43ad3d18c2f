using System.Diagnostics;

namespace KlingGenerated.Tests.Infrastructure;

/// <summary>Runs the built `kling` CLI as a separate process, without KIE_* variables from the environment.</summary>
public static class KlingProcess
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static async Task<Result> RunAsync(string workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "kling.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Remove("KIE_API_KEY");
        start.Environment.Remove("KIE_BASE_URL");
        start.Environment["KLING_LEDGER"] = Path.Combine(workingDirectory, "ledger", "tasks.db"); // never the user's own ledger
        using var process = Process.Start(start)!;
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

    public static string NewDirectory()
    {
        var dir = Path.Combine(Path.GetTempPath(), "kling-cli-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        return dir;
    }
}
