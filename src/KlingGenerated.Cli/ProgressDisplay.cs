using System.Globalization;
using Spectre.Console;

namespace KlingGenerated.Cli;

/// <summary>
/// Shows a task's state, the elapsed time and the download on stderr: on a terminal one live line, redrawn every second
/// and kept within its width; otherwise one line per change.
/// </summary>
internal sealed class ProgressDisplay : IProgress<TaskRecord>, IProgress<KlingDownloadProgress>, IDisposable
{
    private static readonly TimeSpan Tick = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Heartbeat30s = TimeSpan.FromSeconds(30);
    private readonly object _gate = new();
    private readonly TextWriter _error;
    private readonly CliTerminal _terminal;
    private readonly long _started;
    private readonly ITimer? _ticker;
    private readonly IAnsiConsole _console;
    private string _taskId = string.Empty;
    private string? _state;
    private (long Received, long? Total)? _download;
    private bool _drawn;
    private bool _done;

    public ProgressDisplay(TextWriter error, CliTerminal terminal)
    {
        _error = error;
        _terminal = terminal;
        _started = terminal.Time.GetTimestamp();
        _console = terminal.CreateConsole(error);
        // Off a terminal (logs, CI) a line every 30 s, so a long wait between state changes is not silent.
        _ticker = terminal.Live
            ? terminal.Time.CreateTimer(_ => Redraw(), null, Tick, Tick)
            : terminal.Time.CreateTimer(_ => Heartbeat(), null, Heartbeat30s, Heartbeat30s);
    }

    public TimeSpan Elapsed => _terminal.Time.GetElapsedTime(_started);

    /// <summary>The last state the service reported (safe to print), or null before the first answer.</summary>
    public string? LastState
    {
        get
        {
            lock (_gate)
            {
                return _state;
            }
        }
    }

    public void Report(TaskRecord value)
    {
        lock (_gate)
        {
            var state = TerminalText.Capped(value.RawState ?? "unknown", 100);
            _taskId = TerminalText.WithLongWordsCapped(TerminalText.Safe(value.TaskId));
            var changed = state != _state;
            _state = state;
            if (_terminal.Live)
            {
                DrawLive();
            }
            else if (changed)
            {
                _error.WriteLine($"{_taskId}: {state} {Elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s");
            }
        }
    }

    public void Report(KlingDownloadProgress value) => ReportDownload(value.BytesReceived, value.TotalBytes);

    /// <summary>Shows the download's bytes so far (and of how many, when the server said).</summary>
    public void ReportDownload(long received, long? total)
    {
        lock (_gate)
        {
            var started = _download is null;
            _download = (received, total);
            if (_terminal.Live)
            {
                DrawLive();
            }
            else if (started)
            {
                _error.WriteLine($"{_taskId}: downloading{(total is { } t ? " " + Bytes(t) : string.Empty)}");
            }
        }
    }

    /// <summary>Stops the ticker and ends the live line.</summary>
    public void Done()
    {
        _ticker?.Dispose();
        lock (_gate)
        {
            if (_done)
            {
                return;
            }

            _done = true;
            if (_terminal.Live && _drawn)
            {
                DrawLive();
                _error.WriteLine();
            }
            else if (!_terminal.Live && _download is { } d)
            {
                _error.WriteLine($"{_taskId}: downloaded {Bytes(d.Received)}");
            }

            _error.Flush();
        }
    }

    public void Dispose() => Done();

    private void Heartbeat()
    {
        lock (_gate)
        {
            if (!_done && _state is not null && _download is null)
            {
                _error.WriteLine($"{_taskId}: still {_state} {Elapsed.TotalSeconds.ToString("0", CultureInfo.InvariantCulture)} s");
            }
        }
    }

    private void Redraw()
    {
        lock (_gate)
        {
            if (!_done && _state is not null)
            {
                DrawLive();
            }
        }
    }

    private void DrawLive()
    {
        // One column short of the width: writing the last column makes some terminals wrap.
        var width = Math.Max(_terminal.Width(), 20) - 1;
        var rest = $"  {_state,-10} {Elapsed.TotalSeconds.ToString("0", CultureInfo.InvariantCulture),4} s{DownloadText()}";
        if (rest.Length > width)
        {
            rest = rest[..width];
        }

        var id = Fit(_taskId, width - rest.Length);
        _console.Profile.Width = width + 1;
        _error.Write('\r');
        _console.Markup($"[bold]{Markup.Escape(id)}[/][yellow]{Markup.Escape(rest)}[/]");
        var length = id.Length + rest.Length;
        _error.Write(_terminal.Ansi ? "\u001b[K" : new string(' ', width - length));
        _error.Flush();
        _drawn = true;
    }

    private string DownloadText() => _download switch
    {
        { Total: { } total } d when total > 0 => $"  {Bytes(d.Received)}/{Bytes(total)} {Math.Min(100, d.Received * 100 / total)}%",
        { } d => $"  {Bytes(d.Received)}",
        null => string.Empty,
    };

    private static string Fit(string text, int width) =>
        width <= 0 ? string.Empty : text.Length <= width ? text : width == 1 ? "…" : text[..(width - 1)] + "…";

    private static string Bytes(long count) => count switch
    {
        < 1024 => $"{count} B",
        < 1024 * 1024 => (count / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) + " KiB",
        < 1024L * 1024 * 1024 => (count / 1024.0 / 1024).ToString("0.0", CultureInfo.InvariantCulture) + " MiB",
        _ => (count / 1024.0 / 1024 / 1024).ToString("0.00", CultureInfo.InvariantCulture) + " GiB",
    };
}
