using System.Diagnostics;

namespace KlingGenerated.Tests.Infrastructure;

/// <summary>
/// A Python 3 that can import the modules a test needs: the first <c>python3</c> on PATH that has them, then Debian's
/// /usr/bin/python3; when none has them, Debian's packages are installed with apt-get (as the Redis fixture installs
/// redis-server), or the test fails saying what to install (never skips).
/// </summary>
public static class PythonInterpreter
{
    private static readonly SemaphoreSlim InstallGate = new(1, 1);

    /// <summary>The python3 candidates, in the order a shell would find them, then Debian's.</summary>
    public static IEnumerable<string> Candidates() =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, "python3"))
            .Append("/usr/bin/python3")
            .Where(File.Exists)
            .Distinct(StringComparer.Ordinal);

    /// <summary>
    /// A python3 that imports every module of <paramref name="modules"/>; installs <paramref name="debianPackages"/> with
    /// apt-get when no candidate does.
    /// </summary>
    public static async Task<string> WithModulesAsync(IReadOnlyList<string> modules, IReadOnlyList<string> debianPackages)
    {
        if (await FindAsync(modules) is { } found)
        {
            return found;
        }

        await InstallGate.WaitAsync();
        try
        {
            if (await FindAsync(modules) is { } foundAfterWait)
            {
                return foundAfterWait;
            }

            var packages = string.Join(' ', debianPackages);
            var problem = "no python3 on PATH or at /usr/bin/python3 could import " + string.Join(", ", modules);
            if (File.Exists("/usr/bin/apt-get"))
            {
                Console.Error.WriteLine($"{problem}; installing Debian's {packages} with apt-get...");
                var update = await RunAsync("/usr/bin/apt-get", ["update", "-qq"]);
                var install = await RunAsync("/usr/bin/apt-get", ["install", "-y", "-qq", .. debianPackages]);
                if (await FindAsync(modules) is { } installed)
                {
                    return installed;
                }

                problem += $"; apt-get could not install them (update: exit {update.ExitCode}, install: exit {install.ExitCode}: {install.Output.Trim()})";
            }

            throw new InvalidOperationException(
                $"{problem}. Install them (Debian/Ubuntu: sudo apt-get install -y {packages}; elsewhere: pip install {string.Join(' ', modules)} " +
                "for the python3 on PATH) and run the tests again.");
        }
        finally
        {
            InstallGate.Release();
        }
    }

    private static async Task<string?> FindAsync(IReadOnlyList<string> modules)
    {
        foreach (var candidate in Candidates())
        {
            if ((await RunAsync(candidate, ["-c", "import " + string.Join(", ", modules)])).ExitCode == 0)
            {
                return candidate;
            }
        }

        return null;
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string file, IReadOnlyList<string> arguments)
    {
        var start = new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        try
        {
            using var process = Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start.");
            var output = process.StandardOutput.ReadToEndAsync();
            var errors = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
            await process.WaitForExitAsync(timeout.Token);
            return (process.ExitCode, await output + await errors);
        }
        catch (System.ComponentModel.Win32Exception failed)
        {
            return (-1, failed.Message); // not executable: not a candidate
        }
    }
}
