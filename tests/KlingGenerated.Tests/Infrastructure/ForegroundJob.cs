using System.Diagnostics;

namespace KlingGenerated.Tests.Infrastructure;

/// <summary>
/// Starts a process the way a terminal starts its foreground job: with SIGINT at its default disposition.
/// POSIX has a non-interactive shell start background jobs with SIGINT and SIGQUIT ignored, and an ignored signal is
/// inherited across fork and exec (by `dotnet test`, its test host and every process a test starts). kling, like every
/// well-behaved Unix program (nohup, background jobs), keeps an inherited "ignore", so a test that presses Ctrl+C would
/// fail only because of how the suite itself was launched. Coreutils' `env --default-signal` restores the default
/// before it execs the program, keeping its process id, so the test signals the right process.
/// </summary>
public static class ForegroundJob
{
    /// <summary>Rewrites <paramref name="start"/> to run its program through `env --default-signal=INT,QUIT`.</summary>
    public static ProcessStartInfo WithDefaultInterrupt(this ProcessStartInfo start)
    {
        start.ArgumentList.Insert(0, start.FileName);
        start.ArgumentList.Insert(0, "--default-signal=INT,QUIT");
        start.FileName = "env";
        return start;
    }
}
