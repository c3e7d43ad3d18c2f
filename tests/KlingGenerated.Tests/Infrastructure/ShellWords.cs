using System.Diagnostics;

namespace KlingGenerated.Tests.Infrastructure;

/// <summary>Splits a printed command into its words as bash does when the line is pasted (bash itself parses it).</summary>
public static class ShellWords
{
    public static async Task<string[]> SplitAsync(string commandLine)
    {
        var start = new ProcessStartInfo("bash", ["-c", "eval \"words=($1)\" && printf '%s\\0' \"${words[@]}\"", "bash", commandLine])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException("bash did not start.");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        (await errors).Should().BeEmpty("bash parses the printed command `{0}` without complaint", commandLine);
        process.ExitCode.Should().Be(0, "bash parses the printed command `{0}`", commandLine);
        return (await output).Split('\0', StringSplitOptions.RemoveEmptyEntries);
    }
}
