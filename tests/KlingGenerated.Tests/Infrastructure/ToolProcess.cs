using System.Diagnostics;
using System.Text;

namespace KlingGenerated.Tests.Infrastructure;

/// <summary>
/// Runs a tool a test needs (dotnet, node, npm) in a folder to its end and returns its exit code and its output (stdout,
/// then stderr), both read to the end while it runs; a run past <c>deadline</c> is killed with its children and fails
/// the test with what it printed.
/// </summary>
internal static class ToolProcess
{
    public static async Task<(int ExitCode, string Output)> RunAsync(string workingDirectory, TimeSpan deadline, string command, IEnumerable<string> arguments, params (string Name, string Value)[] environment)
    {
        var start = new ProcessStartInfo(command)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["NO_COLOR"] = "1";
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(deadline);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{command} {string.Join(' ', start.ArgumentList)} did not exit within {deadline.TotalMinutes:0} minutes; it was killed.\n{await stdout}\n{await stderr}");
        }

        return (process.ExitCode, await stdout + await stderr);
    }
}
