namespace KlingGenerated.Cli;

/// <summary>
/// Ctrl+C (SIGINT) and SIGTERM for the whole process: the first cancels the running command, which records what it did,
/// prints how to resume (the task id, or the batch's resume command) and exits 130. A SIGINT within
/// <see cref="SamePress"/> of the first is the same press: `timeout -s INT`, a terminal and a process group can deliver
/// one Ctrl+C twice within milliseconds, and quitting at once on that copy would skip the resume line. A Ctrl+C after
/// that is a deliberate second press and ends the process at once, but first says where the task ids are kept.
/// </summary>
internal sealed class InterruptSignals(CancellationTokenSource interrupted, TextWriter error, TimeProvider time)
{
    /// <summary>
    /// How long after the first interrupt a SIGINT still counts as the same press. Copies of one press arrive within
    /// milliseconds; 1 s leaves room for a loaded machine to run the handler late, and a person who presses again on
    /// purpose because the command seems stuck does so after it has had time to print (cleanup takes well under a
    /// second unless something hangs), so the force-quit is delayed by at most a second.
    /// </summary>
    public static readonly TimeSpan SamePress = TimeSpan.FromSeconds(1);

    /// <summary>What a second, deliberate Ctrl+C prints before the process ends (the command had no time to print its own line).</summary>
    public const string ForceQuitLine = "error: interrupted again: quitting at once. Every task kling created is in the task ledger and keeps running: "
        + "`kling tasks` lists them, `kling wait <taskId>` resumes one, and the same `kling batch` command resumes a batch.";

    private readonly object _gate = new();
    private long? _first;

    /// <summary>A SIGINT: true to keep running (the command is cancelled and ends by itself), false to end the process at once.</summary>
    public bool Interrupt()
    {
        lock (_gate)
        {
            if (_first is not { } first)
            {
                _first = time.GetTimestamp();
                interrupted.Cancel();
                return true;
            }

            if (time.GetElapsedTime(first) < SamePress)
            {
                return true; // the same press, delivered twice: the command is already stopping and prints its resume line
            }
        }

        error.WriteLine(ForceQuitLine);
        error.Flush();
        return false;
    }

    /// <summary>A SIGTERM: cancels the command as Ctrl+C does (and starts the window); it never ends the process at once.</summary>
    public void Terminate()
    {
        lock (_gate)
        {
            _first ??= time.GetTimestamp();
        }

        interrupted.Cancel();
    }
}
