using System.Text;

namespace KlingGenerated.Tests.Cli;

/// <summary>Runs <c>kling batch</c> on a file it must refuse before sending anything, so the batch input tests state that promise one way.</summary>
internal static class RefusedBatch
{
    /// <summary>
    /// Writes <paramref name="content"/> (UTF-8) to <paramref name="name"/> in a new run's folder, runs <c>kling batch</c> on it and
    /// checks that it exits 2 (refused input) and the simulator received no request; returns the file's path and what kling wrote to stderr.
    /// </summary>
    public static Task<(string File, string Stderr)> RunAsync(string name, string content) => RunAsync(name, Encoding.UTF8.GetBytes(content));

    /// <inheritdoc cref="RunAsync(string, string)"/>
    public static async Task<(string File, string Stderr)> RunAsync(string name, byte[] content)
    {
        await using var run = await CliRun.StartAsync();
        var file = Path.Combine(run.Folder, name);
        await File.WriteAllBytesAsync(file, content);

        var result = await run.RunAsync("batch", file, "--out", Path.Combine(run.Folder, "v"));

        result.ExitCode.Should().Be(2, result.Stderr);
        run.Simulator.RequestCount.Should().Be(0, "a refused file sends nothing");
        return (file, result.Stderr);
    }
}
