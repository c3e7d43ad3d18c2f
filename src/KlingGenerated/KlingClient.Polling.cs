using KlingGenerated.OpenApi;

namespace KlingGenerated;

/// <summary>The operations of the Kling V2.5 Turbo Pro API, plus waiting for a task; mock this in your tests.</summary>
// CUSTOM: tasks are asynchronous and the service documents only a query; waiting with backoff, grace and a deadline is what callers need.
public partial interface IKlingClient
{
    /// <summary>Polls a task until it ends; see <see cref="KlingClient.WaitForCompletionAsync"/>.</summary>
    Task<TaskRecord> WaitForCompletionAsync(string taskId, KlingPollingOptions? options = null, IProgress<TaskRecord>? progress = null, CancellationToken cancellationToken = default);

    /// <summary>Creates a task and waits for it; see <see cref="KlingClient.GenerateVideoAsync(VideoTaskRequest, KlingPollingOptions?, IProgress{TaskRecord}?, CancellationToken)"/>.</summary>
    Task<TaskRecord> GenerateVideoAsync(VideoTaskRequest request, KlingPollingOptions? options = null, IProgress<TaskRecord>? progress = null, CancellationToken cancellationToken = default);

    /// <summary>Creates a task, hands its id to <paramref name="onCreated"/>, then waits for it; see <see cref="KlingClient.GenerateVideoAsync(VideoTaskRequest, Func{string, CancellationToken, Task}, KlingPollingOptions?, IProgress{TaskRecord}?, CancellationToken)"/>.</summary>
    Task<TaskRecord> GenerateVideoAsync(VideoTaskRequest request, Func<string, CancellationToken, Task> onCreated, KlingPollingOptions? options = null, IProgress<TaskRecord>? progress = null, CancellationToken cancellationToken = default);
}

public partial class KlingClient
{
    /// <summary>
    /// Queries a task until it succeeds, with exponential backoff and jitter (see <see cref="KlingPollingOptions"/>). Reports every record to <paramref name="progress"/>.
    /// States this client does not know count as still running; "not found" right after creation counts as not visible yet.
    /// </summary>
    /// <returns>The record of the task that succeeded; its result URLs are in <see cref="TaskRecord.GetResultUrls"/>.</returns>
    /// <exception cref="KlingApiException">The task failed (<see cref="KlingErrorKind.TaskFailed"/>, with its failCode and failMsg) or the service answered an error.</exception>
    /// <exception cref="KlingApiException">With <see cref="KlingErrorKind.Timeout"/>: the task did not end within <see cref="KlingPollingOptions.Timeout"/>; its <see cref="KlingApiException.TaskId"/> names the task, which may still finish.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<TaskRecord> WaitForCompletionAsync(string taskId, KlingPollingOptions? options = null, IProgress<TaskRecord>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(taskId);
        using var telemetry = TaskTelemetry.StartWait(taskId, Logger);
        try
        {
            return await PollAsync(taskId, options, progress, telemetry, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (telemetry?.Failed(exception) == true)
        {
            throw;
        }
    }

    private async Task<TaskRecord> PollAsync(string taskId, KlingPollingOptions? options, IProgress<TaskRecord>? progress, TaskTelemetry? telemetry, CancellationToken cancellationToken)
    {
        options ??= new KlingPollingOptions();
        options.Validate();
        var clock = options.TimeProvider;
        var started = clock.GetTimestamp();

        // The timeout bounds the whole wait, a query in flight and its retries included: the deadline cancels whatever
        // runs when it passes (the pipeline's attempt timeouts and backoff stay inside the query).
        using var deadline = new CancellationTokenSource(options.Timeout, clock);
        using var waiting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        var seen = new WaitProgress();
        try
        {
            return await PollUntilAsync(taskId, options, progress, telemetry, started, seen, waiting.Token).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is OperationCanceledException or KlingApiException { Kind: KlingErrorKind.Timeout or KlingErrorKind.Unknown }
                                          && deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw WaitTimedOut(taskId, seen.LastState, options, queryCut: seen.Querying);
        }
    }

    private async Task<TaskRecord> PollUntilAsync(string taskId, KlingPollingOptions options, IProgress<TaskRecord>? progress, TaskTelemetry? telemetry, long started, WaitProgress seen, CancellationToken cancellationToken)
    {
        var clock = options.TimeProvider;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            TaskRecord? record = null;
            try
            {
                seen.Querying = true;
                record = (await GetTaskRecordAsync(taskId, cancellationToken).ConfigureAwait(false)).Data;
            }
            catch (KlingApiException exception) when (IsNotVisibleYet(exception) && clock.GetElapsedTime(started) < options.NotFoundGracePeriod)
            {
                // Just after creation the query answers 404 or "recordInfo is null" for a few seconds.
            }

            seen.Querying = false; // not in a finally: a query the deadline cut must still read as in flight
            telemetry?.Polled(record);
            if (record is not null)
            {
                EnsureRecordOf(taskId, record);
                seen.LastState = record.RawState;
                progress?.Report(record);
                switch (record.State)
                {
                    case TaskState.Success:
                        return record;
                    case TaskState.Fail:
                        throw KlingApiException.ForFailedTask(taskId, record.FailCode, record.FailMsg);
                }
            }

            var waited = clock.GetElapsedTime(started);
            var remaining = options.Timeout - waited;
            if (remaining <= TimeSpan.Zero)
            {
                throw WaitTimedOut(taskId, record?.RawState, options, queryCut: false);
            }

            // Wait a constant plus a share of the time waited so far: queries thin out exponentially, while a task that
            // ends is noticed within that share of its length (plus the constant).
            var delay = Min(options.InitialDelay + TimeSpan.FromTicks((long)(waited.Ticks * (options.BackoffFactor - 1))), options.MaxDelay);
            await Task.Delay(Min(Jittered(delay, options.Jitter), remaining), clock, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>What a wait that ran out reports: the last state seen, and whether a query was in flight at the deadline.</summary>
    private sealed class WaitProgress
    {
        public string? LastState { get; set; }

        public bool Querying { get; set; }
    }

    private static KlingApiException WaitTimedOut(string taskId, string? lastState, KlingPollingOptions options, bool queryCut) =>
        KlingApiException.ForWaitTimeout(taskId, lastState,
            $"Task {taskId} did not finish within {options.Timeout.TotalMinutes:0.##} minutes (last state: {lastState ?? "not visible"}" +
            (queryCut ? "; the query in flight was cancelled at the deadline" : string.Empty) + "). " +
            $"It may still finish: query it later (kling status {taskId}), or raise KlingPollingOptions.Timeout.");

    /// <summary>Creates a task, then waits for it with <see cref="WaitForCompletionAsync"/>.</summary>
    /// <remarks>
    /// The task id exists only in memory until this returns; to keep it through a crash or a timeout, use the overload
    /// with <c>onCreated</c>, which hands it over before waiting. A timeout still names it in <see cref="KlingApiException.TaskId"/>.
    /// </remarks>
    /// <returns>The record of the task that succeeded.</returns>
    public Task<TaskRecord> GenerateVideoAsync(VideoTaskRequest request, KlingPollingOptions? options = null, IProgress<TaskRecord>? progress = null, CancellationToken cancellationToken = default) =>
        GenerateVideoAsync(request, static (_, _) => Task.CompletedTask, options, progress, cancellationToken);

    /// <summary>
    /// Creates a task, awaits <paramref name="onCreated"/> with its id, then waits for it with <see cref="WaitForCompletionAsync"/>.
    /// </summary>
    /// <remarks>
    /// <paramref name="onCreated"/> runs once, as soon as the service has answered with the task id and before the first
    /// query: persist the id there (a database, a file), since the task is paid for from that moment and the service
    /// cannot list your tasks. Waiting starts only after it completes; if it throws, nothing is waited for and its
    /// exception propagates (the task exists all the same: you were given its id).
    /// </remarks>
    /// <param name="request">The task to create.</param>
    /// <param name="onCreated">Called with the new task id and <paramref name="cancellationToken"/>, before waiting.</param>
    /// <param name="options">How to poll; the defaults follow the service's advice.</param>
    /// <param name="progress">Receives every record queried while waiting.</param>
    /// <param name="cancellationToken">Stops creating or waiting; a task already created keeps running.</param>
    /// <returns>The record of the task that succeeded.</returns>
    /// <exception cref="KlingApiException">With <see cref="KlingErrorKind.Timeout"/>: the task did not end in time; <see cref="KlingApiException.TaskId"/> names it.</exception>
    public async Task<TaskRecord> GenerateVideoAsync(VideoTaskRequest request, Func<string, CancellationToken, Task> onCreated, KlingPollingOptions? options = null, IProgress<TaskRecord>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(onCreated);
        using var telemetry = TaskTelemetry.StartGenerate(request, Logger);
        try
        {
            var created = await CreateTaskAsync(request, cancellationToken).ConfigureAwait(false);
            var taskId = created.Data?.TaskId;
            if (string.IsNullOrEmpty(taskId))
            {
                throw KlingApiException.ForAcceptedWithoutTaskId(KlingOutcomeClassifier.Document.Classify(operationId: null, billable: true, KlingAttempt.Http(200, envelope: false, 0)), "no task id"); // CreateTaskAsync already refuses this
            }

            telemetry?.Created(taskId);
            await onCreated(taskId, cancellationToken).ConfigureAwait(false);
            return await PollAsync(taskId, options, progress, telemetry, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (telemetry?.Failed(exception) == true)
        {
            throw;
        }
    }

    // The answers the document lists under x-kling-polling.notVisibleYet: 404, and 422 whose message contains "recordInfo is null".
    private static bool IsNotVisibleYet(KlingApiException exception) =>
        exception.Kind != KlingErrorKind.TaskFailed && KlingDocumentRules.Polling.NotVisibleYet.Any(answer => answer.Matches(exception.Code, exception.ServerMessage));

    // Jitter only shortens a wait, so it spreads clients without delaying anyone's news.
    private static TimeSpan Jittered(TimeSpan delay, double jitter) =>
        jitter == 0 ? delay : TimeSpan.FromTicks((long)(delay.Ticks * (1 - (jitter * Random.Shared.NextDouble()))));

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    /// <summary>
    /// Refuses a record of another task: throws when <paramref name="record"/> names a task id other than
    /// <paramref name="taskId"/> (a confused cache or a hostile answer would hand over someone else's video). A record
    /// without a task id is accepted. <see cref="WaitForCompletionAsync"/> checks every record it reads this way; call it
    /// after <c>GetTaskRecordAsync</c>.
    /// </summary>
    /// <exception cref="KlingApiException">The record is of another task.</exception>
    public static void EnsureRecordOf(string taskId, TaskRecord record)
    {
        ArgumentNullException.ThrowIfNull(taskId);
        ArgumentNullException.ThrowIfNull(record);
        if (!string.IsNullOrEmpty(record.TaskId) && !string.Equals(record.TaskId, taskId, StringComparison.Ordinal))
        {
            throw KlingApiException.ForRecordOfAnotherTask(taskId);
        }
    }
}
