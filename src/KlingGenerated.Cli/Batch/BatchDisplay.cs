using System.Diagnostics;
using System.Globalization;

namespace KlingGenerated.Cli.Batch;

/// <summary>
/// The batch's progress on stderr: on a terminal, a live block of totals, throughput, ETA and the latest events,
/// redrawn in place; otherwise one plain line per event and a totals line every few seconds.
/// </summary>
internal sealed class BatchDisplay : IAsyncDisposable
{
    private const int EventLines = 5;
    private readonly TextWriter _error;
    private readonly BatchTotals _totals;
    private readonly bool _live;
    private readonly Queue<string> _events = new();
    private readonly Lock _gate = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _drawnLines;

    private readonly Func<int> _width;

    public BatchDisplay(TextWriter error, BatchTotals totals, bool live, Func<int> width)
    {
        _width = width;
        _error = error;
        _totals = totals;
        _live = live;
        _loop = RefreshAsync(_stop.Token);
    }

    /// <summary>Shows one event (already sanitized text).</summary>
    public void Event(string text)
    {
        var line = $"{DateTime.Now.ToString("HH:mm:ss", CultureInfo.InvariantCulture)} {text}";
        lock (_gate)
        {
            if (!_live)
            {
                _error.WriteLine(line);
                return;
            }

            _events.Enqueue(line);
            while (_events.Count > EventLines)
            {
                _events.Dequeue();
            }
        }
    }

    /// <summary>The totals as one line; at the end, lines still queued were never sent, and are called so.</summary>
    public string TotalsLine(bool final = false) =>
        $"{(final ? "not sent" : "queued")} {_totals.Queued}, submitted {_totals.Submitted}, running {_totals.Running}, done {_totals.Done}, failed {_totals.Failed}, uncertain {_totals.Uncertain}";

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        lock (_gate)
        {
            Draw(final: true);
        }

        _stop.Dispose();
    }

    private async Task RefreshAsync(CancellationToken cancellationToken)
    {
        var every = _live ? TimeSpan.FromMilliseconds(250) : TimeSpan.FromSeconds(5);
        try
        {
            while (true)
            {
                await Task.Delay(every, cancellationToken).ConfigureAwait(false);
                lock (_gate)
                {
                    Draw(final: false);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Draw(bool final)
    {
        var rate = _totals.SubmitRatePerWindow();
        var throughput = rate is { } r
            ? $"throughput {r.ToString("0.0", CultureInfo.InvariantCulture)} tasks per {_totals.WindowText} (limit {_totals.Limit}, {(r / _totals.Limit * 100).ToString("0", CultureInfo.InvariantCulture)} %)"
            : "throughput -";
        var eta = final ? "ETA - (the run ended)" : _totals.Eta() is { } e ? $"ETA {Format(e)}" : "ETA unknown until a task ends";
        if (!_live)
        {
            _error.WriteLine($"[{Format(_clock.Elapsed)}] {TotalsLine(final)}; {throughput}; {eta}");
            return;
        }

        var lines = new List<string> { $"{TotalsLine(final)}", $"{throughput} | {eta} | elapsed {Format(_clock.Elapsed)}" };
        lines.AddRange(_events.Select(l => "  " + l));
        if (_drawnLines > 0)
        {
            _error.Write($"\u001b[{_drawnLines}F\u001b[J"); // back to the block's first line, clear below
        }

        var columns = _width();
        var width = columns > 20 ? columns - 1 : 120; // a terminal that does not say its width gets 120
        foreach (var line in lines)
        {
            _error.WriteLine(line.Length > width ? line[..width] : line);
        }

        _drawnLines = final ? 0 : lines.Count;
    }

    private static string Format(TimeSpan span) =>
        span.TotalHours >= 1 ? $"{(int)span.TotalHours}h{span.Minutes:00}m" : span.TotalMinutes >= 1 ? $"{(int)span.TotalMinutes}m{span.Seconds:00}s" : $"{span.TotalSeconds:0}s";
}

/// <summary>The live counts of a batch, shared by its workers.</summary>
internal sealed class BatchTotals(int limit, TimeSpan window)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<TimeSpan> _submittedAt = [];
    private readonly List<TimeSpan> _durations = [];
    private readonly Lock _gate = new();
    private int _queued;
    private int _submitted;
    private int _running;
    private int _done;
    private int _failed;
    private int _uncertain;

    public int Limit => limit;

    public string WindowText => $"{window.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)} s";

    public int Queued => Volatile.Read(ref _queued);

    public int Submitted => Volatile.Read(ref _submitted);

    public int Running => Volatile.Read(ref _running);

    public int Done => Volatile.Read(ref _done);

    public int Failed => Volatile.Read(ref _failed);

    public int Uncertain => Volatile.Read(ref _uncertain);

    /// <summary>Moves one line from one count to another.</summary>
    public void Move(Phase from, Phase to)
    {
        if (from == to)
        {
            return;
        }

        Interlocked.Decrement(ref Counter(from));
        Interlocked.Increment(ref Counter(to));
    }

    public void Add(Phase phase) => Interlocked.Increment(ref Counter(phase));

    /// <summary>Notes a createTask answered with a task id, for the throughput.</summary>
    public void NoteSubmitted()
    {
        lock (_gate)
        {
            _submittedAt.Add(_clock.Elapsed);
        }
    }

    /// <summary>Notes how long a task took from its creation to its end, for the ETA.</summary>
    public void NoteDuration(TimeSpan duration)
    {
        lock (_gate)
        {
            _durations.Add(duration);
        }
    }

    /// <summary>
    /// Tasks created per limit window since this run's first creation, not counting the first window's burst (the limit
    /// allows <c>limit</c> at once): null until more than a burst has been created.
    /// </summary>
    public double? SubmitRatePerWindow()
    {
        lock (_gate)
        {
            if (_submittedAt.Count <= limit || _submittedAt[^1] - _submittedAt[0] <= TimeSpan.Zero)
            {
                return null;
            }

            return (_submittedAt.Count - limit) / (_submittedAt[^1] - _submittedAt[0]).TotalSeconds * window.TotalSeconds;
        }
    }

    /// <summary>The first and last creation of this run, and how many there were.</summary>
    public (TimeSpan First, TimeSpan Last, int Count) SubmitSpan()
    {
        lock (_gate)
        {
            return _submittedAt.Count == 0 ? (TimeSpan.Zero, TimeSpan.Zero, 0) : (_submittedAt[0], _submittedAt[^1], _submittedAt.Count);
        }
    }

    /// <summary>
    /// Time left: the queue at the measured (else the limit's) rate, plus a typical task's length (the median of those
    /// that ended). Unknown (null) while tasks run and none has ended yet; never zero while anything is left.
    /// </summary>
    public TimeSpan? Eta()
    {
        var perSecond = (SubmitRatePerWindow() ?? limit) / window.TotalSeconds;
        TimeSpan? typical;
        lock (_gate)
        {
            typical = _durations.Count == 0 ? null : _durations.Order().ElementAt(_durations.Count / 2);
        }

        if (Queued + Submitted + Running == 0)
        {
            return TimeSpan.Zero;
        }

        if (perSecond <= 0 || (typical is null && Submitted + Running > 0))
        {
            return null;
        }

        var left = TimeSpan.FromSeconds(Queued / perSecond) + (typical ?? TimeSpan.Zero);
        return left < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : left;
    }

    private ref int Counter(Phase phase)
    {
        switch (phase)
        {
            case Phase.Queued: return ref _queued;
            case Phase.Submitted: return ref _submitted;
            case Phase.Running: return ref _running;
            case Phase.Done: return ref _done;
            case Phase.Failed: return ref _failed;
            default: return ref _uncertain;
        }
    }
}

/// <summary>Where a line of a batch is.</summary>
internal enum Phase
{
    Queued,
    Submitted,
    Running,
    Done,
    Failed,
    Uncertain,
}
