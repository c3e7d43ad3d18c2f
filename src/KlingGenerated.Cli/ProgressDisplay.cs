using System.Diagnostics;
using Spectre.Console;

namespace KlingGenerated.Cli;

/// <summary>Shows a task's state and elapsed time on stderr: a live line on a terminal, one line per change otherwise.</summary>
internal sealed class ProgressDisplay(TextWriter error) : IProgress<TaskRecord>
{
    private readonly Stopwatch _elapsed = Stopwatch.StartNew();
    private readonly bool _live = !Console.IsErrorRedirected;
    private string? _last;

    public void Report(TaskRecord value)
    {
        var state = value.RawState ?? "unknown";
        var line = $"{value.TaskId}: {state,-10} {_elapsed.Elapsed.TotalSeconds,6:0.0} s";
        if (_live)
        {
            error.Write("\r" + Markup.Remove(line).PadRight(60));
            _last = state;
            return;
        }

        if (state != _last)
        {
            error.WriteLine(line);
            _last = state;
        }
    }

    public void Done()
    {
        if (_live && _last is not null)
        {
            error.WriteLine();
        }
    }
}
