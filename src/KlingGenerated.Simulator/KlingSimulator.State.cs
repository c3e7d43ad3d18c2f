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

    /// <summary>Credits left: every task created, expired ones included, cost <see cref="KlingSimulatorOptions.CreditsPerTask"/>. Call under <see cref="_gate"/>.</summary>
    private long BalanceLocked() => _options.Credits - (_options.CreditsPerTask * (_tasks.Count + _expiredTasks));

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

        if (removed > 0)
        {
            Persist();
        }
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
                Merge(_stateFile.Load());
            }
        }
    }

    /// <summary>Adds the tasks another run or process wrote that this one lacks (expired ones excepted), and their windows.</summary>
    private void Merge(SimulatorStateFile.State state)
    {
        lock (_gate)
        {
            var now = Now;
            var added = false;
            foreach (var task in state.Tasks)
            {
                if (!task.ExpiredAt(now, _options) && _tasks.TryAdd(task.TaskId, task))
                {
                    added = true;
                }
            }

            _expiredTasks = Math.Max(_expiredTasks, state.ExpiredTasks);
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

    /// <summary>Writes every task to the state file (merged with what other processes wrote), atomically; no-op without one.</summary>
    private void Persist()
    {
        if (_stateFile is null)
        {
            return;
        }

        lock (_persistGate)
        {
            using (_stateFile.Lock())
            {
                Merge(_stateFile.Load());
                SimulatorStateFile.State snapshot;
                lock (_gate)
                {
                    snapshot = new SimulatorStateFile.State([.. _tasks.Values], _expiredTasks);
                }

                _stateFile.Save(snapshot);
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
                    Interlocked.Exchange(ref _requests, 0);
                    Interlocked.Exchange(ref _faultsInjected, 0);
                    Interlocked.Exchange(ref _rateLimited, 0);
                    Interlocked.Exchange(ref _callbackAttempts, 0);
                }

                _stateFile?.Save(new SimulatorStateFile.State([], 0));
            }
        }
    }
}
