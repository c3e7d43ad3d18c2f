namespace KlingGenerated.Simulator;

/// <summary>Task retention, rate-limit windows, credits and the state file: what the simulator remembers, and for how long.</summary>
public sealed partial class KlingSimulator
{
    /// <summary>The key's window of accepted creates, without those older than the window. Call under <see cref="_gate"/>.</summary>
    private Queue<DateTimeOffset> WindowOf(string keyId, DateTimeOffset now)
    {
        if (!_windows.TryGetValue(keyId, out var window))
        {
            _windows[keyId] = window = new Queue<DateTimeOffset>();
        }

        while (window.Count > 0 && now - window.Peek() >= _options.RateLimitWindow)
        {
            window.Dequeue();
        }

        return window;
    }

    /// <summary>Credits left: every task created, expired ones included, was charged its price (<see cref="SimulatedTask.Credits"/>). Call under <see cref="_gate"/>.</summary>
    private long BalanceLocked() => _options.Credits - _charged;

    /// <summary>What the expired tasks were charged: all charges less those of the tasks still held. Call under <see cref="_gate"/>.</summary>
    private long ExpiredCreditsLocked() => _charged - _tasks.Values.Sum(t => t.Credits(_options));

    /// <summary>The sweep on its timer: a state file that cannot be written now is written on the next change instead of ending the process.</summary>
    private void SweepSafely()
    {
        try
        {
            RemoveExpiredTasks();
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            // Nothing to answer here; the next create or sweep tries again.
        }
    }

    /// <summary>Drops tasks past their retention and empty rate-limit windows, so memory stays bounded.</summary>
    private void RemoveExpiredTasks()
    {
        var removed = 0;
        lock (_gate)
        {
            var now = Now;
            foreach (var (taskId, task) in _tasks)
            {
                if (task.ExpiredAt(now, _options) && _tasks.TryRemove(taskId, out _))
                {
                    removed++;
                }
            }

            _expiredTasks += removed;
            foreach (var keyId in _windows.Keys.ToList())
            {
                if (WindowOf(keyId, now).Count == 0)
                {
                    _windows.Remove(keyId);
                }
            }

            _windows.TrimExcess();
        }

        // Nothing to write: a task's expiry follows from its creation time, which the journal already holds.
        _ = removed;
    }

    private void LoadState()
    {
        if (_stateFile is null)
        {
            return;
        }

        lock (_persistGate)
        {
            using (_stateFile.Lock())
            {
                Apply(_stateFile.ReadNew());

                // Compacting at start keeps the journal to the tasks still held (one line each), whatever ran before.
                lock (_gate)
                {
                    _stateFile.Compact([.. _tasks.Values], _expiredTasks, ExpiredCreditsLocked());
                }
            }
        }
    }

    /// <summary>Reads what other processes appended since the last read. Only authenticated requests come here.</summary>
    private void CatchUp()
    {
        if (_stateFile is null)
        {
            return;
        }

        lock (_persistGate)
        {
            using (_stateFile.Lock())
            {
                Apply(_stateFile.ReadNew());
            }
        }
    }

    /// <summary>Replays changes another run or process wrote: tasks this one lacks (expired ones are counted, not kept), resets, and their windows.</summary>
    private void Apply(IReadOnlyList<SimulatorStateFile.Change> changes)
    {
        if (changes.Count == 0)
        {
            return;
        }

        lock (_gate)
        {
            var now = Now;
            var added = false;
            foreach (var change in changes)
            {
                if (change.Reset)
                {
                    _tasks.Clear();
                    _windows.Clear();
                    _expiredTasks = 0;
                    _charged = 0;
                }
                else if (change.Task is { } task)
                {
                    if (task.ExpiredAt(now, _options))
                    {
                        _expiredTasks++;
                        _charged += task.Credits(_options);
                    }
                    else if (_tasks.TryAdd(task.TaskId, task))
                    {
                        added = true;
                        _charged += task.Credits(_options);
                    }
                }
                else
                {
                    _expiredTasks += change.Expired;
                    // Older state files counted expired tasks only: each is charged the lowest price in the document.
                    _charged += change.ExpiredCredits ?? change.Expired * (_options.CreditsPerTask ?? (long)Math.Ceiling(KlingPricing.Document.LowestPrice ?? 0m));
                }
            }

            if (added)
            {
                _windows.Clear();
                foreach (var task in _tasks.Values.Where(t => now - t.CreatedAt < _options.RateLimitWindow).OrderBy(t => t.CreatedAt))
                {
                    WindowOf(task.KeyId, now).Enqueue(task.CreatedAt);
                }
            }
        }
    }

    /// <summary>Appends one created task to the journal (after what other processes wrote), flushed before its id is answered; no-op without one.</summary>
    private void Persist(SimulatedTask task)
    {
        if (_stateFile is null)
        {
            return;
        }

        lock (_persistGate)
        {
            using (_stateFile.Lock())
            {
                Apply(_stateFile.ReadNew());
                _stateFile.Append(task);
            }
        }
    }

    /// <summary>Tasks restored from the state file that have a callback and had not ended get it on their original schedule.</summary>
    private void ResumeCallbacks()
    {
        var now = Now;
        foreach (var task in _tasks.Values.Where(t => t.CallBackUrl is not null && t.CreatedAt + SimulatedTask.Duration(_options) > now))
        {
            ScheduleCallback(task);
        }
    }

    /// <summary>Forgets every task, window and charge, and empties the state file, as if the simulator had just started.</summary>
    public void Reset()
    {
        lock (_persistGate)
        {
            using (_stateFile?.Lock())
            {
                lock (_gate)
                {
                    _tasks.Clear();
                    _windows.Clear();
                    _expiredTasks = 0;
                    _charged = 0;
                    Interlocked.Exchange(ref _requests, 0);
                    Interlocked.Exchange(ref _faultsInjected, 0);
                    Interlocked.Exchange(ref _rateLimited, 0);
                    Interlocked.Exchange(ref _callbackAttempts, 0);
                }

                _stateFile?.ReadNew();
                _stateFile?.AppendReset();
            }
        }
    }
}
